"""Seed statistics of the confirmation: the selected setting of each experiment ×
method × rule (× pool), re-run with all seeds (which runs:
:mod:`cggan.results.runs.sweep_and_confirmation`).

:func:`seed_table`: the seed mean ± sample standard deviation of the final metric and a
percentile-bootstrap interval of the mean inside the metric's range
(:mod:`cggan.results.statistics.seed_intervals`); :func:`summary_table`: best and final
metric, mean ± std. Both carry, for CG methods, the seed means of the run averages of β
(mean β, share of steps at the cap and at 0, per player:
:mod:`cggan.results.statistics.beta`).
"""

from __future__ import annotations

import math

import pandas as pd

from cggan.results.runs.load import BETA_COLUMNS
from cggan.results.statistics import seed_intervals
from cggan.results.statistics.beta import beta_means
from cggan.results.statistics.groups import COUNT_COLUMNS, counts, setting_groups

__all__ = ["SEED_COLUMNS", "SUMMARY_COLUMNS", "seed_table", "summary_table"]

SEED_COLUMNS = ["experiment", "metric", "method", "lr_rule", "setting", "lr_d", "lr_g",
                "hparams", "seeds", "final_mean", "final_std", "final_median", "ci_low",
                "ci_high", "confidence", "ci_method", "ci_note", "range_low",
                "range_high", *COUNT_COLUMNS,
                *BETA_COLUMNS]  # fmt: skip
SUMMARY_COLUMNS = ["experiment", "metric", "method", "lr_rule", "setting", "best_mean",
                   "best_std", "final_mean", "final_std", *COUNT_COLUMNS,
                   *BETA_COLUMNS]  # fmt: skip


def _mean_std(values: pd.Series) -> tuple[float, float]:
    arr = values.dropna().to_numpy(dtype=float)
    if len(arr) == 0:
        return math.nan, math.nan
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else math.nan


def _bound(value: float) -> float:
    """A range bound for the tables: NaN (an empty cell) when unbounded."""
    return value if math.isfinite(value) else math.nan


def seed_table(confirmed: pd.DataFrame, *, confidence: float) -> pd.DataFrame:
    """Seed statistics of the final metric of each confirmed setting (one per method ×
    rule × pool).

    The interval is the percentile bootstrap of the seed mean, clipped to the metric's
    range (:func:`cggan.results.statistics.seed_intervals.bootstrap_interval`); with
    fewer than two finished seeds it is absent and ``ci_note`` says
    ``"n<2: no interval"``.
    """
    rows = []
    for experiment, method, rule, group in setting_groups(confirmed):
        final = group.loc[group["status"] == "finished", "final_metric"]
        mean, std = _mean_std(final)
        first = group.iloc[0]
        bounds = seed_intervals.bounds_of(group, first.get("metric_name"))
        low, high = seed_intervals.bootstrap_interval(
            final.tolist(), confidence, bounds
        )
        median = float(final.median()) if final.notna().any() else math.nan
        rows.append(
            {
                "experiment": experiment,
                "metric": first.get("metric_name"),
                "method": method,
                "lr_rule": rule,
                "setting": first["setting"],
                "lr_d": first.get("lr_d"),
                "lr_g": first.get("lr_g"),
                "hparams": first.get("method_kwargs"),
                "seeds": " ".join(str(s) for s in sorted(group["seed"])),
                "final_mean": mean,
                "final_std": std,
                "final_median": median,
                "ci_low": low,
                "ci_high": high,
                "confidence": confidence,
                "ci_method": seed_intervals.CI_METHOD,
                "ci_note": seed_intervals.NO_INTERVAL if math.isnan(low) else "",
                "range_low": _bound(bounds[0]),
                "range_high": _bound(bounds[1]),
                **counts(group),
                **beta_means(group),
            }
        )
    return pd.DataFrame(rows, columns=SEED_COLUMNS)


def summary_table(confirmed: pd.DataFrame) -> pd.DataFrame:
    """Best and final metric, mean ± std over the confirmation seeds of each confirmed
    setting (one per method × rule × pool)."""
    rows = []
    for experiment, method, rule, group in setting_groups(confirmed):
        finished = group[group["status"] == "finished"]
        best_mean, best_std = _mean_std(finished["best_metric"])
        final_mean, final_std = _mean_std(finished["final_metric"])
        names = group["metric_name"].dropna()
        rows.append(
            {
                "experiment": experiment,
                "metric": names.iloc[0] if len(names) else None,
                "method": method,
                "lr_rule": rule,
                "setting": group["setting"].iloc[0],
                "best_mean": best_mean,
                "best_std": best_std,
                "final_mean": final_mean,
                "final_std": final_std,
                **counts(group),
                **beta_means(group),
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
