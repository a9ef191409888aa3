"""The metric curves of the confirmation runs in long format (:data:`CURVE_COLUMNS`,
``plots/data/curves_<exp>.csv`` and the curves figure), read from each run's
``metrics.csv`` (:func:`cggan.study.metrics_csv.read_metrics_csv`: a file that cannot be
read is an error naming it).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from cggan.study.metrics_csv import read_metrics_csv

__all__ = ["CURVE_COLUMNS", "read_curves"]

CURVE_COLUMNS = ["experiment", "method", "lr_rule", "setting", "seed", "metric",
                 "iteration", "value"]  # fmt: skip


def _curve(run: pd.Series) -> pd.DataFrame | None:
    path = Path(str(run.get("run_dir"))) / "metrics.csv"
    metric = run.get("metric_name")
    if not isinstance(metric, str) or not path.is_file():
        return None
    table = read_metrics_csv(path)
    if metric not in table.columns or "iteration" not in table.columns:
        return None
    values = pd.to_numeric(table[metric], errors="coerce")
    values = values.replace([float("inf"), float("-inf")], math.nan)
    frame = pd.DataFrame({"iteration": table["iteration"], "value": values}).dropna()
    frame.insert(0, "metric", metric)
    for column in ("seed", "setting", "lr_rule", "method", "experiment"):
        frame.insert(0, column, run[column])
    return frame


def read_curves(confirmed: pd.DataFrame) -> pd.DataFrame:
    """Long-format metric curves of the confirmation runs (rows without values dropped).

    Raises:
        ValueError: a run's ``metrics.csv`` is unreadable or truncated (names the file).
    """
    frames = [f for _, run in confirmed.iterrows() if (f := _curve(run)) is not None]
    if not frames:
        return pd.DataFrame(columns=CURVE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[CURVE_COLUMNS]
