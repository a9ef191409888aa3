"""β diagnostics of the conjugate-gradient methods: seed means and curves.

A CG run records, per player (G, D) and evaluation interval, the mean β of its steps and
the shares of steps at the cap c·β_max and at 0: ``metrics.csv`` columns
``beta_mean_g, beta_mean_d, beta_capped_g, beta_capped_d, beta_zero_g, beta_zero_d``
(values in [0, 1], empty for other methods), and their run averages in ``summary.json``
(``"beta": {"mean_g", ...}``; null or absent for other methods). A β at its cap on
almost every step makes a CG method heavy-ball momentum of that size, which the tables
therefore show beside each CG row. Runs older than these diagnostics have neither: every
reader here takes them as absent (NaN, no curve), never as an error.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from cggan.registry import is_cg_method
from cggan.results.runs.load import BETA_COLUMNS, finite_or_nan
from cggan.study.metrics_csv import read_metrics_csv

__all__ = [
    "BETA_CURVE_COLUMNS",
    "STATISTICS",
    "beta_means",
    "has_beta",
    "is_cg",
    "read_beta_curves",
]

#: metrics.csv column prefix -> the statistic's name in the curve data and the plot.
STATISTICS = {"beta_mean": "mean β", "beta_capped": "share capped",
              "beta_zero": "share zero"}  # fmt: skip
BETA_CURVE_COLUMNS = ["experiment", "method", "lr_rule", "setting", "seed",
                      "iteration", "player", "statistic", "value"]  # fmt: skip
_KEYS = ["experiment", "method", "lr_rule", "setting", "seed"]


def is_cg(method: object) -> bool:
    """A conjugate-gradient method (``cg_<rule>`` or ``cg_<rule>_authors``)."""
    return isinstance(method, str) and is_cg_method(method)


def beta_means(group: pd.DataFrame) -> dict[str, float]:
    """Seed means of the runs' β averages (NaN where no seed reports one)."""
    out = {}
    for column in BETA_COLUMNS:
        values = pd.Series(group.get(column, []), dtype=object)
        values = pd.to_numeric(values, errors="coerce").dropna()
        out[column] = float(values.mean()) if len(values) else math.nan
    return out


def has_beta(row: pd.Series | dict) -> bool:
    """Whether a table row holds any β value."""
    return any(not math.isnan(finite_or_nan(row.get(c))) for c in BETA_COLUMNS)


def _beta_curve(run: pd.Series) -> pd.DataFrame | None:
    path = Path(str(run.get("run_dir"))) / "metrics.csv"
    if not path.is_file():
        return None
    table = read_metrics_csv(path)
    present = [c for c in BETA_COLUMNS if c in table.columns]
    if not present or "iteration" not in table.columns:
        return None
    wide = table[["iteration", *present]].apply(pd.to_numeric, errors="coerce")
    long = wide.melt(id_vars="iteration", var_name="column", value_name="value")
    long = long[long["value"].between(0.0, 1.0)]  # empty cells and bad values out
    if long.empty:
        return None
    parts = [c.rpartition("_") for c in long["column"]]
    long = long.assign(
        player=[p[2].upper() for p in parts],
        statistic=[STATISTICS[p[0]] for p in parts],
    )
    for column in reversed(_KEYS):
        long.insert(0, column, run[column])
    return long[BETA_CURVE_COLUMNS]


def read_beta_curves(confirmed: pd.DataFrame) -> pd.DataFrame:
    """Long-format β curves of the confirmed CG runs (no rows for other methods).

    Raises:
        ValueError: a CG run's ``metrics.csv`` is unreadable or truncated (names it).
    """
    cg = confirmed[confirmed["method"].map(is_cg)] if len(confirmed) else confirmed
    frames = [f for _, run in cg.iterrows() if (f := _beta_curve(run)) is not None]
    if not frames:
        return pd.DataFrame(columns=BETA_CURVE_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["iteration"] = out["iteration"].astype(int)
    return out
