"""The paper table as Markdown and LaTeX: Top-1/Top-k in equal pools, then pooled.

One block per experiment. The first table has a row per method × pool
(:mod:`cggan.results.runs.equal_pools`: one pool per value of a method's swept
hyperparameters, each the whole lr grid, so every pool has the same size) and a column
group per learning-rate rule (Top-1, Top-k, runs = the pool's size with its diverged and
failed counts). The second, labelled "published pooling", ranks every run of a method ×
rule together, as the paper did (pools of different sizes). FID blocks end with the
calibration rows (:mod:`cggan.results.tables.calibration`).
"""

from __future__ import annotations

import math

import pandas as pd

from cggan.results.runs.load import ordered_methods, ordered_rules
from cggan.results.tables.calibration import NOT_MEASURED, calibration_rows
from cggan.results.tables.formatting import (
    DASH,
    TEX_HEADER,
    counts_text,
    direction_text,
    format_cell,
    md_table,
    metric_label,
    num,
    tex,
    tex_table,
)

__all__ = ["render_paper_table"]


def _sizes_text(block: pd.DataFrame) -> str:
    sizes = sorted({int(s) for s in block["pool_size"]})
    if len(sizes) == 1:
        return f"every pool has {sizes[0]} runs"
    return "pool sizes differ (" + ", ".join(str(s) for s in sizes) + " runs)"


def _caption(experiment: str, block: pd.DataFrame) -> str:
    first = block.iloc[0]
    k, label = int(first["k"]), metric_label(first["metric"])
    return (
        f"{experiment}: {label} ({direction_text(first['mode'])}). Pools of equal "
        "size: one per value of a method's swept hyperparameters (pool, spelled as in "
        "the setting directories, e.g. beta_coeff~0.5; 'lr grid' for a method that "
        "sweeps none), each the whole learning-rate grid at the sweep seed; "
        f"{_sizes_text(block)}. Top-1 = the best run of the pool, Top-{k} = mean ± "
        f"std of its {k} best runs (fewer where fewer finished: count in brackets), "
        f"each run ranked by its {first['rank_by']} {label}; runs = the pool's runs "
        "(its size), diverged and failed runs are counted, not ranked."
    )


def _top_cells(top1, mean, std, k_used, k: int) -> list[str]:
    topk = format_cell(mean, std)
    if topk != DASH and int(k_used) < k:
        topk += f" (k={int(k_used)})"
    return [num(top1), topk]


def _pool_rows(block: pd.DataFrame, rules: list[str], k: int) -> list[list[str]]:
    rows = []
    for method, pool in dict.fromkeys(zip(block["method"], block["pool"])):
        cells = [method, pool]
        for rule in rules:
            hit = block[
                (block["method"] == method)
                & (block["pool"] == pool)
                & (block["lr_rule"] == rule)
            ]
            if hit.empty:
                cells += [DASH, DASH, "n=0"]
                continue
            r = hit.iloc[0]
            top = (r["top1"], r["topk_mean"], r["topk_std"], r["k_used"])
            cells += _top_cells(*top, k)
            cells.append(counts_text(r))
        rows.append(cells)
    return rows


def _pooled_rows(block: pd.DataFrame, rules: list[str], k: int) -> list[list[str]]:
    rows = []
    for method in ordered_methods(block["method"]):
        cells = [method]
        for rule in rules:
            hit = block[(block["method"] == method) & (block["lr_rule"] == rule)]
            if hit.empty:
                cells += [DASH, DASH, "n=0"]
                continue
            r = hit.iloc[0]
            top = (
                r["top1_pooled"],
                r["topk_pooled_mean"],
                r["topk_pooled_std"],
                r["k_used_pooled"],
            )
            cells += _top_cells(*top, k)
            n_pools = int(r["n_pools"])
            cells.append(
                f"n={int(r['pooled_size'])} in {n_pools} pool{'s' * (n_pools > 1)}, "
                f"{int(hit['n_diverged'].sum())} div, {int(hit['n_failed'].sum())} fail"
            )
        rows.append(cells)
    return rows


def _calibration(calibration, experiment: str, lead: int, rules) -> list[list[str]]:
    if calibration is None:
        return []
    rows = []
    for item in calibration_rows(calibration, experiment):
        measured = item["n"] is not None and not math.isnan(item["value"])
        value = num(item["value"]) if measured else NOT_MEASURED
        runs = f"n={item['n']} images" if measured else NOT_MEASURED
        lead_cells = [item["label"]] + [DASH] * (lead - 1)
        rows.append(lead_cells + [value, value, runs] * len(rules))
    return rows


def _header(lead: list[str], rules: list[str], k: int, note: str = "") -> list[str]:
    header = list(lead)
    for rule in rules:
        header += [f"{rule}: Top-1{note}", f"{rule}: Top-{k}{note}", f"{rule}: runs"]
    return header


def _tex_block(caption: str, label: str, lead: list[str], rules, k, rows) -> str:
    n = len(lead)
    head1 = " & ".join(
        [tex(h) for h in lead]
        + [rf"\multicolumn{{3}}{{c}}{{{tex(rule)}}}" for rule in rules]
    )
    rules_mid = " ".join(
        rf"\cmidrule(lr){{{n + 1 + 3 * i}-{n + 3 + 3 * i}}}" for i in range(len(rules))
    )
    head2 = " & ".join([""] * n + ["Top-1", f"Top-{k}", "runs"] * len(rules))
    body = "\n".join(" & ".join(tex(c) for c in r) + r" \\" for r in rows)
    head = f"{head1} \\\\\n{rules_mid}\n{head2} \\\\\n"
    return tex_table(caption, label, "l" * n + "rrl" * len(rules), head, body)


def render_paper_table(
    table: pd.DataFrame, calibration: pd.DataFrame | None = None
) -> tuple[str, str]:
    """Markdown and LaTeX of the paper table (equal pools, then published pooling)."""
    md_parts, tex_parts = ["# Top-1 and Top-k over the sweep\n"], []
    for experiment, block in table.groupby("experiment", sort=True):
        k, caption = int(block.iloc[0]["k"]), _caption(experiment, block)
        rules = ordered_rules(block["lr_rule"])
        rows = _pool_rows(block, rules, k)
        rows += _calibration(calibration, experiment, 2, rules)
        pooled = _pooled_rows(block, rules, k)
        pooled += _calibration(calibration, experiment, 1, rules)
        pooled_caption = (
            f"{experiment}, published pooling: every run of a method × rule ranked "
            f"together, all values of its swept hyperparameters in one pool, as in the "
            "paper; pools of methods that sweep more values are larger, so their "
            f"Top-{k} is drawn from more candidates (runs = pooled size)."
        )
        align = ["l", "l"] + ["r", "r", "l"] * len(rules)
        md_parts.append(
            f"\n## {experiment}\n\n{caption}\n\n"
            + md_table(_header(["method", "pool"], rules, k), rows, align)
            + f"\n### {experiment}: published pooling\n\n{pooled_caption}\n\n"
            + md_table(_header(["method"], rules, k, " (pooled)"), pooled, align[1:])
        )
        tex_parts.append(
            _tex_block(
                caption,
                f"tab:paper-{tex(experiment)}",
                ["method", "pool"],
                rules,
                k,
                rows,
            )
        )
        tex_parts.append(
            _tex_block(
                pooled_caption,
                f"tab:pooled-{tex(experiment)}",
                ["method"],
                rules,
                k,
                pooled,
            )
        )
    return "".join(md_parts), TEX_HEADER + "\n".join(tex_parts)
