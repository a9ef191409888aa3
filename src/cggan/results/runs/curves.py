"""A run's ``metrics.csv``, read whole and checked, and the metric curves of the
confirmation runs in long format (:data:`CURVE_COLUMNS`, ``plots/data/curves_<exp>.csv``
and the curves figure). A file that cannot be read is an error naming it.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import pandas as pd

__all__ = ["CURVE_COLUMNS", "read_curves", "read_metrics_csv"]

CURVE_COLUMNS = ["experiment", "method", "lr_rule", "setting", "seed", "metric",
                 "iteration", "value"]  # fmt: skip


def read_metrics_csv(path: str | os.PathLike) -> pd.DataFrame:
    """A run's ``metrics.csv``, checked whole (every row as wide as the header).

    Raises:
        ValueError: ``"<path>: <reason>"`` for an unreadable, empty or truncated file.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: unreadable ({exc})") from None
    if not text:
        raise ValueError(f"{path}: empty file")
    # The trainer rewrites the file whole, each line complete: anything else was cut.
    if not text.endswith("\n"):
        raise ValueError(f"{path}: truncated (no final newline)")
    rows = list(csv.reader(io.StringIO(text)))
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise ValueError(
                f"{path}: truncated or invalid (line {number} has {len(row)} fields, "
                f"the header {len(rows[0])})"
            )
    try:
        return pd.read_csv(io.StringIO(text))
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise ValueError(f"{path}: invalid CSV ({exc})") from None


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
