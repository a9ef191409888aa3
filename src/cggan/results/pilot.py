"""The run-length pilot: how long until each method's FID stops improving.

A pilot study (``config/pilot.yaml``) trains a few methods far longer than the study
will; this module reads its runs and asks, for every candidate length L (every
evaluation point), whether a run stopped at L would count as converged: the convergence
diagnostic (:mod:`cggan.convergence`) computed on the run's evaluations up to L. The
study's ``iterations`` is then chosen as the shortest length at which the pilot's runs
are converged (or where the remaining improvement is small), and the table and curves
are committed beside the study so a reader can check the choice.

Torch-free (pandas, matplotlib).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cggan.convergence import convergence_diagnostic, is_converged
from cggan.results.curves import read_metrics_csv
from cggan.study.layout import parse_run_dir

__all__ = ["PILOT_COLUMNS", "pilot_lengths", "plot_pilot", "read_pilot"]

PILOT_COLUMNS = ["method", "setting", "length", "fid", "improvement_last_quarter",
                 "converged"]  # fmt: skip


def read_pilot(run_dirs: Sequence[str | os.PathLike]) -> pd.DataFrame:
    """The evaluations of every pilot run: method, setting, iteration, fid."""
    rows = []
    for run_dir in run_dirs:
        where = parse_run_dir(run_dir)
        metrics = read_metrics_csv(Path(run_dir) / "metrics.csv")
        for r in metrics.itertuples(index=False):
            rows.append(
                {
                    "method": where["method"],
                    "setting": where["setting"],
                    "iteration": int(r.iteration),
                    "fid": float(r.fid),
                }
            )
    return pd.DataFrame(rows, columns=["method", "setting", "iteration", "fid"])


def pilot_lengths(curves: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Per run and candidate length L: the FID at L, the improvement over the last
    quarter of a run stopped at L, and whether it counts as converged."""
    rows = []
    for (method, setting), run in curves.groupby(["method", "setting"], sort=True):
        run = run.sort_values("iteration")
        records = run.to_dict("records")
        for i, point in enumerate(records):
            if point["iteration"] == 0:
                continue
            diag = convergence_diagnostic(records[: i + 1], "fid", "min") or {}
            improvement = diag.get("improvement_last_quarter")
            rows.append(
                {
                    "method": method,
                    "setting": setting,
                    "length": point["iteration"],
                    "fid": point["fid"],
                    "improvement_last_quarter": improvement,
                    "converged": is_converged(improvement, tolerance),
                }
            )
    return pd.DataFrame(rows, columns=PILOT_COLUMNS)


def plot_pilot(
    curves: pd.DataFrame, chosen: int, path: str | os.PathLike, floor: float | None
) -> None:
    """FID against iteration for every pilot run, the chosen length as a line."""
    import matplotlib.pyplot as plt

    from cggan.results.plot_style import save_figure  # matplotlib only when drawing

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for (method, setting), run in curves.groupby(["method", "setting"], sort=True):
        run = run[run["iteration"] > 0].sort_values("iteration")
        ax.plot(run["iteration"], run["fid"], marker=".", label=f"{method} {setting}")
    ax.axvline(chosen, color="black", linestyle="--", linewidth=1)
    ax.text(
        chosen,
        0.97,
        f" study length {chosen}",
        transform=ax.get_xaxis_transform(),
        fontsize=8,
        va="top",
    )
    if floor:
        ax.axhline(floor, color="grey", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("FID (classifier features, 500 samples; log scale)")
    ax.set_title("Pilot: FID of single runs far past the study's length", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    save_figure(fig, path)
