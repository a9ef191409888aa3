"""A run's ``metrics.csv``, read whole and checked: a file that cannot be read, is
empty or was cut short is an error naming it.

The one reader of the file the trainer rewrites whole at each evaluation
(:mod:`cggan.train.outputs`): the pilot (:mod:`cggan.study.pilot`) reads its runs'
curves with it, and so do the results (:mod:`cggan.results.runs.curves`, the β curves
of :mod:`cggan.results.statistics.beta`). Torch-free.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd

__all__ = ["read_metrics_csv"]


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
