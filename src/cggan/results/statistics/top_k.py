"""Statistics of a study's runs: Top-1/Top-k of the sweep, seed statistics of the
confirmation.

Two kinds of runs are summarised (which runs each holds: :mod:`cggan.results.subsets`):

* the **sweep**: every setting of the grid at each sweep seed (one seed per setting, as
  in the paper). Its statistics are the paper's: **Top-1**, the single best run, and
  **Top-k**, the mean ± sample standard deviation of the k best runs (Naganuma & Iiduka,
  "Conjugate Gradient Method for Generative Adversarial Networks", AISTATS 2023). Runs
  are ranked by their *final* metric by default: the Top-10 means of the authors'
  CIFAR-10 table (README of their released code) equal the end of their FID-vs-iteration
  curves, so the paper is believed to rank by end-of-training FID. Only finished runs
  with a finite value are ranked; diverged and failed runs are counted and shown, never
  dropped silently. The pools are of equal size (:mod:`cggan.results.pools`: one per
  value of a method's swept hyperparameters); the published pooling (all values of a
  method together) is kept beside them as the ``*_pooled`` columns.
* the **confirmation**: the selected setting of each experiment × method × rule, re-run
  with all seeds. Its statistics are the seed mean ± sample standard deviation and a
  percentile-bootstrap interval of the mean inside the metric's range
  (:mod:`cggan.results.intervals`), and for CG methods the seed means of the run
  averages of β (mean β, share of steps at the cap and at 0, per player).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cggan.registry import DEFAULT_SELECTION_BY, SELECTION_BY
from cggan.results import intervals, pools
from cggan.results.beta import beta_means
from cggan.results.runs import BETA_COLUMNS, metric_info, ordered_methods, ordered_rules
from cggan.results.subsets import Selections, sweep_runs

__all__ = [
    "RANK_BY",
    "paper_table",
    "rank_column",
    "seed_table",
    "summary_table",
    "top_k_stats",
]

RANK_BY = SELECTION_BY
COUNT_COLUMNS = ["n_runs", "n_finished", "n_diverged", "n_failed"]
POOLED_COLUMNS = ["top1_pooled", "topk_pooled_mean", "topk_pooled_std",
                  "k_used_pooled", "pooled_size", "n_pools"]  # fmt: skip
PAPER_COLUMNS = ["experiment", "metric", "mode", "rank_by", "method", "lr_rule", "pool",
                 "pool_size", "top1", "topk_mean", "topk_std", "k_used", "k",
                 "top1_setting", *COUNT_COLUMNS, *POOLED_COLUMNS]  # fmt: skip
SEED_COLUMNS = ["experiment", "metric", "method", "lr_rule", "setting", "lr_d", "lr_g",
                "hparams", "seeds", "final_mean", "final_std", "final_median", "ci_low",
                "ci_high", "confidence", "ci_method", "ci_note", "range_low",
                "range_high", *COUNT_COLUMNS,
                *BETA_COLUMNS]  # fmt: skip
SUMMARY_COLUMNS = ["experiment", "metric", "method", "lr_rule", "setting", "best_mean",
                   "best_std", "final_mean", "final_std", *COUNT_COLUMNS,
                   *BETA_COLUMNS]  # fmt: skip


def rank_column(rank_by: str) -> str:
    """The runs' column that ``rank_by`` ranks by; ValueError for an unknown one."""
    if rank_by not in RANK_BY:
        raise ValueError(
            f"Invalid rank_by: {rank_by!r} (allowed: {', '.join(RANK_BY)})"
        )
    return f"{rank_by}_metric"


def _finite(values: Sequence[float]) -> np.ndarray:
    return np.asarray(
        [v for v in values if v is not None and math.isfinite(v)], dtype=float
    )


def top_k_stats(
    values: Sequence[float], k: int, mode: str = "min"
) -> dict[str, float | int]:
    """The paper's Top-1 and Top-k statistics of one pool of runs.

    Args:
        values: one metric value per run (NaN/None = no value: not ranked).
        k: how many of the best runs to average (fewer if fewer have a value).
        mode: ``"min"`` (lower is better, FID) or ``"max"`` (higher is better, modes).

    Returns:
        ``top1`` (the best value), ``topk_mean``, ``topk_std`` (sample std, ddof=1; NaN
        for one value) and ``k_used`` (how many values entered the mean).
    """
    if k < 1:
        raise ValueError(f"Invalid k: {k} (allowed: k >= 1)")
    if mode not in ("min", "max"):
        raise ValueError(f"Invalid mode: {mode!r} (allowed: min, max)")
    ranked = np.sort(_finite(values))
    ranked = (ranked[::-1] if mode == "max" else ranked)[:k]
    if len(ranked) == 0:
        return {
            "top1": math.nan,
            "topk_mean": math.nan,
            "topk_std": math.nan,
            "k_used": 0,
        }
    return {
        "top1": float(ranked[0]),
        "topk_mean": float(np.mean(ranked)),
        "topk_std": float(np.std(ranked, ddof=1)) if len(ranked) > 1 else math.nan,
        "k_used": len(ranked),
    }


def counts(group: pd.DataFrame) -> dict[str, int]:
    """Runs by status; missing runs (no summary.json) count as failed."""
    status = group["status"]
    return {
        "n_runs": len(group),
        "n_finished": int((status == "finished").sum()),
        "n_diverged": int((status == "diverged").sum()),
        "n_failed": int(status.isin(["failed", "missing"]).sum()),
    }


def groups(frame: pd.DataFrame) -> Iterator[tuple[str, str, str, pd.DataFrame]]:
    """``(experiment, method, rule, rows)`` in display order."""
    for experiment in sorted(frame["experiment"].unique()):
        exp = frame[frame["experiment"] == experiment]
        for method in ordered_methods(exp["method"]):
            of_method = exp[exp["method"] == method]
            for rule in ordered_rules(of_method["lr_rule"]):
                yield experiment, method, rule, of_method[of_method["lr_rule"] == rule]


def setting_groups(frame: pd.DataFrame) -> Iterator[tuple[str, str, str, pd.DataFrame]]:
    """As :func:`groups`, one group per setting (each pool confirms its own)."""
    for experiment, method, rule, group in groups(frame):
        for _, rows in group.groupby("setting", sort=True):
            yield experiment, method, rule, rows


def _mean_std(values: pd.Series) -> tuple[float, float]:
    arr = values.dropna().to_numpy(dtype=float)
    if len(arr) == 0:
        return math.nan, math.nan
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else math.nan


def _ranked(runs: pd.DataFrame, column: str, top_k: int, mode: str) -> dict[str, Any]:
    """Top-1/Top-k of one pool and the setting of its best run."""
    finished = runs[runs["status"] == "finished"]
    top = top_k_stats(finished[column].tolist(), top_k, mode)
    best_setting = None
    if top["k_used"]:
        values = finished[column]
        best_setting = finished.loc[
            values.idxmax() if mode == "max" else values.idxmin(), "setting"
        ]
    return {**top, "top1_setting": best_setting}


def paper_table(
    runs: pd.DataFrame,
    selections: Selections | None = None,
    *,
    top_k: int = 10,
    rank_by: str = DEFAULT_SELECTION_BY,
) -> pd.DataFrame:
    """Top-1 and Top-k over the sweep, one row per experiment × method × rule × pool.

    A pool is one value of the method's swept hyperparameters with the whole lr grid
    (:mod:`cggan.results.pools`); ``pool_size`` counts its runs (= ``n_runs``). The
    ``*_pooled`` columns repeat, on each pool's row, the published pooling: every run
    of the method × rule ranked together (``pooled_size`` runs in ``n_pools`` pools).
    """
    column = rank_column(rank_by)
    rows = []
    for experiment, method, rule, group in groups(sweep_runs(runs, selections)):
        metric, mode = metric_info(runs, experiment)
        parts = list(pools.split_pools(group))
        pooled = _ranked(group, column, top_k, mode)
        pooled = {
            "top1_pooled": pooled["top1"],
            "topk_pooled_mean": pooled["topk_mean"],
            "topk_pooled_std": pooled["topk_std"],
            "k_used_pooled": pooled["k_used"],
            "pooled_size": len(group),
            "n_pools": len(parts),
        }
        for pool, members in parts:
            rows.append(
                {
                    "experiment": experiment,
                    "metric": metric,
                    "mode": mode,
                    "rank_by": rank_by,
                    "method": method,
                    "lr_rule": rule,
                    "pool": pool,
                    "pool_size": len(members),
                    **_ranked(members, column, top_k, mode),
                    "k": top_k,
                    **counts(members),
                    **pooled,
                }
            )
    return pd.DataFrame(rows, columns=PAPER_COLUMNS)


def _bound(value: float) -> float:
    """A range bound for the tables: NaN (an empty cell) when unbounded."""
    return value if math.isfinite(value) else math.nan


def seed_table(confirmed: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Seed statistics of the final metric of each confirmed setting (one per method ×
    rule × pool).

    The interval is the percentile bootstrap of the seed mean, clipped to the metric's
    range (:func:`cggan.results.intervals.bootstrap_interval`); with fewer than two
    finished seeds it is absent and ``ci_note`` says ``"n<2: no interval"``.
    """
    rows = []
    for experiment, method, rule, group in setting_groups(confirmed):
        final = group.loc[group["status"] == "finished", "final_metric"]
        mean, std = _mean_std(final)
        first = group.iloc[0]
        bounds = intervals.bounds_of(group, first.get("metric_name"))
        low, high = intervals.bootstrap_interval(final.tolist(), confidence, bounds)
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
                "ci_method": intervals.CI_METHOD,
                "ci_note": intervals.NO_INTERVAL if math.isnan(low) else "",
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
