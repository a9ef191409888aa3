"""The confirmation's seed tables as Markdown and LaTeX: ``tables/seeds.{md,tex}``
(:func:`render_seed_table`) and ``tables/summary.md`` (:func:`render_summary`).

Each renders a tidy table of :mod:`cggan.results.statistics.seeds`. An FID experiment's
blocks end with its two calibration rows (:mod:`cggan.results.tables.calibration`); a
block with CG rows that report β shows mean β and the share of steps at the cap beside
them (:mod:`cggan.results.statistics.beta`).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from cggan.results.runs.load import finite_or_nan
from cggan.results.statistics import seed_intervals
from cggan.results.statistics.beta import has_beta
from cggan.results.tables.calibration import CALIBRATION_TEXT, calibration_md_rows
from cggan.results.tables.formatting import (
    DASH,
    TEX_HEADER,
    counts_text,
    format_cell,
    md_table,
    metric_label,
    num,
    tex,
    tex_table,
)

__all__ = ["BETA_HEADER", "beta_cells", "render_seed_table", "render_summary"]


def _hparams_text(value: Any) -> str:
    """``{"beta_coeff": 0.5}`` (JSON text) -> ``beta_coeff=0.5``; empty for none."""
    try:
        hparams = json.loads(value) if isinstance(value, str) else {}
    except json.JSONDecodeError:
        return str(value)
    if not isinstance(hparams, dict):
        return str(hparams)
    return ", ".join(f"{k}={v}" for k, v in sorted(hparams.items()))


def _lr(value: Any) -> str:
    value = finite_or_nan(value)
    return DASH if math.isnan(value) else f"{value:g}"


def _percent(value: Any) -> str:
    value = finite_or_nan(value)
    return DASH if math.isnan(value) else f"{100 * value:.0f}%"


def beta_cells(row: pd.Series) -> list[str]:
    """``["0.50 / 0.44", "99% / 88%"]``: mean β and % capped, G / D; dashes if none."""
    if not has_beta(row):
        return [DASH, DASH]
    return [
        f"{num(row['beta_mean_g'])} / {num(row['beta_mean_d'])}",
        f"{_percent(row['beta_capped_g'])} / {_percent(row['beta_capped_d'])}",
    ]


BETA_HEADER = ["β mean G / D", "% capped G / D"]
BETA_TEXT = (
    " β mean G / D: the seed mean of each CG run's mean β per player (generator / "
    "discriminator); % capped: the share of its steps with β at the cap c·β_max "
    "(a CG method capped on most steps is heavy-ball momentum of that size)."
)


def _range_text(block: pd.DataFrame) -> str:
    low, high = block.iloc[0].get("range_low"), block.iloc[0].get("range_high")
    low, high = finite_or_nan(low), finite_or_nan(high)
    if math.isnan(low) and math.isnan(high):
        return ""
    high_text = "∞)" if math.isnan(high) else f"{high:g}]"
    return f", clipped to the metric's range [{low:g}, {high_text}"


def _seed_row(row: pd.Series, beta: bool) -> list[str]:
    if row.get("ci_note"):
        ci = str(row["ci_note"])
    elif math.isnan(finite_or_nan(row["ci_low"])):
        ci = DASH
    else:
        ci = f"[{num(row['ci_low'])}, {num(row['ci_high'])}]"
    final = format_cell(row["final_mean"], row["final_std"])
    cells = [
        row["method"],
        row["lr_rule"],
        _lr(row["lr_d"]),
        _lr(row["lr_g"]),
        _hparams_text(row["hparams"]),
        final,
        ci,
        counts_text(row),
    ]
    converged = finite_or_nan(row.get("n_converged"))
    if math.isfinite(converged):  # runs within the tolerance (cggan.convergence)
        cells[-1] += f", {int(converged)} flat"
    pool = row.get("pool_convergence")
    if isinstance(pool, str) and pool:  # the pool-level test
        cells[-1] += f", pool {pool.split(' ', 1)[0]}"
    confident = finite_or_nan(row.get("confident_mean"))
    if math.isfinite(confident):  # the digits classifier: recognisable samples
        cells[-1] += f", {confident:.0%} confident"
    return cells + (beta_cells(row) if beta else [])


def _seed_caption(experiment: str, block: pd.DataFrame, beta: bool, fid: bool) -> str:
    first = block.iloc[0]
    label = metric_label(first["metric"])
    level = round(float(first["confidence"]) * 100)
    return (
        f"{experiment}: final {label} of the selected setting of each method × rule × "
        "pool, "
        "over the confirmation seeds: mean ± std (sample std), and the "
        f"{level}% percentile-bootstrap interval of the seed mean "
        f"({seed_intervals.N_RESAMPLES:,} resamples, NumPy default_rng("
        f"{seed_intervals.RNG_SEED}){_range_text(block)}; "
        f"'{seed_intervals.NO_INTERVAL}' with "
        "fewer than two finished seeds); diverged and failed seeds are counted, not "
        "averaged." + (BETA_TEXT if beta else "") + (CALIBRATION_TEXT if fid else "")
    )


def render_seed_table(
    table: pd.DataFrame, calibration: pd.DataFrame | None = None
) -> tuple[str, str]:
    """Markdown and LaTeX of the confirmed settings' seed statistics."""
    md_parts = ["# Confirmed settings: seed statistics of the final metric\n"]
    tex_parts = []
    for experiment, block in table.groupby("experiment", sort=True):
        beta = any(has_beta(row) for _, row in block.iterrows())
        label = metric_label(block.iloc[0]["metric"])
        level = round(float(block.iloc[0]["confidence"]) * 100)
        header = [
            "method",
            "rule",
            "lr_d",
            "lr_g",
            "hparams",
            f"final {label}",
            f"{level}% CI",
            "runs",
            *(BETA_HEADER if beta else []),
        ]
        rows = [_seed_row(row, beta) for _, row in block.iterrows()]
        extra = calibration_md_rows(calibration, experiment, 8, [5])
        rows += [r + [DASH, DASH] * beta for r in extra]
        caption = _seed_caption(experiment, block, beta, bool(extra))
        align = ["l"] * 5 + ["r", "r", "l"] + ["r", "r"] * beta
        md_parts.append(
            f"\n## {experiment}\n\n{caption}\n\n" + md_table(header, rows, align)
        )
        head = " & ".join(tex(h) for h in header) + " \\\\\n"
        body = "\n".join(" & ".join(tex(c) for c in r) + r" \\" for r in rows)
        label_tex = f"tab:seeds-{tex(experiment)}"
        tex_parts.append(tex_table(caption, label_tex, "".join(align), head, body))
    return "".join(md_parts), TEX_HEADER + "\n".join(tex_parts)


def _summary_row(r: pd.Series, beta: bool) -> list[str]:
    counts = (
        str(int(r[c])) for c in ("n_runs", "n_finished", "n_diverged", "n_failed")
    )
    cells = [
        r["method"],
        r["lr_rule"],
        str(r["setting"]),
        format_cell(r["best_mean"], r["best_std"]),
        format_cell(r["final_mean"], r["final_std"]),
        *counts,
    ]
    return cells + (beta_cells(r) if beta else [])


def render_summary(table: pd.DataFrame, calibration: pd.DataFrame | None = None) -> str:
    """Markdown of the confirmation summary: best and final metric per method × rule."""
    parts = ["# Summary over the confirmation seeds\n"]
    for experiment, block in table.groupby("experiment", sort=True):
        label = metric_label(block.iloc[0]["metric"])
        beta = any(has_beta(row) for _, row in block.iterrows())
        header = [
            "method",
            "rule",
            "setting",
            f"best {label}",
            f"final {label}",
            "runs",
            "finished",
            "diverged",
            "failed",
            *(BETA_HEADER if beta else []),
        ]
        rows = [_summary_row(r, beta) for _, r in block.iterrows()]
        extra = calibration_md_rows(calibration, experiment, 6, [3, 4])
        rows += [r + [DASH] * (3 + 2 * beta) for r in extra]
        caption = (
            f"Best (over training) and final {label}, mean ± std over the seeds of "
            "the selected setting; diverged and failed runs are counted, not "
            "averaged." + (BETA_TEXT if beta else "") + (CALIBRATION_TEXT * bool(extra))
        )
        align = ["l", "l", "l"] + ["r"] * (6 + 2 * beta)
        parts.append(
            f"\n## {experiment}\n\n{caption}\n\n" + md_table(header, rows, align)
        )
    return "".join(parts)
