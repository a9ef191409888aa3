"""The files of an aggregated study, written from its tables (:class:`AggregateResult`).

Under the study's output directory: ``tables/`` (paper_table and seeds as md/csv/tex;
summary, calibration, cg_vs_momentum and claims as md/csv; runs.csv), ``metrics.json``,
``plots/`` (:data:`PLOT_KINDS` per experiment, ``beta_<exp>.png`` per experiment with CG
runs, ``claims_budget_<exp>.png`` when the claims are read at budgets) and the data of
each figure in ``plots/data/`` (``curves_<exp>.csv``, ``beta_<exp>.csv``).
:func:`cggan.results.aggregate.aggregate` computes the tables and stages these files as
one set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cggan.convergence import pool_convergence
from cggan.io import atomic_write_json, atomic_write_text
from cggan.results.claims.cg_vs_momentum import render_cg_vs_momentum
from cggan.results.claims.render import render_claims
from cggan.results.figures.beta import plot_beta
from cggan.results.figures.claims_by_budget import plot_claims_by_budget
from cggan.results.figures.curves import curve_label, plot_curves
from cggan.results.figures.samples import plot_samples
from cggan.results.figures.sweep import plot_sweep
from cggan.results.runs.load import metric_info
from cggan.results.statistics.beta import is_cg
from cggan.results.tables.calibration import (
    calibration_csv,
    calibration_rows,
    render_calibration,
)
from cggan.results.tables.formatting import write_csv
from cggan.results.tables.paper_table import render_paper_table
from cggan.results.tables.seed_tables import render_seed_table, render_summary

__all__ = [
    "PLOT_KINDS",
    "AggregateResult",
    "cg_experiments",
    "write_plots",
    "write_tables",
]

#: The figures of every experiment, ``plots/<kind>_<experiment>.png``.
PLOT_KINDS = ("curves", "sweep", "samples")


@dataclass
class AggregateResult:
    """What :func:`aggregate` wrote, and the tables it wrote them from."""

    paths: list[Path] = field(default_factory=list)
    paper: pd.DataFrame | None = None
    seeds: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None
    cg_vs_momentum: pd.DataFrame | None = None
    claims: pd.DataFrame | None = None
    runs_csv: str | None = None
    runs_table: pd.DataFrame | None = None
    plan: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None


def _table_files(result: AggregateResult) -> dict[str, str | pd.DataFrame]:
    """File name under ``tables/`` -> its text (md, tex) or its table (csv)."""
    cal = result.calibration
    files: dict[str, str | pd.DataFrame] = {}
    files.update(
        zip(
            ("paper_table.md", "paper_table.tex"), render_paper_table(result.paper, cal)
        )
    )
    files["paper_table.csv"] = result.paper
    files.update(zip(("seeds.md", "seeds.tex"), render_seed_table(result.seeds, cal)))
    files["seeds.csv"] = result.seeds
    files["summary.md"] = render_summary(result.summary, cal)
    files["summary.csv"] = result.summary
    files["calibration.md"] = render_calibration(cal)
    files["calibration.csv"] = calibration_csv(cal)
    files["cg_vs_momentum.md"] = render_cg_vs_momentum(result.cg_vs_momentum)
    files["cg_vs_momentum.csv"] = result.cg_vs_momentum
    files["claims.md"] = render_claims(result.claims, result.plan)
    files["claims.csv"] = result.claims
    files["runs.csv"] = result.runs_csv
    return files


def write_tables(result: AggregateResult, out_dir: Path) -> None:
    """Write ``tables/`` and ``metrics.json`` under ``out_dir``; record their paths."""
    folder = out_dir / "tables"
    for name, content in _table_files(result).items():
        if isinstance(content, str):
            atomic_write_text(folder / name, content)
        else:
            write_csv(folder / name, content)
        result.paths.append(folder / name)
    atomic_write_json(out_dir / "metrics.json", result.metrics)
    result.paths.append(out_dir / "metrics.json")


def _converged_labels(
    table: pd.DataFrame | None, experiment: str, tolerance: float
) -> dict[tuple[str, str], str]:
    """``(curve label, rule) -> "improving, 2/10 runs flat"``: each confirmed pool's
    state by the pool-level test (:func:`cggan.convergence.pool_convergence`) and its
    runs within the tolerance."""
    if table is None or table.empty:
        return {}
    confirm = table[
        (table["experiment"] == experiment)
        & (table["phase"] == "confirm")
        & table["converged"].notna()
    ]
    out = {}
    for (method, setting, rule), rows in confirm.groupby(
        ["method", "setting", "lr_rule"]
    ):
        label = curve_label(method, setting)
        state = pool_convergence(
            rows["improvement_last_quarter"].astype(float).tolist(), tolerance
        )["state"]
        flat = int(rows["converged"].sum())
        out[(label, rule)] = f"{state}, {flat}/{len(rows)} runs flat"
    return out


def cg_experiments(runs: pd.DataFrame) -> list[str]:
    """The experiments with CG runs (they get a β plot and its data)."""
    return sorted(set(runs.loc[runs["method"].map(is_cg), "experiment"]))


def _write_beta(
    result: AggregateResult, out_dir: Path, frames: dict[str, pd.DataFrame], draw: bool
) -> None:
    beta = frames["beta"]
    for experiment in cg_experiments(frames["runs"]):
        data_path = out_dir / "plots" / "data" / f"beta_{experiment}.csv"
        write_csv(data_path, beta[beta["experiment"] == experiment])
        result.paths.append(data_path)
        if draw:
            path = out_dir / "plots" / f"beta_{experiment}.png"
            plot_beta(beta, experiment, path)
            result.paths.append(path)


def write_plots(
    result: AggregateResult,
    out_dir: Path,
    frames: dict[str, pd.DataFrame],
    rank_by: str,
    draw: bool,
) -> None:
    """Write each experiment's curve data and (``draw``) its figures under ``plots/``,
    and the β data and figures of the experiments with CG runs; record their paths."""
    runs, curves = frames["runs"], frames["curves"]
    folder = out_dir / "plots"
    for experiment in sorted(runs["experiment"].unique()):
        _, mode = metric_info(runs, experiment)
        data_path = folder / "data" / f"curves_{experiment}.csv"
        write_csv(data_path, curves[curves["experiment"] == experiment])
        result.paths.append(data_path)
        if not draw:
            continue
        paths = {k: folder / f"{k}_{experiment}.png" for k in PLOT_KINDS}
        scale = calibration_rows(result.calibration, experiment)  # [] unless FID
        plot_curves(
            curves,
            experiment,
            mode,
            paths["curves"],
            scale,
            converged=_converged_labels(
                result.runs_table, experiment, result.plan["convergence_tolerance"]
            ),
        )
        plot_sweep(frames["sweep"], experiment, rank_by, paths["sweep"])
        plot_samples(frames["confirmed"], experiment, paths["samples"])
        result.paths.extend(paths.values())
        budget_path = folder / f"claims_budget_{experiment}.png"
        if result.claims is not None and plot_claims_by_budget(
            result.claims, experiment, budget_path
        ):
            result.paths.append(budget_path)
    _write_beta(result, out_dir, frames, draw)
