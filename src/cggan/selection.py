"""Setting selection: per experiment x method x rule, the best finished sweep setting.

One selection algorithm for the workflow (``scripts/select_settings.py``) and the tables
(:mod:`cggan.results`). Torch-free.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cggan.checks import invalid as _invalid
from cggan.config_checks import SELECTION_BY
from cggan.existing_runs import read_summary
from cggan.registry import METRIC_DIRECTION

if TYPE_CHECKING:
    from cggan.study import Study

__all__ = ["RUN_STATUSES", "select_experiment", "select_settings", "selection_record"]

RUN_STATUSES = ("finished", "diverged", "failed")


def _metric_value(summary: Mapping[str, Any], by: str) -> float | None:
    value = summary.get("final_metric" if by == "final" else "best_metric")
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def select_settings(
    records: Iterable[Mapping[str, Any]], *, by: str = "final", direction: str = "min"
) -> list[dict[str, Any]]:
    """Choose, per method x rule, the best finished setting of a sweep.

    Args:
        records: one per sweep run: ``method``, ``lr_rule``, ``setting`` and ``summary``
            (the run's summary.json as a dict).
        by: ``"final"`` (the metric at the last evaluation) or ``"best"``
            (best over the run).
        direction: ``"min"`` (FID) or ``"max"`` (modes covered).

    Returns:
        One dict per (method, lr_rule), sorted: counts of runs by status (``n_runs``,
        ``n_finished``, ``n_diverged``, ``n_failed``, ``n_no_metric``) and ``selected``:
        the chosen ``setting`` id with its ``lr_d``, ``lr_g``, ``method_kwargs`` and
        ``value``, or None when no run finished with a finite metric. Diverged and
        failed runs are counted, never selected. Ties go to the smaller
        setting id (deterministic).
    """
    if by not in SELECTION_BY:
        raise _invalid("selection.by", by, ", ".join(SELECTION_BY))
    if direction not in ("min", "max"):
        raise _invalid("direction", direction, "min, max")
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in records:
        key = (rec["method"], rec["lr_rule"])
        g = groups.setdefault(
            key,
            {
                "method": key[0],
                "lr_rule": key[1],
                "n_runs": 0,
                "n_finished": 0,
                "n_diverged": 0,
                "n_failed": 0,
                "n_no_metric": 0,
                "candidates": [],
            },
        )
        summary = rec["summary"]
        status = summary.get("status")
        g["n_runs"] += 1
        if status not in RUN_STATUSES:
            status = "failed"
        g[f"n_{status}"] += 1
        if status != "finished":
            continue
        value = _metric_value(summary, by)
        if value is None:
            g["n_no_metric"] += 1
            continue
        spec = summary.get("spec") or {}
        g["candidates"].append(
            {
                "setting": rec["setting"],
                "lr_d": spec.get("lr_d"),
                "lr_g": spec.get("lr_g"),
                "method_kwargs": spec.get("method_kwargs", {}),
                "value": value,
            }
        )
    sign = 1.0 if direction == "min" else -1.0
    out = []
    for key in sorted(groups):
        g = groups[key]
        cands = g.pop("candidates")
        g["selected"] = (
            min(cands, key=lambda c: (sign * c["value"], c["setting"]))
            if cands
            else None
        )
        out.append(g)
    return out


def selection_record(
    *,
    study: str,
    experiment: str,
    metric: str,
    groups: list[dict[str, Any]],
    by: str,
    direction: str,
    sweep_seed: int,
    seeds: list[int],
) -> dict[str, Any]:
    """The selection file of one experiment (read back by the DAG and
    by cggan.aggregate).

    ``selected`` lists the chosen setting of every method x rule that has one;
    ``groups`` keeps every method x rule with its run counts (a group whose runs all
    diverged or failed has ``selected: null`` there and no confirmation runs).
    """
    return {
        "study": study,
        "experiment": experiment,
        "metric": metric,
        "direction": direction,
        "by": by,
        "sweep_seed": int(sweep_seed),
        "seeds": [int(s) for s in seeds],
        "selected": [
            {"method": g["method"], "lr_rule": g["lr_rule"], **g["selected"]}
            for g in groups
            if g["selected"]
        ],
        "groups": groups,
    }


def select_experiment(study: Study, exp: str) -> dict[str, Any]:
    """The selection record of one experiment, from its configured sweep runs.

    Reads exactly the sweep runs the study names (never a glob of the directory), each
    through :func:`read_summary`.

    Raises:
        ValueError: one line naming a missing or unreadable summary.json.
    """
    from cggan.study import parse_run_dir  # here: cggan.study re-exports this module

    records = []
    for run_dir in study.sweep_run_dirs(exp):
        path = Path(run_dir) / "summary.json"
        if not path.is_file():
            raise ValueError(f"{path}: missing run summary (run the sweep first)")
        records.append({**parse_run_dir(run_dir), "summary": read_summary(path)})
    metric = study.metric(exp)
    direction = METRIC_DIRECTION[metric]
    by = study.config["selection"]["by"]
    groups = select_settings(records, by=by, direction=direction)
    return selection_record(
        study=study.name,
        experiment=exp,
        metric=metric,
        groups=groups,
        by=by,
        direction=direction,
        sweep_seed=study.sweep_seed,
        seeds=study.seeds,
    )
