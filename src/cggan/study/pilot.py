"""The run-length pilot: how long until each method's FID stops improving.

A pilot study (``config/pilot.yaml``) trains each pool of the claims with a few seeds
longer than the study will; this module reads its runs and asks, for every candidate
length L (every evaluation point), what a run stopped at L would show: its final-quarter
FID, its last-quarter improvement and state (:mod:`cggan.convergence`), and, the seeds
taken as replicates, the pool's convergence by the pool-level test and the seed spread
the power analysis needs. It also measures how far FID moves from one evaluation to
the next (the curve's noise beside the estimator's, :mod:`cggan.train.fid_noise`). The
tables and the figure (:mod:`cggan.results.figures.pilot`) are committed beside the
study, ``scripts/pilot_report.py`` writes them, so a reader can check its choices: the
study's length and seeds, as :mod:`cggan.study.cost` its run time.

Torch-free.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cggan.convergence import (
    convergence_diagnostic,
    final_quarter_mean,
    is_converged,
    pool_convergence,
    run_state,
)
from cggan.study.layout import parse_run_dir
from cggan.study.metrics_csv import read_metrics_csv

__all__ = [
    "PILOT_COLUMNS",
    "POOL_COLUMNS",
    "evaluation_movement",
    "pilot_lengths",
    "pool_lengths",
    "read_pilot",
]

PILOT_COLUMNS = ["method", "setting", "seed", "length", "fid", "final_quarter_fid",
                 "improvement_last_quarter", "converged", "state"]  # fmt: skip
POOL_COLUMNS = ["method", "setting", "length", "n", "final_quarter_mean",
                "final_quarter_sd", "improvement_mean", "improvement_low",
                "improvement_high", "state"]  # fmt: skip


def read_pilot(run_dirs: Sequence[str | os.PathLike]) -> pd.DataFrame:
    """The evaluations of every pilot run: method, setting, seed, iteration, fid."""
    rows = []
    for run_dir in run_dirs:
        where = parse_run_dir(run_dir)
        metrics = read_metrics_csv(Path(run_dir) / "metrics.csv")
        for r in metrics.itertuples(index=False):
            rows.append(
                {
                    "method": where["method"],
                    "setting": where["setting"],
                    "seed": int(where["seed"]),
                    "iteration": int(r.iteration),
                    "fid": float(r.fid),
                }
            )
    return pd.DataFrame(rows, columns=["method", "setting", "seed", "iteration", "fid"])


def pilot_lengths(curves: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Per run and candidate length L (every evaluation): the FID at L, the mean over
    the final quarter of a run stopped at L, the improvement over its last quarter,
    whether that is within the tolerance, and the run's state
    (:func:`cggan.convergence.run_state`)."""
    rows = []
    keys = ["method", "setting", "seed"]
    for (method, setting, seed), run in curves.groupby(keys, sort=True):
        run = run.sort_values("iteration")
        records = run.to_dict("records")
        for i, point in enumerate(records):
            if point["iteration"] == 0:
                continue
            upto = records[: i + 1]
            diag = convergence_diagnostic(upto, "fid", "min") or {}
            improvement = diag.get("improvement_last_quarter")
            rows.append(
                {
                    "method": method,
                    "setting": setting,
                    "seed": seed,
                    "length": point["iteration"],
                    "fid": point["fid"],
                    "final_quarter_fid": final_quarter_mean(upto, "fid"),
                    "improvement_last_quarter": improvement,
                    "converged": is_converged(improvement, tolerance),
                    "state": run_state(improvement, tolerance),
                }
            )
    return pd.DataFrame(rows, columns=PILOT_COLUMNS)


def pool_lengths(lengths: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Per pool (method x setting) and length: the seeds as replicates - the mean and
    sd of their final-quarter FID (the power analysis's spread) and the pool-level
    convergence test (:func:`cggan.convergence.pool_convergence`)."""
    rows = []
    for (method, setting, length), pool in lengths.groupby(
        ["method", "setting", "length"], sort=True
    ):
        values = pool["final_quarter_fid"].astype(float).dropna()
        test = pool_convergence(
            pool["improvement_last_quarter"].astype(float).dropna().tolist(), tolerance
        )
        rows.append(
            {
                "method": method,
                "setting": setting,
                "length": int(length),
                "n": len(values),
                "final_quarter_mean": float(values.mean()) if len(values) else None,
                "final_quarter_sd": float(values.std(ddof=1))
                if len(values) > 1
                else None,
                "improvement_mean": test["mean"],
                "improvement_low": test["ci_low"],
                "improvement_high": test["ci_high"],
                "state": test["state"],
            }
        )
    return pd.DataFrame(rows, columns=POOL_COLUMNS)


def evaluation_movement(curves: pd.DataFrame, start: float = 0.5) -> pd.DataFrame:
    """Per run: the median relative change of FID from one evaluation to the next
    over the run's last ``1 - start`` of training (|FID_k+1 - FID_k| / FID_k)."""
    rows = []
    for (method, setting, seed), run in curves.groupby(
        ["method", "setting", "seed"], sort=True
    ):
        run = run.sort_values("iteration")
        late = run[run["iteration"] > start * run["iteration"].max()]
        fid = late["fid"].to_numpy(dtype=float)
        steps = abs(fid[1:] - fid[:-1]) / fid[:-1]
        rows.append(
            {
                "method": method,
                "setting": setting,
                "seed": seed,
                "median_step_change": float(pd.Series(steps).median())
                if len(steps)
                else None,
            }
        )
    return pd.DataFrame(rows)
