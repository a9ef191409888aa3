"""How the study's figures look and are saved: one palette and line style per method,
a log axis where a metric spans orders of magnitude, and PNGs written atomically with
bytes that do not depend on matplotlib's version. Headless (the Agg backend): the
workflow and CI have no display."""

from __future__ import annotations

import os
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot draws a figure: no display in the workflow, CI

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from cggan.io import atomic_open

__all__ = [
    "DPI",
    "line_dashes",
    "method_palette",
    "note",
    "save_figure",
    "use_log_scale",
]

DPI = 120


def save_figure(fig: plt.Figure, path: str | os.PathLike) -> None:
    """Write ``fig`` as a PNG at :data:`DPI`, atomically, and close it."""
    with atomic_open(path, "wb") as fh:
        # no "Software" entry: the bytes do not depend on matplotlib's version
        fig.savefig(
            fh, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None}
        )
    plt.close(fig)


def method_palette(methods: list[str]) -> dict[str, Any]:
    """One distinct colour per method, in the given order."""
    if len(methods) <= 10:
        colors = sns.color_palette("tab10", len(methods))
    else:
        # tab20 comes in dark/light pairs: all dark shades first so neighbours differ
        tab20 = sns.color_palette("tab20", 20)
        extra = sns.color_palette("husl", max(0, len(methods) - 20))
        colors = (tab20[0::2] + tab20[1::2] + extra)[: len(methods)]
    return dict(zip(methods, colors))


def line_dashes(methods: list[str]) -> dict[str, Any]:
    """Solid lines for the first ten methods, dashed for the rest."""
    return {m: "" if i < 10 else (4, 2) for i, m in enumerate(methods)}


def use_log_scale(values: np.ndarray, mode: str) -> bool:
    """Whether a metric's axis is logarithmic: a positive "min" metric over a range of
    more than 20x."""
    values = values[np.isfinite(values)]
    # FID spans orders of magnitude (hundreds early, tens late); modes counts do not
    return (
        mode == "min"
        and len(values) > 0
        and values.min() > 0
        and values.max() / values.min() > 20
    )


def note(ax: plt.Axes, text: str) -> None:
    """A centred text on an empty panel (no runs, no samples, no β)."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
