"""Ranking the settings of a sweep: per experiment x method x rule x pool, the setting
with the best mean over its sweep seeds, and how sure that choice is.

The algorithm of the workflow's selection (:mod:`cggan.study.selection`) and of the
tables (:mod:`cggan.results`). Torch-free (numpy only for the bootstrap).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from cggan.checks import invalid as _invalid
from cggan.registry import (
    BEST,
    FINAL,
    FINAL_QUARTER,
    MAXIMIZE,
    MINIMIZE,
    SELECTION_BY,
)
from cggan.study.layout import LR_GRID, pool_of_setting

__all__ = ["RUN_STATUSES", "SELECTION_BOOTSTRAP", "select_settings"]

RUN_STATUSES = ("finished", "diverged", "failed")
#: The summary key each ``selection.by`` reads (``final_quarter_metric`` is added to a
#: sweep run's summary from its checksummed metrics.csv when the selection reads it).
_SUMMARY_KEY = {
    FINAL: "final_metric",
    BEST: "best_metric",
    FINAL_QUARTER: "final_quarter_metric",
}
#: Resamples of the bootstrap that says how sure a selection is.
SELECTION_BOOTSTRAP = 2000


def _metric_value(summary: Mapping[str, Any], by: str) -> float | None:
    value = summary.get(_SUMMARY_KEY[by])
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _pool(rec: Mapping[str, Any]) -> str:
    """A record's pool: given, else read from its setting id (an id outside the
    layout, e.g. a hand-made record, is one pool: the learning-rate grid)."""
    if rec.get("pool"):
        return str(rec["pool"])
    return pool_of_setting(rec["setting"], LR_GRID)


def select_settings(
    records: Iterable[Mapping[str, Any]],
    *,
    by: str,
    direction: str = MINIMIZE,
) -> list[dict[str, Any]]:
    """Choose, per method x rule x pool, the best setting of a sweep by the mean of its
    sweep seeds.

    Args:
        records: one per sweep run: ``method``, ``lr_rule``, ``setting``, ``summary``
            (the run's summary.json as a dict) and ``seed`` (optional: several runs of
            one setting are its sweep seeds); the pool is read from the setting id.
        by: ``"final"`` (the metric at the last evaluation), ``"best"`` (best over
            the run) or ``"final_quarter"`` (the mean over the final quarter's
            evaluations).
        direction: ``"min"`` (FID) or ``"max"`` (modes covered).

    Returns:
        One dict per (method, lr_rule, pool), sorted: counts of runs by status
        (``n_runs``, ``n_finished``, ``n_diverged``, ``n_failed``, ``n_no_metric``),
        ``n_settings`` (settings whose every sweep seed finished with a finite
        metric: the candidates), ``selected``: the chosen ``setting`` id with its
        ``lr_d``, ``lr_g``, ``method_kwargs``, ``value`` (the seed mean), ``values``
        (per seed, in seed order) and ``n_seeds``, or None when no setting is a
        candidate; and ``confidence``: the share of bootstrap resamples (each
        setting's seeds drawn with replacement, :data:`SELECTION_BOOTSTRAP` of them,
        seeded) in which the selected setting stays best (1.0 with one candidate;
        None with one seed per setting, where there is nothing to resample).

        A setting with a diverged, failed or metric-less sweep run is not a
        candidate: a mean over the seeds that happened to finish would favour an
        unstable setting. Ties go to the smaller setting id (deterministic).
    """
    if by not in SELECTION_BY:
        raise _invalid("selection.by", by, ", ".join(SELECTION_BY))
    if direction not in (MINIMIZE, MAXIMIZE):
        raise _invalid("direction", direction, f"{MINIMIZE}, {MAXIMIZE}")
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for rec in records:
        key = (rec["method"], rec["lr_rule"], _pool(rec))
        g = groups.setdefault(
            key,
            {
                "method": key[0],
                "lr_rule": key[1],
                "pool": key[2],
                "n_runs": 0,
                "n_finished": 0,
                "n_diverged": 0,
                "n_failed": 0,
                "n_no_metric": 0,
                "settings": {},
            },
        )
        summary = rec["summary"]
        status = summary.get("status")
        g["n_runs"] += 1
        if status not in RUN_STATUSES:
            status = "failed"
        g[f"n_{status}"] += 1
        value = _metric_value(summary, by) if status == "finished" else None
        if status == "finished" and value is None:
            g["n_no_metric"] += 1
        spec = summary.get("spec") or {}
        entry = g["settings"].setdefault(
            rec["setting"],
            {
                "setting": rec["setting"],
                "lr_d": spec.get("lr_d"),
                "lr_g": spec.get("lr_g"),
                "method_kwargs": spec.get("method_kwargs", {}),
                "runs": [],
            },
        )
        entry["runs"].append((int(rec.get("seed", 0)), value))
    sign = 1.0 if direction == MINIMIZE else -1.0
    out = []
    for key in sorted(groups):
        g = groups[key]
        candidates = []
        for entry in g.pop("settings").values():
            runs = sorted(entry.pop("runs"))
            if any(v is None for _, v in runs):
                continue
            values = [v for _, v in runs]
            candidates.append(
                {
                    **entry,
                    "value": sum(values) / len(values),
                    "values": values,
                    "n_seeds": len(values),
                }
            )
        g["n_settings"] = len(candidates)
        g["selected"] = (
            min(candidates, key=lambda c: (sign * c["value"], c["setting"]))
            if candidates
            else None
        )
        best = g["selected"]["value"] if candidates else None
        g["tied"] = sum(c["value"] == best for c in candidates) > 1
        g["confidence"] = _selection_confidence(candidates, g["selected"], sign)
        out.append(g)
    return out


def _selection_confidence(candidates, selected, sign: float) -> float | None:
    """The bootstrap share of resamples in which ``selected`` stays best (see
    :func:`select_settings`)."""
    if selected is None:
        return None
    if len(candidates) == 1:
        return 1.0
    if min(c["n_seeds"] for c in candidates) < 2:
        return None
    import numpy as np

    rng = np.random.default_rng(0)
    ordered = sorted(candidates, key=lambda c: c["setting"])
    means = np.stack(
        [
            rng.choice(
                np.asarray(c["values"]), (SELECTION_BOOTSTRAP, c["n_seeds"])
            ).mean(axis=1)
            for c in ordered
        ]
    )
    winners = np.argmin(sign * means, axis=0)  # ties: the smaller setting id
    index = [c["setting"] for c in ordered].index(selected["setting"])
    return round(float(np.mean(winners == index)), 4)
