"""Top-1/Top-k of the sweep: the paper's statistics of every setting of the grid at
each sweep seed (one seed per setting, as in the paper; which runs:
:mod:`cggan.results.runs.sweep_and_confirmation`).

**Top-1** is the single best run, **Top-k** the mean ± sample standard deviation of the
k best runs (Naganuma & Iiduka, "Conjugate Gradient Method for Generative Adversarial
Networks", AISTATS 2023). Runs are ranked by their *final* metric by default: the
Top-10 means of the authors' CIFAR-10 table (README of their released code) equal the
end of their FID-vs-iteration curves, so the paper is believed to rank by
end-of-training FID. Only finished runs with a finite value are ranked; diverged and
failed runs are counted and shown, never dropped silently. The pools are of equal size
(:mod:`cggan.results.runs.equal_pools`: one per value of a method's swept
hyperparameters); the published pooling (all values of a method together) is kept
beside them as the ``*_pooled`` columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cggan.registry import SELECTION_BY
from cggan.results.runs import equal_pools
from cggan.results.runs.load import metric_info
from cggan.results.runs.sweep_and_confirmation import Selections, sweep_runs
from cggan.results.statistics.groups import COUNT_COLUMNS, counts, groups

__all__ = [
    "PAPER_COLUMNS",
    "RANK_BY",
    "paper_table",
    "rank_column",
    "top_k_stats",
]

RANK_BY = SELECTION_BY
POOLED_COLUMNS = ["top1_pooled", "topk_pooled_mean", "topk_pooled_std",
                  "k_used_pooled", "pooled_size", "n_pools"]  # fmt: skip
PAPER_COLUMNS = ["experiment", "metric", "mode", "rank_by", "method", "lr_rule", "pool",
                 "pool_size", "top1", "topk_mean", "topk_std", "k_used", "k",
                 "top1_setting", *COUNT_COLUMNS, *POOLED_COLUMNS]  # fmt: skip


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
    top_k: int,
    rank_by: str,
) -> pd.DataFrame:
    """Top-1 and Top-k over the sweep, one row per experiment × method × rule × pool.

    A pool is one value of the method's swept hyperparameters with the whole lr grid
    (:mod:`cggan.results.runs.equal_pools`); ``pool_size`` counts its runs
    (= ``n_runs``). The ``*_pooled`` columns repeat, on each pool's row, the published
    pooling: every run of the method × rule ranked together (``pooled_size`` runs in
    ``n_pools`` pools).
    """
    column = rank_column(rank_by)
    rows = []
    for experiment, method, rule, group in groups(sweep_runs(runs, selections)):
        metric, mode = metric_info(runs, experiment)
        parts = list(equal_pools.split_pools(group))
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
