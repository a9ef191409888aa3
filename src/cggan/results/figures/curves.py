"""The study's figures: metric curves, every sweep run, samples of the best runs.

One PNG per kind and experiment, ``plots/<kind>_<experiment>.png`` (:data:`PLOT_KINDS`),
written atomically; the β figure of an experiment with CG runs is
:mod:`cggan.results.beta_plot`'s. Diverged and failed runs are counted on the figures,
never hidden. The curves of an FID experiment with a measured calibration carry its real
floor and noise reference as grey reference lines.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import transforms

from cggan.results.calibration import FLOOR, NOISE_REF
from cggan.results.plot_style import (
    line_dashes,
    method_palette,
    note,
    save_figure,
    use_log_scale,
)
from cggan.results.runs import metric_info, ordered_methods, ordered_rules
from cggan.results.stats import rank_column
from cggan.results.tables import direction_text, metric_label, num
from cggan.study.layout import LR_GRID, pool_of_setting

__all__ = ["PLOT_KINDS", "plot_curves", "plot_samples", "plot_sweep"]

PLOT_KINDS = ("curves", "sweep", "samples")


def _curve_panel(ax, panel: pd.DataFrame, methods, palette, dashes) -> None:
    if panel.empty:
        note(ax, "no evaluated runs")
        return
    sns.lineplot(
        data=panel,
        x="iteration",
        y="value",
        hue="method",
        hue_order=[m for m in methods if m in set(panel["method"])],
        style="method",
        dashes=dashes,
        palette=palette,
        estimator="mean",
        errorbar="sd",
        linewidth=1.6,
        err_kws={"alpha": 0.2 if len(methods) <= 6 else 0.1},
        ax=ax,
        legend=False,
    )


# grey reference lines of the FID calibration (cggan.results.calibration)
_REFERENCE_STYLE = {FLOOR: ":", NOISE_REF: "--"}


def _references(
    references: Sequence[Mapping[str, Any]], log: bool
) -> list[tuple[str, float, str]]:
    """``(label, value, linestyle)`` of the measured references the axis can show."""
    out = []
    for ref in references:
        value = float(ref.get("value", math.nan))
        if math.isfinite(value) and (value > 0 or not log):
            out.append((ref["label"], value, _REFERENCE_STYLE.get(ref["label"], "-.")))
    return out


def _draw_references(ax, references: list[tuple[str, float, str]]) -> None:
    # axhline takes part in autoscaling: the y range holds both lines (log or linear)
    for label, value, style in references:
        ax.axhline(
            value, color="grey", linestyle=style, linewidth=1.2, label=label, zorder=1.5
        )
        ax.annotate(
            f"{label}: {num(value)}",
            xy=(1.0, value),
            xytext=(-3, 2),
            xycoords=ax.get_yaxis_transform(),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=7,
            color="dimgrey",
        )


def curve_label(method: str, setting: str) -> str:
    """A confirmed setting's line: the method, and its pool when it sweeps one."""
    pool = pool_of_setting(str(setting), LR_GRID)
    return method if pool == LR_GRID else f"{method} {pool}"


def plot_curves(
    curves: pd.DataFrame,
    experiment: str,
    mode: str,
    path: str | os.PathLike,
    references: Sequence[Mapping[str, Any]] = (),
    converged: Mapping[tuple[str, str], str] | None = None,
) -> plt.Figure:
    """Metric vs iteration, mean ± sd band over seeds, one panel per rule; one line
    per confirmed setting (a method's pool: ``momentum momentum~0.9``).

    Args:
        curves: :func:`cggan.results.curves.read_curves` of the confirmed runs.
        experiment: the experiment drawn.
        mode: ``"min"`` or ``"max"``, the metric's direction.
        path: the PNG written.
        references: ``{"label", "value"}`` horizontal lines on every panel, e.g. the
            FID calibration (:func:`cggan.results.calibration.calibration_rows`); a
            NaN value (not measured) draws nothing.
        converged: ``(line label, rule) -> "improving, 2/10 runs flat"``: the pool's
            convergence by the pool-level test and its runs within the tolerance
            (cggan.convergence); shown beside each line's legend entry, so that a
            curve still falling at the end is marked as such.

    Returns:
        The saved (closed) figure, for inspection.
    """
    data = curves[curves["experiment"] == experiment].copy()
    data["method"] = [
        curve_label(m, s) for m, s in zip(data["method"], data["setting"])
    ]
    rules = ordered_rules(data["lr_rule"]) or ["(none)"]
    methods = ordered_methods(data["method"])
    metric = data["metric"].iloc[0] if len(data) else "metric"
    fig, axes = plt.subplots(
        1, len(rules), figsize=(5.2 * len(rules) + 1.5, 4.6), sharey=True, squeeze=False
    )
    palette, dashes = method_palette(methods), line_dashes(methods)
    for ax, rule in zip(axes[0], rules):
        panel = data[data["lr_rule"] == rule]
        _curve_panel(ax, panel, methods, palette, dashes)
        n_seeds = panel.groupby(["method"])["seed"].nunique().max() if len(panel) else 0
        ax.set_title(f"{rule} rule (≤{n_seeds} seeds per method)", fontsize=10)
        ax.set_xlabel("iteration")
        ax.set_ylabel(f"{metric_label(metric)} ({direction_text(mode)})")
    log = use_log_scale(data["value"].to_numpy(dtype=float), mode)
    if log:
        for ax in axes[0]:
            ax.set_yscale("log")
    lines = _references(references, log)
    for ax in axes[0]:
        _draw_references(ax, lines)
    converged = converged or {}

    def legend_label(label: str) -> str:
        notes = [
            f"{rule}: {converged[(label, rule)]}"
            for rule in rules
            if (label, rule) in converged
        ]
        return f"{label} ({', '.join(notes)})" if notes else label

    handles = [
        plt.Line2D(
            [],
            [],
            color=palette[m],
            linewidth=1.6,
            dashes=dashes[m] or (None, None),
            label=legend_label(m),
        )
        for m in methods
    ]
    handles += [
        plt.Line2D([], [], color="grey", linestyle=style, linewidth=1.2, label=label)
        for label, _, style in lines
    ]
    if handles:
        fig.legend(
            handles=handles,
            title="method",
            loc="center left",
            bbox_to_anchor=(1.0, 0.5),
            frameon=False,
        )
    fig.suptitle(
        f"{experiment}: {metric_label(metric)} during training, selected setting "
        "(line: seed mean, band: ± 1 sd)"
    )
    fig.tight_layout()
    save_figure(fig, path)
    return fig


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
