"""The FID scale of each experiment: a real floor and a noise reference.

An FID has no scale of its own: its value depends on the features, the sample count N
and the reference statistics. For every FID experiment another job measures, with the
same N and reference statistics as the runs, the FID of

* held-out **real** images (the test split where there is one): the **floor**, what a
  perfect generator scores at this N, and
* **pixel noise** matched to the data's per-channel mean and std: the **noise
  reference**, what
  a generator that learnt nothing the features see scores,

into ``Study.calibration_path(experiment)``: JSON ``{"real_floor", "noise_reference",
"n", "real_split"}``. This module reads those files (a missing one = "not measured", an
unreadable or invalid one = a one-line error naming it), writes
``tables/calibration.{md,csv}`` (columns ``experiment, metric, real_floor,
noise_reference, n, untrained, classifier_accuracy``; empty cells = not measured) and
gives the other FID tables their two
calibration rows. In the paper, seeds and summary CSVs the calibration is two columns,
``real_floor`` and ``noise_reference``, on every row of an FID experiment (empty for
other
metrics), so that every CSV row stays one method × rule.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from cggan.results.runs.load import finite_or_nan, metric_info
from cggan.results.tables.formatting import DASH, md_table, metric_label, num

__all__ = [
    "CALIBRATION_COLUMNS",
    "CALIBRATION_TEXT",
    "NOISE_REF",
    "FLOOR",
    "NOT_MEASURED",
    "add_calibration_columns",
    "calibration_csv",
    "calibration_md_rows",
    "calibration_rows",
    "calibration_table",
    "read_calibration",
    "render_calibration",
    "study_calibration",
]

CALIBRATION_COLUMNS = ["experiment", "metric", "real_floor", "noise_reference", "n",
                       "untrained", "classifier_accuracy"]  # fmt: skip
FLOOR, NOISE_REF = "real data (floor)", "pixel noise (reference)"
NOT_MEASURED = "not measured"
Calibration = Mapping[str, Mapping[str, Any] | None]


def _invalid(path: Path, key: str, value: Any, allowed: str) -> ValueError:
    return ValueError(
        f"{path}: invalid calibration ({key}={value!r}; allowed: {allowed})"
    )


def read_calibration(path: str | os.PathLike) -> dict[str, Any] | None:
    """One calibration file; None when it does not exist (not measured).

    Raises:
        ValueError: ``"<path>: ..."`` (one line) for a file that cannot be read, is not
            a JSON object, or lacks a finite ``real_floor``/``noise_reference`` ≥ 0 or
            an
            integer ``n`` ≥ 1.
    """
    path = Path(path)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = " ".join(str(exc).split())
        raise ValueError(f"{path}: unreadable calibration ({reason})") from None
    if not isinstance(data, dict):
        reason = "not a JSON object"
        raise ValueError(f"{path}: unreadable calibration ({reason})")  # noqa: TRY004
    out: dict[str, Any] = {}
    for key in ("real_floor", "noise_reference"):
        # "noise_ceiling": the name calibrate.py wrote before it was called a reference
        value = data.get(
            key, data.get("noise_ceiling") if key == "noise_reference" else None
        )
        if isinstance(value, bool) or not finite_or_nan(value) >= 0:
            raise _invalid(path, key, value, "a finite number >= 0")
        out[key] = float(value)
    n = data.get("n")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise _invalid(path, "n", n, "an integer >= 1")
    split = data.get("real_split")
    return {**out, "n": n, "real_split": split if isinstance(split, str) else None}


def study_calibration(study: Any) -> dict[str, dict[str, Any] | None]:
    """``{experiment: calibration or None}`` of a study's FID experiments.

    Args:
        study: a :class:`cggan.study.Study` (its ``calibration_path``).
    """
    out = {}
    for experiment in study.experiments:
        path = study.calibration_path(experiment)
        if path is not None:
            record = read_calibration(path)
            if record is not None:
                accuracy = classifier_accuracy(study.fid_stats_path(experiment))
                record = {**record, "classifier_accuracy": accuracy}
            out[experiment] = record
    return out


def classifier_accuracy(stats_path: str | os.PathLike | None) -> float:
    """The test accuracy of the digits classifier whose features an FID experiment
    uses (recorded beside its reference statistics); NaN for other extractors."""
    if stats_path is None:
        return math.nan
    sidecar = Path(stats_path).with_suffix(".json")
    try:
        extra = json.loads(sidecar.read_text(encoding="utf-8")).get("extra") or {}
    except (OSError, ValueError, AttributeError):
        return math.nan
    return finite_or_nan(extra.get("classifier_test_accuracy"))


def calibration_table(
    runs: pd.DataFrame,
    calibration: Calibration | None = None,
    untrained: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """A row per FID experiment (of ``calibration`` or the runs); NaN: not measured.

    ``untrained``: per experiment, the FID of the untrained generators (the median over
    the runs of their evaluation at iteration 0); ``classifier_accuracy`` comes from
    the calibration record (:func:`study_calibration`).
    """
    untrained = untrained or {}
    calibration = calibration or {}
    experiments = set(calibration)
    for experiment in runs["experiment"].unique():
        if metric_info(runs, experiment)[0] == "fid":
            experiments.add(experiment)
    rows = []
    for experiment in sorted(experiments):
        record = calibration.get(experiment) or {}
        rows.append(
            {
                "experiment": experiment,
                "metric": "fid",
                "real_floor": record.get("real_floor", math.nan),
                "noise_reference": record.get("noise_reference", math.nan),
                "n": record.get("n"),
                "real_split": record.get("real_split"),
                "untrained": untrained.get(experiment, math.nan),
                "classifier_accuracy": record.get("classifier_accuracy", math.nan),
            }
        )
    table = pd.DataFrame(rows, columns=[*CALIBRATION_COLUMNS, "real_split"])
    table["n"] = table["n"].astype("Int64")
    return table


def add_calibration_columns(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``real_floor`` and ``noise_reference`` of its experiment's row."""
    values = table.set_index("experiment")[["real_floor", "noise_reference"]]
    out = frame.copy()
    for column in ("real_floor", "noise_reference"):
        out[column] = out["experiment"].map(values[column]).astype(float)
    return out


def calibration_rows(table: pd.DataFrame, experiment: str) -> list[dict[str, Any]]:
    """The two calibration rows of an FID experiment's tables; [] for other metrics.

    Each is ``{"label", "value", "n"}`` (value NaN and n None when not measured).
    """
    hit = table[table["experiment"] == experiment]
    if hit.empty:
        return []
    row = hit.iloc[0]
    n = None if pd.isna(row["n"]) else int(row["n"])
    return [
        {"label": FLOOR, "value": finite_or_nan(row["real_floor"]), "n": n},
        {"label": NOISE_REF, "value": finite_or_nan(row["noise_reference"]), "n": n},
    ]


def calibration_md_rows(
    calibration: pd.DataFrame | None, experiment: str, width: int, value_at: list[int]
) -> list[list[str]]:
    """The floor and ceiling rows of an FID block: the value at ``value_at``, the image
    count in the last column; "not measured" where there is no calibration."""
    if calibration is None:
        return []
    out = []
    for item in calibration_rows(calibration, experiment):
        cells = [item["label"]] + [DASH] * (width - 1)
        measured = item["n"] is not None and not math.isnan(item["value"])
        for i in value_at:
            cells[i] = num(item["value"]) if measured else NOT_MEASURED
        cells[-1] = f"n={item['n']} images" if measured else NOT_MEASURED
        out.append(cells)
    return out


CALIBRATION_TEXT = (
    " The last two rows give the FID scale at the same sample count and reference "
    "statistics (tables/calibration.md): real data (floor) = held-out real images, "
    "pixel noise (reference) = noise matched to the data's per-channel mean and std."
)


def render_calibration(table: pd.DataFrame) -> str:
    """Markdown of the calibration table (one row per FID experiment)."""
    rows = []
    for _, r in table.iterrows():
        measured = not pd.isna(r["n"])
        value = num if measured else (lambda _: NOT_MEASURED)
        split = r.get("real_split")
        split = f" ({split} split)" if measured and isinstance(split, str) else ""
        accuracy = r.get("classifier_accuracy", math.nan)
        rows.append(
            [
                r["experiment"],
                metric_label(r["metric"]),
                value(r["real_floor"]) + split,
                value(r["noise_reference"]),
                num(r.get("untrained", math.nan)),
                str(int(r["n"])) if measured else NOT_MEASURED,
                DASH if pd.isna(accuracy) else f"{float(accuracy):.1%}",
            ]
        )
    header = [
        "experiment",
        "metric",
        "real floor",
        "noise reference",
        "untrained generator (iteration 0)",
        "n",
        "classifier test accuracy",
    ]
    return (
        "# FID scale: real floor and noise reference\n\nFor each FID experiment, the "
        "FID of n held-out real images (the floor: what a perfect generator scores at "
        "this n) and of n images of pixel noise matched to the data's per-channel mean "
        "and "
        "std (a reference, not a ceiling: a generator near it has learnt little the "
        "features see, and an untrained one can score above it), against the same "
        "reference statistics and with the same n as the runs' evaluations; the "
        "untrained generators' FID (the median of the runs' evaluations at iteration "
        "0) and the test accuracy of the classifier whose features FID uses. "
        f"'{NOT_MEASURED}': no calibration file (empty cells in calibration.csv).\n\n"
        + md_table(header, rows, ["l", "l", "r", "r", "r", "r", "r"])
    )


def calibration_csv(table: pd.DataFrame) -> pd.DataFrame:
    """The calibration table with exactly its published columns."""
    return table[CALIBRATION_COLUMNS]
