"""The published numbers beside a replication arm's: ``tables/published_vs_reproduced``.

:func:`published_vs_reproduced` builds the tidy table (:data:`PUBLISHED_COLUMNS`) from
the paper table (:func:`cggan.results.statistics.top_k.paper_table`) and the published
sets of :mod:`cggan.results.tables.published_numbers`: the published Top-1 and Top-10
mean ± std beside the reproduced ones in the published pooling (every sweep run of the
method × rule ranked together: the ``*_pooled`` columns), except where the released
sweep ran one value of a hyperparameter the arm sweeps more widely (momentum 0.9): there
the pool of that value.
:func:`write_published_tables` writes ``tables/published_vs_reproduced.{md,csv}``, and
nothing when no experiment sets ``published``. This module does not import torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from cggan.checks import invalid
from cggan.io import atomic_write_text
from cggan.results.tables.formatting import DASH, md_table, metric_label, num, write_csv
from cggan.results.tables.published_numbers import (
    SOURCES,
    STATISTICS,
    published_frame,
    published_source,
)

__all__ = [
    "PUBLISHED_COLUMNS",
    "TABLE_FILES",
    "published_vs_reproduced",
    "render_published_vs_reproduced",
    "write_published_tables",
]

#: The files :func:`write_published_tables` writes under ``tables/`` (or none).
TABLE_FILES = ("published_vs_reproduced.md", "published_vs_reproduced.csv")
PUBLISHED_COLUMNS = [
    "experiment", "published", "rule_kind", "lr_rule", "method", "published_label",
    "published_top1", "published_top10_mean", "published_top10_std",
    "reproduced_top1", "reproduced_topk_mean", "reproduced_topk_std", "k", "k_used",
    "reproduced_pool", "n_pools", "n_runs", "n_diverged", "n_failed", "rank_by",
    "delta_top1", "delta_topk_mean",
]  # fmt: skip


def _reproduced(block: pd.DataFrame, method: str, rule: str, pool: str | None):
    """The reproduced cells of one method × rule: its pool ``pool``, else pooled."""
    hit = block[(block["method"] == method) & (block["lr_rule"] == rule)]
    if hit.empty:
        return {
            "reproduced_pool": "",
            "n_pools": 0,
            "n_runs": 0,
            "n_diverged": 0,
            "n_failed": 0,
        }
    one = hit[hit["pool"] == pool]
    if len(one):
        r = one.iloc[0]
        return {
            "reproduced_top1": r["top1"],
            "reproduced_topk_mean": r["topk_mean"],
            "reproduced_topk_std": r["topk_std"],
            "k_used": r["k_used"],
            "reproduced_pool": pool,
            "n_pools": 1,
            "n_runs": r["pool_size"],
            "n_diverged": r["n_diverged"],
            "n_failed": r["n_failed"],
        }
    r = hit.iloc[0]
    return {
        "reproduced_top1": r["top1_pooled"],
        "reproduced_topk_mean": r["topk_pooled_mean"],
        "reproduced_topk_std": r["topk_pooled_std"],
        "k_used": r["k_used_pooled"],
        "reproduced_pool": "pooled",
        "n_pools": r["n_pools"],
        "n_runs": r["pooled_size"],
        "n_diverged": hit["n_diverged"].sum(),
        "n_failed": hit["n_failed"].sum(),
    }


def _check_metric(block: pd.DataFrame, experiment: str, name: str) -> None:
    metrics = set(block["metric"].dropna())
    wanted = SOURCES[name].metric
    if metrics - {wanted}:
        raise invalid(
            f"experiments.{experiment}.eval.metric",
            sorted(metrics)[0],
            f"{wanted} (published: {name})",
        )


def published_vs_reproduced(
    paper: pd.DataFrame, experiments: Mapping[str, str]
) -> pd.DataFrame:
    """The published Top-1/Top-10 beside each named experiment's reproduced ones.

    Args:
        paper: the paper table (:func:`cggan.results.statistics.top_k.paper_table`).
        experiments: ``{experiment: published set}``
            (:func:`published_experiments`); an experiment not named gets no row.

    Returns:
        One row per named experiment × published rule kind × published method
        (:data:`PUBLISHED_COLUMNS`); a method × rule the experiment did not run has
        empty reproduced cells and ``n_runs`` 0. ``delta_*`` = reproduced − published.

    Raises:
        ValueError: an unknown published set, or an experiment of another metric.
    """
    rows = []
    for experiment, name in experiments.items():
        source = published_source(name, f"experiments.{experiment}.published")
        block = paper[paper["experiment"] == experiment]
        _check_metric(block, experiment, name)
        k = int(block["k"].iloc[0]) if len(block) else source.k
        rank_by = block["rank_by"].iloc[0] if len(block) else None  # nothing ranked
        for _, pub in published_frame(name).iterrows():
            got = _reproduced(
                block, pub["method"], pub["lr_rule"], source.pools.get(pub["method"])
            )
            row = {
                "experiment": experiment,
                "published": name,
                "rule_kind": pub["rule_kind"],
                "lr_rule": pub["lr_rule"],
                "method": pub["method"],
                "published_label": pub["label"],
                **{f"published_{s}": pub[s] for s in STATISTICS},
                "k": k,
                "rank_by": rank_by,
                **got,
            }
            rows.append(row)
    table = pd.DataFrame(rows, columns=PUBLISHED_COLUMNS)
    table["delta_top1"] = table["reproduced_top1"] - table["published_top1"]
    table["delta_topk_mean"] = (
        table["reproduced_topk_mean"] - table["published_top10_mean"]
    )
    return table


def _pub(value: float) -> str:
    """A published value with its published digits (2, or 3 as in 59.333)."""
    return f"{value:.2f}" if round(value, 2) == value else f"{value:.3f}"


def _topk(mean: Any, std: Any, k_used: Any, k: int) -> str:
    if num(mean) == DASH:
        return DASH
    text = f"{num(mean)} ± {num(std)}" if num(std) != DASH else num(mean)
    if num(k_used) != DASH and int(k_used) < k:
        text += f" (k={int(k_used)})"
    return text


def _rule(r: pd.Series) -> str:
    kind, rule = r["rule_kind"], r["lr_rule"]
    return rule if rule == kind else f"{rule} ({kind})"


def _runs(r: pd.Series) -> str:
    if int(r["n_runs"]) == 0:
        return "not run"
    pool, n_pools = r["reproduced_pool"], int(r["n_pools"])
    where = f" (in {n_pools} pools)" if pool == "pooled" else f" ({pool})"
    where = "" if pool == "pooled" and n_pools == 1 else where
    return (
        f"n={int(r['n_runs'])}{where}, {int(r['n_diverged'])} div, "
        f"{int(r['n_failed'])} fail"
    )


def _caption(experiment: str, name: str, block: pd.DataFrame) -> str:
    source, first = SOURCES[name], block.iloc[0]
    k, label = int(first["k"]), metric_label(source.metric)
    sizes = sorted({int(n) for n in block["n_runs"] if n})
    rules = ", ".join(f"{rule} ↔ '{kind} LR'" for kind, rule in source.rules.items())
    caveats = "\n".join(f"- {c}" for c in source.caveats)
    return (
        f"{experiment} beside {name}. Published: {source.citation}. Reproduced: the "
        f"published pooling (every sweep run of a method × rule, all its "
        f"hyperparameter values, ranked together by its {first['rank_by']} {label}; "
        f"Top-1 = the best run, Top-{k} = mean ± std of the {k} best); our rules ↔ "
        f"published: "
        f"{rules}. Pool sizes (runs): {', '.join(map(str, sizes)) or 'none run'}; "
        f"diverged and failed runs are counted, not ranked. Published "
        f"Top-{source.k}, reproduced Top-{k}.\n\nCaveats:\n\n{caveats}"
    )


def render_published_vs_reproduced(table: pd.DataFrame) -> str:
    """Markdown: one block per experiment, its caption listing the caveats."""
    parts = ["# Published vs reproduced\n"]
    for (experiment, name), block in table.groupby(
        ["experiment", "published"], sort=False
    ):
        k, pub_k = int(block["k"].iloc[0]), SOURCES[name].k
        header = [
            "method",
            "published as",
            "rule",
            "Top-1 published",
            "Top-1 reproduced",
            f"Top-{pub_k} published",
            f"Top-{k} reproduced",
            "reproduced runs",
        ]
        rows = [
            [
                r["method"],
                r["published_label"],
                _rule(r),
                _pub(r["published_top1"]),
                num(r["reproduced_top1"]),
                f"{_pub(r['published_top10_mean'])} ± {_pub(r['published_top10_std'])}",
                _topk(
                    r["reproduced_topk_mean"], r["reproduced_topk_std"], r["k_used"], k
                ),
                _runs(r),
            ]
            for _, r in block.iterrows()
        ]
        parts.append(
            f"## {experiment}\n\n{_caption(experiment, name, block)}\n\n"
            + md_table(header, rows, ["l", "l", "l"] + ["r"] * 4 + ["l"])
        )
    return "\n".join(parts)


def write_published_tables(
    paper: pd.DataFrame, experiments: Mapping[str, str], folder: str | Path
) -> list[Path]:
    """Write :data:`TABLE_FILES` under ``folder`` (atomically); none without
    experiments. Returns the written paths."""
    if not experiments:
        return []
    table = published_vs_reproduced(paper, experiments)
    md, csv = (Path(folder) / name for name in TABLE_FILES)
    atomic_write_text(md, render_published_vs_reproduced(table))
    write_csv(csv, table)
    return [md, csv]
