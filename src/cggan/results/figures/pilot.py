"""The pilot's figure, ``pilot_curves.png``: each pilot pool's FID against iteration
past the study's length (the pilot's numbers: :mod:`cggan.study.pilot`;
``scripts/pilot_report.py`` draws it), in the look of the study's figures."""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
import pandas as pd

from cggan.results.figures.style import save_figure

__all__ = ["plot_pilot"]


def plot_pilot(
    curves: pd.DataFrame, chosen: int, path: str | os.PathLike, floor: float | None
) -> None:
    """FID against iteration for every pilot pool (mean over its seeds, the band from
    the lowest to the highest seed), the chosen length as a line."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for (method, setting), pool in curves.groupby(["method", "setting"], sort=True):
        pool = pool[pool["iteration"] > 0]
        by_iteration = pool.groupby("iteration")["fid"]
        mean, low, high = by_iteration.mean(), by_iteration.min(), by_iteration.max()
        n = pool["seed"].nunique()
        (line,) = ax.plot(
            mean.index, mean.values, label=f"{method} {setting} ({n} seeds)"
        )
        ax.fill_between(
            mean.index,
            low.values,
            high.values,
            alpha=0.15,
            color=line.get_color(),
            linewidth=0,
        )
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
    ax.set_title("Pilot: FID of each pool's seeds past the study's length", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    save_figure(fig, path)
