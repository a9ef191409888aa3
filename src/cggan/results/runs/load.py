"""Loading a study's runs: one row per listed run directory, and its selection files.

Run layout (written by ``cggan.train``; :func:`cggan.study.parse_run_dir` owns it)::

    <runs_root>/<experiment>/<method>/<lr_rule>/<setting>/seed<k>/
        summary.json  metrics.csv  samples.png

The runs are always an explicit list (the sweep and confirmation runs the workflow
names, :func:`cggan.results.runs.sweep_and_confirmation.study_run_dirs`), so a run of a
setting the config no longer names never enters a table. A listed run without
``summary.json`` is ``"missing"`` (counted with the failed runs); a ``summary.json`` or
``metrics.csv`` that cannot be read is an error naming the file, never a silent failure.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cggan.convergence import final_quarter_mean
from cggan.registry import LR_RULES, METHODS
from cggan.study.existing_runs import read_summary
from cggan.study.layout import parse_run_dir

__all__ = [
    "BETA_COLUMNS",
    "RUN_DIAGNOSTICS",
    "STATUSES",
    "beta_fields",
    "diagnostic_fields",
    "find_run_dirs",
    "finite_or_nan",
    "load_runs",
    "load_selections",
    "metric_info",
    "ordered_methods",
    "ordered_rules",
    "read_run",
]

# "missing": a listed run without summary.json; tables count it with the failed runs.
STATUSES = ("finished", "diverged", "failed", "missing")
#: β diagnostics of the CG methods (summary.json "beta", metrics.csv columns).
BETA_COLUMNS = ["beta_mean_g", "beta_mean_d", "beta_capped_g", "beta_capped_d",
                "beta_zero_g", "beta_zero_d"]  # fmt: skip
#: Per-run diagnostics of summary.json: convergence (cggan.convergence) and the
#: classifier's numbers at the final evaluation (FID on a classifier only).
RUN_DIAGNOSTICS = ["improvement_last_quarter", "confident", "class_entropy"]


def _ordered(names: Iterable[str], order: Sequence[str]) -> list[str]:
    """Known names in registry order, then unknown ones alphabetically."""
    order = list(order)

    def key(name: str) -> tuple[int, str]:
        return (order.index(name), "") if name in order else (len(order), name)

    return sorted(set(names), key=key)


def ordered_methods(names: Iterable[str]) -> list[str]:
    """Methods in the registry's order (baselines, CG family, game optimizers)."""
    return _ordered(names, METHODS)


def ordered_rules(names: Iterable[str]) -> list[str]:
    """Learning-rate rules in the registry's order."""
    return _ordered(names, LR_RULES)


def finite_or_nan(value: Any) -> float:
    """``float(value)`` if finite, else NaN (also for None and text)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def _empty_row(run_dir: Path) -> dict[str, Any]:
    where = parse_run_dir(Path(run_dir).absolute())
    return {
        **{k: where[k] for k in ("experiment", "method", "lr_rule", "setting", "seed")},
        "run_dir": str(run_dir),
        "status": "missing",
        "error": "summary.json missing (run incomplete)",
        "diverged_at": None,
        "metric_name": None,
        "metric_mode": None,
        "best_metric": math.nan,
        "final_metric": math.nan,
        "best_iteration": None,
        "iterations": None,
        "wall_time_s": math.nan,
        "lr_g": math.nan,
        "lr_d": math.nan,
        "method_kwargs": "{}",
        "lr_rule_kwargs": "{}",
        "dataset": None,
        "n_modes": None,
        "code": None,
        "curve": (),
        "final_quarter_metric": math.nan,
        **dict.fromkeys(BETA_COLUMNS, math.nan),
        **dict.fromkeys(RUN_DIAGNOSTICS, math.nan),
    }


def _dataset_name(spec: dict[str, Any]) -> str | None:
    dataset = spec.get("dataset")
    name = dataset.get("name") if isinstance(dataset, dict) else dataset
    return name if isinstance(name, str) else None


def beta_fields(summary: dict[str, Any]) -> dict[str, float]:
    """The run averages of ``summary["beta"]`` as ``beta_<key>`` columns.

    NaN for what is absent (non-CG methods, runs older than the β diagnostics), null,
    not a number or outside [0, 1] (every β statistic is a mean or a share).
    """
    beta = summary.get("beta")
    beta = beta if isinstance(beta, dict) else {}
    out = {}
    for column in BETA_COLUMNS:
        value = finite_or_nan(beta.get(column[len("beta_") :]))
        out[column] = value if 0.0 <= value <= 1.0 else math.nan
    return out


def _read_summary(path: Path) -> dict[str, Any]:
    """The summary as a dict; ValueError ``"<file>: <reason>"`` if it cannot be read.

    :func:`cggan.study.read_summary` is the one reader (the selection step uses it
    too): it also checks the recorded checksum of ``metrics.csv``.
    """
    summary = read_summary(path)
    status = summary.get("status")
    if status not in STATUSES[:3]:
        raise ValueError(
            f"Invalid status: {status!r} in {path} "
            "(allowed: finished, diverged, failed)"
        )
    mode = summary.get("metric_mode") or "min"
    if mode not in ("min", "max"):
        raise ValueError(f"Invalid metric_mode: {mode!r} in {path} (allowed: min, max)")
    return summary


def _check_spec(row: dict[str, Any], spec: dict[str, Any], run_dir: Path) -> None:
    # The directory says where a run belongs; a spec that disagrees means mixed-up
    # results.
    for key in ("experiment", "method", "lr_rule"):
        if key in spec and str(spec[key]) != row[key]:
            raise ValueError(
                f"Invalid run directory: {run_dir} holds a run with {key}={spec[key]!r}"
            )
    if "seed" in spec and int(spec["seed"]) != row["seed"]:
        raise ValueError(
            f"Invalid run directory: {run_dir} holds a run with seed={spec['seed']!r}"
        )


def read_run(run_dir: str | os.PathLike) -> dict[str, Any]:
    """One run as a table row (see :func:`load_runs` for the columns).

    Raises:
        ValueError: the path does not follow the run layout, ``summary.json`` is
            unreadable or invalid (``"<file>: <reason>"``), or its spec contradicts the
            directory.
    """
    run_dir = Path(run_dir)
    row = _empty_row(run_dir)
    path = run_dir / "summary.json"
    if not path.is_file():
        return row
    summary = _read_summary(path)
    spec = summary.get("spec") or {}
    _check_spec(row, spec, run_dir)
    status = summary["status"]
    row.update(
        status=status,
        error=summary.get("error"),
        diverged_at=summary.get("diverged_at"),
        metric_name=summary.get("metric_name")
        or (spec.get("eval") or {}).get("metric"),
        metric_mode=summary.get("metric_mode") or "min",
        best_metric=finite_or_nan(summary.get("best_metric")),
        # A run that did not finish has no final metric, whatever the file says.
        final_metric=finite_or_nan(summary.get("final_metric"))
        if status == "finished"
        else math.nan,
        best_iteration=summary.get("best_iteration"),
        iterations=summary.get("iterations"),
        wall_time_s=finite_or_nan(summary.get("wall_time_s")),
        lr_g=finite_or_nan(spec.get("lr_g")),
        lr_d=finite_or_nan(spec.get("lr_d")),
        method_kwargs=json.dumps(spec.get("method_kwargs") or {}, sort_keys=True),
        lr_rule_kwargs=json.dumps(spec.get("lr_rule_kwargs") or {}, sort_keys=True),
        dataset=_dataset_name(spec),
        n_modes=summary.get("n_modes"),
        code=_fingerprint_of(summary),
        **_curve_fields(run_dir, summary, status),
        **beta_fields(summary),
        **diagnostic_fields(summary),
    )
    return row


def _curve_fields(
    run_dir: Path, summary: dict[str, Any], status: str
) -> dict[str, Any]:
    """The run's curve ``((iteration, value), ...)`` from its metrics.csv (checksummed
    in summary.json) and its final-quarter mean (:func:`cggan.convergence.
    final_quarter_mean`; NaN for a run that did not finish)."""
    metric = summary.get("metric_name")
    path = run_dir / "metrics.csv"
    if not metric or not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [
            {"iteration": r["iteration"], metric: r.get(metric)}
            for r in csv.DictReader(fh)
        ]
    curve = tuple(
        (int(r["iteration"]), v)
        for r in rows
        if r[metric] not in (None, "") and math.isfinite(v := float(r[metric]))
    )
    mean = final_quarter_mean(rows, metric) if status == "finished" else None
    return {"curve": curve, "final_quarter_metric": finite_or_nan(mean)}


def _fingerprint_of(summary: dict[str, Any]) -> str | None:
    """The code fingerprint (``cggan.fingerprint``) of the code that made the run;
    None for a run recorded without one."""
    code = summary.get("code")
    value = code.get("fingerprint") if isinstance(code, dict) else None
    return value if isinstance(value, str) else None


def diagnostic_fields(summary: dict[str, Any]) -> dict[str, float]:
    """:data:`RUN_DIAGNOSTICS` of a summary; NaN where absent (older runs, no
    classifier, a run that did not finish)."""
    convergence = summary.get("convergence")
    convergence = convergence if isinstance(convergence, dict) else {}
    quality = summary.get("final_sample_quality")
    quality = quality if isinstance(quality, dict) else {}
    return {
        "improvement_last_quarter": finite_or_nan(
            convergence.get("improvement_last_quarter")
        ),
        "confident": finite_or_nan(quality.get("confident")),
        "class_entropy": finite_or_nan(quality.get("class_entropy")),
    }


def load_runs(run_dirs: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """Read the listed run directories into one table (one row per run).

    Args:
        run_dirs: ``<runs_root>/<experiment>/<method>/<lr_rule>/<setting>/seed<k>``
            paths, e.g. ``Study.sweep_run_dirs()`` plus ``Study.confirmation_run_dirs``.
            Duplicates (the sweep seed's confirmation run is a sweep run) count once.

    Returns:
        DataFrame with experiment, method, lr_rule, setting, seed, status, metric
        name/mode, best and final metric (NaN when absent; always NaN for a run that did
        not finish), lr_g, lr_d, method_kwargs (JSON text) and run_dir, in path order. A
        listed run without ``summary.json`` has status ``"missing"``.

    Raises:
        ValueError: no run listed, a path outside the layout, an unreadable
            ``summary.json`` (``"<file>: <reason>"``), a spec contradicting its
            directory, or one experiment's runs mixing metrics.
    """
    if isinstance(run_dirs, (str, os.PathLike)):
        raise TypeError(
            f"Invalid run_dirs: {str(run_dirs)!r} (allowed: a list of run directories; "
            "find_run_dirs lists a directory's)"
        )
    # Path order (by components), as the former directory walk read them.
    paths = sorted({Path(d) for d in run_dirs})
    if not paths:
        raise ValueError("Invalid run_dirs: [] (allowed: at least one run directory)")
    runs = pd.DataFrame([read_run(p) for p in paths])
    for experiment, group in runs.groupby("experiment"):
        for column in ("metric_name", "metric_mode"):
            values = set(group[column].dropna())
            if len(values) > 1:
                raise ValueError(
                    f"Invalid runs of experiment {experiment!r}: "
                    f"mixed {column} {sorted(values)}"
                )
    return runs


def metric_info(runs: pd.DataFrame, experiment: str) -> tuple[str, str]:
    """``(metric name, "min" | "max")`` of an experiment's runs."""
    group = runs[runs["experiment"] == experiment]
    names = group["metric_name"].dropna()
    modes = group["metric_mode"].dropna()
    return (names.iloc[0] if len(names) else "metric"), (
        modes.iloc[0] if len(modes) else "min"
    )


def find_run_dirs(runs_dir: str | os.PathLike) -> list[Path]:
    """Every run directory under ``runs_dir`` (for ad-hoc use on a directory).

    The workflow lists its runs instead
    (:func:`cggan.results.runs.sweep_and_confirmation.study_run_dirs`): a directory also
    holds runs of settings the config no longer names.

    Raises:
        ValueError: ``runs_dir`` is not a directory or holds no run directory.
    """
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise ValueError(f"Invalid runs_dir: {runs_dir} (not a directory)")
    found = [
        d
        for d in sorted(runs_dir.glob("*/*/*/*/seed*"))
        if d.is_dir() and d.name[len("seed") :].isdigit()
    ]
    if not found:
        raise ValueError(
            f"Invalid runs_dir: {runs_dir} (no runs found under "
            "<experiment>/<method>/<lr_rule>/<setting>/seed<k>/)"
        )
    return found


def _read_selection(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"Invalid selection file: {path} ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("selected"), list):
        reason = "needs a 'selected' list"
        raise ValueError(f"Invalid selection file: {path} ({reason})")  # noqa: TRY004
    return data


def load_selections(
    selection_dir: str | os.PathLike | None, experiments: Sequence[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Read the selection files ``<selection_dir>/<experiment>.json`` of the workflow.

    Args:
        selection_dir: directory of selection files, or None (no selections: each
            experiment is then selected from its sweep, see ``confirmation_runs``).
        experiments: read exactly these experiments' files (each must exist); None
            reads every ``*.json`` of the directory.

    Returns:
        ``{experiment: selection}``; extra keys are kept.

    Raises:
        ValueError: the directory or a named file does not exist, or a file is not a
            selection object.
    """
    if selection_dir is None:
        return {}
    selection_dir = Path(selection_dir)
    if not selection_dir.is_dir():
        raise ValueError(f"Invalid selection_dir: {selection_dir} (not a directory)")
    if experiments is None:
        paths = sorted(selection_dir.glob("*.json"))
    else:
        paths = [selection_dir / f"{e}.json" for e in experiments]
    selections = {}
    for path in paths:
        if not path.is_file():
            raise ValueError(f"{path}: missing (no selection for this experiment)")
        data = _read_selection(path)
        experiment = str(data.get("experiment", path.stem))
        if experiments is not None and experiment != path.stem:
            raise ValueError(
                f"{path}: holds experiment {experiment!r}, not {path.stem!r}"
            )
        selections[experiment] = data
    return selections
