"""The claims against the budget: each fresh-seed claim's effect with its 95 % interval
at every budget of the analysis plan, one panel per claim,
``plots/claims_budget_<experiment>.png`` (written atomically).

Read from the same confirmation runs at b x T iterations, so a claim that holds early
and fades (or the reverse) shows as a line crossing zero; the verdict of record is the
point at T. Primary claims only; grid claims (c, d) are drawn too when read at budgets.
"""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cggan.results.claims.render import budget_label
from cggan.results.figures.style import save_figure

__all__ = ["plot_claims_by_budget"]

_VERDICT_COLOURS = {
    "holds": "tab:green",
    "contradicted": "tab:red",
    "equivalent": "tab:blue",
    "better": "tab:green",
    "worse": "tab:red",
    "inconclusive": "tab:gray",
}


def plot_claims_by_budget(
    claims: pd.DataFrame, experiment: str, path: str | os.PathLike
) -> plt.Figure | None:
    """Draw one experiment's primary claims against the budget; None (nothing
    written) when its claims are read at one budget only."""
    rows = claims[(claims["experiment"] == experiment) & (claims["role"] == "primary")]
    if rows.empty or rows["budget"].nunique() < 2:
        return None
    keys = list(dict.fromkeys(zip(rows["claim"], rows["side_a"], rows["side_b"])))
    columns = min(len(keys), 3)
    lines = int(np.ceil(len(keys) / columns))
    fig, axes = plt.subplots(
        lines, columns, figsize=(4.2 * columns, 3.2 * lines), squeeze=False
    )
    for ax, (claim, side_a, side_b) in zip(axes.ravel(), keys):
        panel = rows[
            (rows["claim"] == claim)
            & (rows["side_a"] == side_a)
            & (rows["side_b"] == side_b)
        ].sort_values("budget")
        x = panel["budget"].to_numpy(dtype=float)
        effect = panel["effect"].to_numpy(dtype=float)
        low = effect - panel["ci_low"].to_numpy(dtype=float)
        high = panel["ci_high"].to_numpy(dtype=float) - effect
        ax.plot(x, effect, color="0.4", linewidth=1.0, zorder=1)
        for xi, ei, lo, hi, verdict in zip(x, effect, low, high, panel["verdict"]):
            ax.errorbar(
                xi,
                ei,
                yerr=[[lo], [hi]],
                fmt="o",
                color=_VERDICT_COLOURS.get(verdict, "black"),
                capsize=3,
                zorder=2,
            )
        margin = panel["margin"].astype(float).dropna()
        if len(margin):
            m = float(margin.iloc[-1])
            ax.axhspan(-m, m, color="tab:blue", alpha=0.08, linewidth=0)
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xticks(x, [budget_label(b) for b in x])
        ax.set_xlabel("budget (iterations)")
        ax.set_ylabel("effect a − b")
        ax.set_title(f"{claim}. {side_a} vs {side_b}", fontsize=9)
    for ax in axes.ravel()[len(keys) :]:
        ax.set_visible(False)
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color=colour, label=verdict)
        for verdict, colour in _VERDICT_COLOURS.items()
        if verdict in set(rows["verdict"])
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False)
    fig.suptitle(
        f"{experiment}: each claim's effect [95 % CI] at every budget "
        "(same confirmation runs; Holm per budget)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    save_figure(fig, path)
    return fig
