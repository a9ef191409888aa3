"""The sweep figure, ``plots/sweep_<experiment>.png``: every sweep run's metric per
method, one panel per learning-rate rule; diverged and failed runs are counted above
each method, never hidden."""

from __future__ import annotations

import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import transforms

from cggan.results.figures.style import method_palette, save_figure, use_log_scale
from cggan.results.runs.load import metric_info, ordered_methods, ordered_rules
from cggan.results.statistics.top_k import rank_column
from cggan.results.tables.formatting import direction_text, metric_label

__all__ = ["plot_sweep"]


def _sweep_points(ax, panel: pd.DataFrame, column: str, methods, palette) -> None:
    if not len(panel):
        ax.set_xticks(range(len(methods)), methods)
        return
    common = {
        "data": panel,
        "x": "method",
        "y": column,
        "order": methods,
        "hue": "method",
        "hue_order": methods,
        "palette": palette,
        "legend": False,
        "ax": ax,
    }
    # seaborn 0.13 passes matplotlib's deprecated `vert`
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        sns.boxplot(**common, showfliers=False, width=0.6, boxprops={"alpha": 0.35})
    # seaborn's jitter draws from numpy's global RNG: seeded here (and the caller's
    # state put back), so that two runs of a study draw byte-identical PNGs
    state = np.random.get_state()
    np.random.seed(0)
    try:
        sns.stripplot(**common, size=5, jitter=0.15, edgecolor="black", linewidth=0.5)
    finally:
        np.random.set_state(state)


def _status_marks(runs: pd.DataFrame, column: str) -> list[str]:
    """``["1 div", "2 fail", ...]`` for one method × rule's sweep runs."""
    if runs.empty:
        return ["no runs"]
    n_div = int((runs["status"] == "diverged").sum())
    n_fail = int(runs["status"].isin(["failed", "missing"]).sum())
    n_nan = int(((runs["status"] == "finished") & runs[column].isna()).sum())
    return (
        [f"{n_div} div"] * bool(n_div)
        + [f"{n_fail} fail"] * bool(n_fail)
        + [f"{n_nan} no value"] * bool(n_nan)
    )


def _sweep_marks(ax, data: pd.DataFrame, rule: str, column: str, methods) -> None:
    # above the panel (x in data units, y in axes units), so they never hide points
    trans = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    for i, method in enumerate(methods):
        runs = data[(data["method"] == method) & (data["lr_rule"] == rule)]
        marks = _status_marks(runs, column)
        if marks:
            ax.text(
                i,
                1.02,
                "\n".join(marks),
                transform=trans,
                ha="center",
                va="bottom",
                fontsize=7,
                color="firebrick",
            )


def plot_sweep(
    sweep: pd.DataFrame, experiment: str, rank_by: str, path: str | os.PathLike
) -> None:
    """Each sweep run's metric per method × rule; diverged/failed counts above."""
    column = rank_column(rank_by)
    data = sweep[sweep["experiment"] == experiment].copy()
    metric, mode = metric_info(sweep, experiment)
    methods = ordered_methods(data["method"])
    rules = ordered_rules(data["lr_rule"])
    ok = data[(data["status"] == "finished") & data[column].notna()]
    width = max(6.0, 0.55 * len(methods) + 2.0)
    fig, axes = plt.subplots(
        len(rules),
        1,
        figsize=(width, 3.3 * len(rules) + 0.8),
        sharex=True,
        squeeze=False,
    )
    palette = method_palette(methods)
    log = use_log_scale(ok[column].to_numpy(dtype=float), mode)
    for ax, rule in zip(axes[:, 0], rules):
        _sweep_points(ax, ok[ok["lr_rule"] == rule], column, methods, palette)
        if log:
            ax.set_yscale("log")
        _sweep_marks(ax, data, rule, column, methods)
        ax.set_title(f"{rule} rule", fontsize=10, pad=26)
        ax.set_xlabel("")
        ax.set_ylabel(f"{rank_by} {metric_label(metric)}")
    rotate = len(methods) > 5
    axes[-1, 0].set_xlabel("method")
    axes[-1, 0].tick_params(axis="x", labelrotation=45 if rotate else 0)
    for label in axes[-1, 0].get_xticklabels():
        label.set_ha("right" if rotate else "center")
    fig.suptitle(
        f"{experiment}: {rank_by} {metric_label(metric)} of every sweep run "
        f"({len(data)} runs, one seed per setting; "
        f"{direction_text(mode)})\n"
        "red: diverged / failed runs, counted but not plotted",
        fontsize=11,
    )
    fig.tight_layout()
    save_figure(fig, path)
