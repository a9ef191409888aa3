"""``metrics.json``: the tables' numbers nested for ``dvc metrics show``.

``{experiment: {method: {lr_rule: entry}}}``; an entry has

* from the sweep, the published pooling (every run of the method × rule ranked
  together, as before the equal pools): ``top1``, ``topk_mean``, ``topk_std``,
  ``k_used``, ``n_runs``, ``n_diverged``, ``n_failed``, and ``pooled_size``; the equal
  pools under ``pools``: ``{pool: {top1, topk_mean, topk_std, k_used, pool_size,
  n_diverged, n_failed}}``;
* from the confirmation (one selected setting per pool: under ``pools``, and at the
  top level too when the method has one pool): ``seed_mean``, ``seed_std``,
  ``seed_ci_low``,
  ``seed_ci_high`` (percentile bootstrap, inside the metric's range), ``seed_n_runs``,
  ``seed_n_diverged``, ``seed_n_failed``; for a CG row with β diagnostics the seed means
  ``beta_mean_g``, ``beta_mean_d``, ``beta_capped_g``, ``beta_capped_d``,
  ``beta_zero_g``, ``beta_zero_d``;
* for an FID experiment: ``real_floor`` and ``noise_reference`` (null: not measured).

A value that does not exist is null, never NaN.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cggan.results.runs.load import BETA_COLUMNS, finite_or_nan
from cggan.results.statistics.beta import has_beta
from cggan.study.layout import LR_GRID, pool_of_setting

__all__ = ["metrics_json"]

# metrics.json key -> table column
_POOLED_KEYS = {"top1": "top1_pooled", "topk_mean": "topk_pooled_mean",
                "topk_std": "topk_pooled_std"}  # fmt: skip
_POOL_KEYS = {"top1": "top1", "topk_mean": "topk_mean", "topk_std": "topk_std"}
_POOL_COUNTS = ("k_used", "pool_size", "n_diverged", "n_failed")
_SEED_KEYS = {"seed_mean": "final_mean", "seed_std": "final_std",
              "seed_ci_low": "ci_low", "seed_ci_high": "ci_high"}  # fmt: skip
_SEED_COUNTS = {"seed_n_runs": "n_runs", "seed_n_diverged": "n_diverged",
                "seed_n_failed": "n_failed"}  # fmt: skip


def _json_number(value: Any) -> float | None:
    value = finite_or_nan(value)
    return None if math.isnan(value) else value


def _rows(frame: pd.DataFrame, key: tuple[str, str, str]) -> pd.DataFrame:
    """The rows of one experiment × method × rule (several pools in the paper table)."""
    if not len(frame):
        return frame
    return frame[
        (frame["experiment"] == key[0])
        & (frame["method"] == key[1])
        & (frame["lr_rule"] == key[2])
    ]


def _keys(frame: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(
        zip(
            frame.get("experiment", []),
            frame.get("method", []),
            frame.get("lr_rule", []),
        )
    )


def _sweep_entry(rows: pd.DataFrame) -> dict[str, Any]:
    first = rows.iloc[0]
    entry: dict[str, Any] = {k: _json_number(first[c]) for k, c in _POOLED_KEYS.items()}
    entry.update(
        k_used=int(first["k_used_pooled"]),
        n_runs=int(rows["n_runs"].sum()),
        n_diverged=int(rows["n_diverged"].sum()),
        n_failed=int(rows["n_failed"].sum()),
        pooled_size=int(first["pooled_size"]),
    )
    entry["pools"] = {
        str(r["pool"]): {
            **{k: _json_number(r[c]) for k, c in _POOL_KEYS.items()},
            **{k: int(r[k]) for k in _POOL_COUNTS},
        }
        for _, r in rows.iterrows()
    }
    return entry


def _seed_entry(row: pd.Series) -> dict[str, Any]:
    entry: dict[str, Any] = {k: _json_number(row[c]) for k, c in _SEED_KEYS.items()}
    entry.update({k: int(row[c]) for k, c in _SEED_COUNTS.items()})
    if has_beta(row):
        entry.update({c: _json_number(row[c]) for c in BETA_COLUMNS})
    return entry


def metrics_json(
    paper: pd.DataFrame, seeds: pd.DataFrame, calibration: pd.DataFrame | None = None
) -> dict[str, Any]:
    """``{experiment: {method: {lr_rule: {...}}}}`` (see the module doc); no NaN.

    ``n_runs``/``n_diverged``/``n_failed`` count the sweep's runs; ``seed_n_*`` the
    confirmation's.
    """
    scale = {}
    if calibration is not None:
        scale = {
            r["experiment"]: {
                "real_floor": _json_number(r["real_floor"]),
                "noise_reference": _json_number(r["noise_reference"]),
            }
            for _, r in calibration.iterrows()
        }
    out: dict[str, Any] = {}
    for key in sorted(_keys(paper) | _keys(seeds)):
        entry: dict[str, Any] = {}
        rows = _rows(paper, key)
        if len(rows):
            entry.update(_sweep_entry(rows))
        rows = _rows(seeds, key)
        if len(rows) == 1:
            entry.update(_seed_entry(rows.iloc[0]))
        if len(rows):
            # one confirmed setting per pool (cggan.study.selection), under its pool
            pools = entry.setdefault("pools", {})
            for _, r in rows.iterrows():
                pool = pool_of_setting(str(r["setting"]), LR_GRID)
                pools.setdefault(pool, {}).update(_seed_entry(r))
        entry.update(scale.get(key[0], {}))
        experiment, method, rule = key
        out.setdefault(experiment, {}).setdefault(method, {})[rule] = entry
    return out
