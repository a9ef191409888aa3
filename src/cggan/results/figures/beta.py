"""The β figure of the CG methods: mean β and the share of steps at the cap over
iterations, per player, ``plots/beta_<experiment>.png`` (written atomically) for an
experiment with CG runs."""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from cggan.results.figures.style import method_palette, note, save_figure
from cggan.results.runs.load import ordered_methods, ordered_rules

__all__ = ["plot_beta"]

_RULE_DASHES = ("", (4, 2), (1, 2), (6, 2, 1, 2))


def _beta_panel(ax, panel: pd.DataFrame, methods, palette, dashes) -> None:
    if panel.empty:
        note(ax, "no β recorded\n(runs older than the β diagnostics)")
        return
    sns.lineplot(
        data=panel,
        x="iteration",
        y="value",
        hue="method",
        hue_order=methods,
        palette=palette,
        style="lr_rule",
        style_order=list(dashes),
        dashes=dashes,
        estimator="mean",
        errorbar="sd",
        linewidth=1.4,
        err_kws={"alpha": 0.15},
        ax=ax,
        legend=False,
    )


def plot_beta(beta: pd.DataFrame, experiment: str, path: str | os.PathLike) -> None:
    """Mean β and the share of steps at the cap over iterations, per CG method.

    Args:
        beta: :func:`cggan.results.statistics.beta.read_beta_curves` of the confirmed
            runs.
        experiment: the experiment drawn.
        path: the PNG written.
    """
    data = beta[beta["experiment"] == experiment]
    methods, rules = ordered_methods(data["method"]), ordered_rules(data["lr_rule"])
    palette = method_palette(methods)
    dashes = {r: _RULE_DASHES[i % len(_RULE_DASHES)] for i, r in enumerate(rules)}
    fig, axes = plt.subplots(2, 2, figsize=(11.5, 7.0), sharex=True, sharey=True)
    for i, statistic in enumerate(("mean β", "share capped")):
        for j, player in enumerate(("G", "D")):
            ax = axes[i, j]
            panel = data[(data["statistic"] == statistic) & (data["player"] == player)]
            _beta_panel(ax, panel, methods, palette, dashes)
            ax.set_ylim(-0.03, 1.03)
            who = "generator" if player == "G" else "discriminator"
            ax.set_title(f"{statistic}, {who}", fontsize=10)
            ax.set_xlabel("iteration")
            ax.set_ylabel(statistic)
    handles = [
        plt.Line2D([], [], color=palette[m], linewidth=1.6, label=m) for m in methods
    ]
    handles += [
        plt.Line2D([], [], color="grey", dashes=d or (None, None), label=f"rule {r}")
        for r, d in dashes.items()
    ]
    if handles:
        fig.legend(
            handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False
        )
    fig.suptitle(
        f"{experiment}: β of the CG methods, selected setting (line: seed mean, "
        "band: ± 1 sd; cap = c·β_max)"
    )
    fig.tight_layout()
    save_figure(fig, path)
