"""Published results, and the table that sets them beside a replication arm.

:data:`PUBLISHED` holds the only published numbers this project compares with, as data:
``{name: {rule kind: {statistic: {method: value}}}}``, rule kinds ``constant`` and
``diminishing``, statistics ``top1``, ``top10_mean`` and ``top10_std``, methods under
this project's names. :data:`SOURCES` says where each set comes from, which of our
learning-rate rules each rule kind is, and what a reader must know before comparing.

An experiment is set beside a published set only when its config says so
(``experiments.<exp>.published``, null by default; ``config/paper.yaml`` sets it on the
replication arm ``cifar10_released`` only). :func:`published_vs_reproduced` builds the
tidy table from the paper table (:func:`cggan.results.stats.paper_table`): the published
Top-1 and Top-10 mean ± std beside the reproduced ones in the published pooling (every
sweep run of the method × rule ranked together: the ``*_pooled`` columns), except
where the released sweep ran one value of a hyperparameter the arm sweeps more widely
(momentum 0.9): there the pool of that value. :func:`write_published_tables` writes
``tables/published_vs_reproduced.{md,csv}``, and nothing when no experiment sets
``published``. This module does not import torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cggan.checks import invalid
from cggan.io import atomic_write_text
from cggan.registry import DEFAULT_SELECTION_BY
from cggan.results.tables import DASH, md_table, metric_label, num, write_csv

__all__ = [
    "PUBLISHED",
    "PUBLISHED_COLUMNS",
    "SOURCES",
    "TABLE_FILES",
    "PublishedSource",
    "published_experiments",
    "published_frame",
    "published_vs_reproduced",
    "render_published_vs_reproduced",
    "write_published_tables",
]

NAGANUMA2023 = "naganuma2023_cifar10_sngan"
#: The files :func:`write_published_tables` writes under ``tables/`` (or none).
TABLE_FILES = ("published_vs_reproduced.md", "published_vs_reproduced.csv")
STATISTICS = ("top1", "top10_mean", "top10_std")
# The README's column order (Adam, SGD, Mom-SGD, CG_DY, CG_FR, CG_FR_PRP, CG_HS,
# CG_HS_DY, CG_HZ, CG_PRP), under this project's method names.
_METHODS = ("adam", "sgd", "momentum", "cg_dy_authors", "cg_fr_authors",
            "cg_fr_prp_authors", "cg_hs_authors", "cg_hs_dy_authors",
            "cg_hz_authors", "cg_prp_authors")  # fmt: skip


def _row(*values: float) -> dict[str, float]:
    return dict(zip(_METHODS, values, strict=True))


#: name -> rule kind -> statistic -> method -> FID (lower is better), as published.
PUBLISHED: dict[str, dict[str, dict[str, dict[str, float]]]] = {
    NAGANUMA2023: {
        "constant": {
            "top1": _row(
                19.38, 30.34, 34.42, 30.13, 26.02, 30.31, 29.29, 29.54, 29.41, 28.94
            ),
            "top10_mean": _row(
                51.16, 41.09, 82.15, 33.70, 29.63, 34.78, 34.82, 34.12, 34.28, 34.53
            ),
            "top10_std": _row(
                33.71, 8.13, 51.82, 2.04, 2.26, 2.17, 1.07, 1.31, 0.96, 2.01
            ),
        },
        "diminishing": {
            "top1": _row(
                51.96, 40.55, 73.66, 35.29, 32.17, 31.06, 30.03, 29.09, 29.64, 30.47
            ),
            "top10_mean": _row(
                135.86, 51.80, 205.29, 42.39, 38.20, 37.39, 36.96, 39.90, 38.24, 37.94
            ),
            "top10_std": _row(
                32.65, 7.84, 59.333, 12.89, 8.82, 2.74, 2.77, 3.06, 2.97, 3.62
            ),
        },
    },
}


@dataclass(frozen=True)
class PublishedSource:
    """Where a published set comes from and how to read it.

    Attributes:
        citation: the paper and the exact source of the numbers.
        metric: the metric (this project's name) the numbers are.
        k: the k of the published Top-k.
        rules: rule kind -> this project's learning-rate rule that ran it.
        labels: method -> the published column name.
        pools: method -> the one pool (hyperparameter value) the released sweep ran,
            where an arm may sweep more values; other methods use the pooled columns.
        caveats: sentences every rendering states.
    """

    citation: str
    metric: str
    k: int
    rules: Mapping[str, str]
    labels: Mapping[str, str]
    pools: Mapping[str, str]
    caveats: tuple[str, ...]


SOURCES: dict[str, PublishedSource] = {
    NAGANUMA2023: PublishedSource(
        citation=(
            "Naganuma & Iiduka, Conjugate Gradient Method for Generative Adversarial "
            "Networks, AISTATS 2023: README of the authors' code "
            "(github.com/Hiroki11x/ConjugateGradient_GAN, commit b757483 = 7c4ced1), "
            "'Additional Experimental Results': CIFAR-10, SNGAN with ResNet, FID, "
            "lower is better. The paper's own tables were not retrieved"
        ),
        metric="fid",
        k=10,
        rules={"constant": "constant", "diminishing": "step_authors"},
        labels=dict(
            zip(
                _METHODS,
                (
                    "Adam",
                    "SGD",
                    "Mom-SGD",
                    "CG_DY",
                    "CG_FR",
                    "CG_FR_PRP",
                    "CG_HS",
                    "CG_HS_DY",
                    "CG_HZ",
                    "CG_PRP",
                ),
                strict=True,
            )
        ),  # fmt: skip
        pools={"momentum": "momentum~0.9"},
        caveats=(
            "'Diminishing LR' is the released step decay of D only (×0.9 twice per "
            "10K iterations, G never decayed): our rule step_authors.",
            "The CG numbers come from the released CG class (our cg_<rule>_authors): "
            "its stored previous gradient aliases p.grad, so β ≡ 0 for PRP, HS, DY, "
            "HS_DY, FR_PRP and HZ (SGD steps) and β ≡ coeff/2 for FR.",
            "CG pools are 3× the baselines' (3 β coefficients pooled; the released "
            "sweeps: 75 against 25 runs at constant rates, 48 against 16 diminishing), "
            "so a CG Top-10 is a smaller share of its pool.",
            "Mom-SGD ran momentum 0.9 only: its reproduced cells use the momentum~0.9 "
            "pool where the arm sweeps more values.",
            "Which FID is ranked is not stated; Top-10 is believed ranked by "
            "end-of-training FID (it matches the end of the authors' best-10 curves).",
            "In the final README table two diminishing Top-10 means changed without "
            "their ± changing (CG_DY 53.11 → 42.39, CG_FR 47.56 → 38.20).",
            "FID depends on the evaluation (samples, image preprocessing, the "
            "unreleased model code): compare orders and gaps, not digits.",
        ),
    ),
}

PUBLISHED_COLUMNS = [
    "experiment", "published", "rule_kind", "lr_rule", "method", "published_label",
    "published_top1", "published_top10_mean", "published_top10_std",
    "reproduced_top1", "reproduced_topk_mean", "reproduced_topk_std", "k", "k_used",
    "reproduced_pool", "n_pools", "n_runs", "n_diverged", "n_failed", "rank_by",
    "delta_top1", "delta_topk_mean",
]  # fmt: skip


def _check_name(name: Any, key: str) -> str:
    if name not in PUBLISHED:
        raise invalid(key, name, ", ".join(["null", *sorted(PUBLISHED)]))
    return name


def published_experiments(config: Mapping[str, Any]) -> dict[str, str]:
    """``{experiment: published set}`` of a resolved study config (empty: none).

    Raises:
        ValueError: an unknown set, or an experiment whose metric is not the set's
            (one line naming the key), before anything is written.
    """
    chosen = {}
    for experiment, exp_cfg in (config.get("experiments") or {}).items():
        name = (exp_cfg or {}).get("published")
        if name is None:
            continue
        key = f"experiments.{experiment}"
        chosen[experiment] = _check_name(name, f"{key}.published")
        metric = (exp_cfg.get("eval") or {}).get("metric")
        wanted = SOURCES[name].metric
        if metric != wanted:
            raise invalid(f"{key}.eval.metric", metric, f"{wanted} (published: {name})")
    return chosen


def published_frame(name: str) -> pd.DataFrame:
    """One published set, tidy: ``rule_kind, lr_rule, method, label`` + statistics."""
    source = SOURCES[_check_name(name, "published")]
    rows = []
    for kind, by_stat in PUBLISHED[name].items():
        for method in by_stat["top1"]:
            rows.append(
                {
                    "rule_kind": kind,
                    "lr_rule": source.rules[kind],
                    "method": method,
                    "label": source.labels[method],
                    **{s: by_stat[s][method] for s in STATISTICS},
                }
            )
    return pd.DataFrame(rows)


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
        paper: the paper table (:func:`cggan.results.stats.paper_table`).
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
        source = SOURCES[_check_name(name, f"experiments.{experiment}.published")]
        block = paper[paper["experiment"] == experiment]
        _check_metric(block, experiment, name)
        k = int(block["k"].iloc[0]) if len(block) else source.k
        rank_by = block["rank_by"].iloc[0] if len(block) else DEFAULT_SELECTION_BY
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
