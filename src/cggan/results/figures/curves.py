"""The curves figure, ``plots/curves_<experiment>.png``: each confirmed setting's
metric against iteration, mean ± sd over its seeds, one panel per learning-rate rule.

The curves of an FID experiment with a measured calibration carry its real floor and
noise reference as grey reference lines (:mod:`cggan.results.tables.calibration`); a
pool's convergence by the pool-level test stands beside its legend entry.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from cggan.results.figures.style import (
    line_dashes,
    method_palette,
    note,
    save_figure,
    use_log_scale,
)
from cggan.results.runs.load import ordered_methods, ordered_rules
from cggan.results.tables.calibration import FLOOR, NOISE_REF
from cggan.results.tables.formatting import direction_text, metric_label, num
from cggan.study.layout import LR_GRID, pool_of_setting

__all__ = ["curve_label", "plot_curves"]


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


# grey reference lines of the FID calibration (cggan.results.tables.calibration)
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
        curves: :func:`cggan.results.runs.curves.read_curves` of the confirmed runs.
        experiment: the experiment drawn.
        mode: ``"min"`` or ``"max"``, the metric's direction.
        path: the PNG written.
        references: ``{"label", "value"}`` horizontal lines on every panel, e.g. the
            FID calibration
            (:func:`cggan.results.tables.calibration.calibration_rows`); a NaN value
            (not measured) draws nothing.
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
