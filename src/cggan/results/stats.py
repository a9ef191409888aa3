"""Statistics of a study's runs: which runs enter, Top-1/Top-k, seed intervals.

Two kinds of runs are summarised:

* the **sweep**: every setting of the grid at ``sweep_seed`` (one seed per setting, as
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

Selection (the best sweep setting per method × rule) is
:func:`cggan.study.select_settings`, the one algorithm the workflow's selection step
uses too.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cggan.registry import DEFAULT_SELECTION_BY, SELECTION_BY
from cggan.results import intervals, pools
from cggan.results.beta import beta_means
from cggan.results.runs import BETA_COLUMNS, ordered_methods, ordered_rules
from cggan.study.selection import select_settings

__all__ = [
    "RANK_BY",
    "confirmation_runs",
    "metric_info",
    "paper_table",
    "rank_column",
    "seed_table",
    "summary_table",
    "sweep_runs",
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
Selections = Mapping[str, Mapping[str, Any]]


def metric_info(runs: pd.DataFrame, experiment: str) -> tuple[str, str]:
    """``(metric name, "min" | "max")`` of an experiment's runs."""
    group = runs[runs["experiment"] == experiment]
    names = group["metric_name"].dropna()
    modes = group["metric_mode"].dropna()
    return (names.iloc[0] if len(names) else "metric"), (
        modes.iloc[0] if len(modes) else "min"
    )


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


def sweep_runs(
    runs: pd.DataFrame, selections: Selections | None = None
) -> pd.DataFrame:
    """The sweep: every run at its experiment's ``sweep_seed`` (0 without selection)."""
    selections = selections or {}
    keep = pd.Series(False, index=runs.index)
    for experiment in runs["experiment"].unique():
        seed = int((selections.get(experiment) or {}).get("sweep_seed", 0))
        keep |= (runs["experiment"] == experiment) & (runs["seed"] == seed)
    return runs[keep].copy()


def _select_from_sweep(runs: pd.DataFrame, experiment: str, by: str) -> list[dict]:
    """Each method × rule's best sweep setting (the workflow's selection algorithm)."""
    _, mode = metric_info(runs, experiment)
    sweep = sweep_runs(runs[runs["experiment"] == experiment])
    records = [
        {
            "method": r.method,
            "lr_rule": r.lr_rule,
            "setting": r.setting,
            "summary": {
                "status": r.status,
                "final_metric": r.final_metric,
                "best_metric": r.best_metric,
            },
        }
        for r in sweep.itertuples()
    ]
    groups = select_settings(records, by=by, direction=mode)
    return [
        {
            "method": g["method"],
            "lr_rule": g["lr_rule"],
            "setting": g["selected"]["setting"],
        }
        for g in groups
        if g["selected"]
    ]


def _absent_rows(experiment: str, item: Mapping[str, Any], seeds) -> pd.DataFrame:
    """Rows for selected seeds that have no run at all (status ``"missing"``)."""
    return pd.DataFrame(
        [
            {
                "experiment": experiment,
                "method": item["method"],
                "lr_rule": item["lr_rule"],
                "setting": str(item["setting"]),
                "seed": s,
                "status": "missing",
                "error": "run directory missing",
                "best_metric": math.nan,
                "final_metric": math.nan,
            }
            for s in seeds
        ]
    )


def _confirmed_of(
    exp_runs: pd.DataFrame, item: Mapping[str, Any], seeds
) -> pd.DataFrame:
    found = exp_runs[
        (exp_runs["method"] == item["method"])
        & (exp_runs["lr_rule"] == item["lr_rule"])
        & (exp_runs["setting"] == str(item["setting"]))
    ]
    if seeds is None:
        return found
    seeds = [int(s) for s in seeds]
    found = found[found["seed"].isin(seeds)]
    absent = sorted(set(seeds) - set(found["seed"]))
    if not absent:
        return found
    experiment = exp_runs["experiment"].iloc[0]
    return pd.concat([found, _absent_rows(experiment, item, absent)], ignore_index=True)


def confirmation_runs(
    runs: pd.DataFrame,
    selections: Selections | None = None,
    by: str = DEFAULT_SELECTION_BY,
) -> pd.DataFrame:
    """The confirmation runs: all seeds of each experiment × method × rule's selection.

    Seeds a selection lists without a run are added with status ``"missing"``. An
    experiment without a selection is selected here from its sweep
    (:func:`cggan.study.select_settings` by ``by``), with every seed among the runs.
    """
    selections = selections or {}
    parts = []
    for experiment in runs["experiment"].unique():
        selection = selections.get(experiment)
        exp_runs = runs[runs["experiment"] == experiment]
        if selection is None:
            chosen, seeds = _select_from_sweep(runs, experiment, by), None
        else:
            chosen, seeds = selection["selected"], selection.get("seeds")
        parts += [_confirmed_of(exp_runs, item, seeds) for item in chosen]
    if not parts:
        return runs.iloc[0:0].copy()
    out = pd.concat(parts, ignore_index=True)
    # a missing run's setting metadata: copied from a sibling seed where there is one
    for column in (
        "lr_g",
        "lr_d",
        "method_kwargs",
        "metric_name",
        "metric_mode",
        "dataset",
        "n_modes",
    ):
        out[column] = out.groupby(["experiment", "method", "lr_rule", "setting"])[
            column
        ].transform(lambda s: s.ffill().bfill())
    return out


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
