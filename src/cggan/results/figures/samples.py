"""The samples figure, ``plots/samples_<experiment>.png``: the samples of the best
confirmed run of each method (its image grid, or its 2-D points), with its metric."""

from __future__ import annotations

import math
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cggan.results.figures.style import note, save_figure
from cggan.results.runs.load import metric_info, ordered_methods
from cggan.results.tables.formatting import metric_label, num

__all__ = ["plot_samples"]


def _sample_points(run_dir: Path) -> np.ndarray | None:
    """2-D sample points stored beside a run (samples.npy, or samples.csv with x, y)."""
    npy, csv = run_dir / "samples.npy", run_dir / "samples.csv"
    try:
        if npy.is_file():
            points = np.load(npy, allow_pickle=False)
        elif csv.is_file():
            frame = pd.read_csv(csv)
            columns = ["x", "y"] if {"x", "y"} <= set(frame.columns) else None
            points = (frame[columns] if columns else frame.iloc[:, :2]).to_numpy()
        else:
            return None
    except (OSError, ValueError, KeyError):
        return None
    points = np.asarray(points, dtype=float)
    return points if points.ndim == 2 and points.shape[1] == 2 else None


def _draw_samples(ax, run_dir: Path) -> None:
    points = _sample_points(run_dir)
    if points is not None:
        ax.axis("on")
        ax.scatter(
            points[:, 0], points[:, 1], s=3, alpha=0.5, color="tab:blue", linewidths=0
        )
        ax.set_aspect("equal")
        # data lie in [-1, 1]; widen only for samples that left it
        extent = 1.15
        if np.isfinite(points).any():
            extent = max(1.15, 1.05 * float(np.nanmax(np.abs(points))))
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        ax.tick_params(labelsize=6)
    elif (run_dir / "samples.png").is_file():
        ax.imshow(plt.imread(run_dir / "samples.png"), interpolation="nearest")
    else:
        note(ax, "no samples stored")


def _best_per_method(data: pd.DataFrame, mode: str) -> list[pd.Series]:
    picks = []
    for method in ordered_methods(data["method"]):
        values = data.loc[data["method"] == method, "final_metric"]
        picks.append(data.loc[values.idxmax() if mode == "max" else values.idxmin()])
    return picks


def plot_samples(
    confirmed: pd.DataFrame, experiment: str, path: str | os.PathLike
) -> None:
    """Mosaic of the best confirmed run per method (any rule), with its metric."""
    data = confirmed[
        (confirmed["experiment"] == experiment) & (confirmed["status"] == "finished")
    ]
    data = data[data["final_metric"].notna()]
    metric, mode = metric_info(confirmed, experiment)
    picks = _best_per_method(data, mode)
    ncols = max(1, min(5, len(picks)))
    nrows = max(1, math.ceil(len(picks) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(2.8 * ncols, 3.4 * nrows), squeeze=False
    )
    for ax in axes.flat:
        ax.axis("off")
    for ax, run in zip(axes.flat, picks):
        _draw_samples(ax, Path(run["run_dir"]))
        ax.set_title(
            f"{run['method']}\n{run['lr_rule']}, seed {int(run['seed'])}: "
            f"{metric_label(metric)} {num(run['final_metric'])}",
            fontsize=9,
        )
    if not picks:
        note(axes[0, 0], "no finished confirmation run")
    fig.suptitle(
        f"{experiment}: samples of the best confirmed run per method "
        f"(final {metric_label(metric)})",
        fontsize=11,
    )
    fig.tight_layout()
    save_figure(fig, path)
