"""The sides a claim compares (:mod:`cggan.results.claims.check`) and the runs behind
them.

A side is ``(method, pool)``. :class:`ExperimentRuns` holds one experiment x lr rule's
rows of ``runs.csv``: each pool's sweep and confirmation runs, the values that rank
them, and which pool of a method the sweep ranked best. Beside it, what a claim's row
states of a side: its label, the share of its finished runs that converged, and whether
its selected setting is on its grid's edge.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cggan.convergence import pool_convergence
from cggan.registry import BEST
from cggan.results.runs.runs_csv import budget_column
from cggan.study.layout import LR_GRID

__all__ = [
    "ExperimentRuns",
    "converged_share",
    "edge_note",
    "parse_pool",
    "pool_state",
    "side_label",
]


def parse_pool(pool: str) -> dict[str, float | str]:
    """A pool's hyperparameter values, ``{name: value}`` (empty: the lr grid alone)."""
    out: dict[str, float | str] = {}
    if pool == LR_GRID:
        return out
    # names may hold underscores (beta_coeff), values never do
    for name, value in re.findall(r"([A-Za-z][A-Za-z0-9_]*)~([^_]+)(?:_|$)", pool):
        try:
            out[name] = float(value)
        except ValueError:
            out[name] = value
    return out


class ExperimentRuns:
    """The runs of one experiment x rule and the values that rank them."""

    def __init__(
        self, runs: pd.DataFrame, plan: Mapping[str, Any], budget: float = 1.0
    ):
        self.runs = runs
        self.plan = plan
        self.budget = budget
        mode = runs["metric_mode"].dropna()
        self.sign = 1.0 if (len(mode) and mode.iloc[0] == "max") else -1.0
        column = budget_column(budget)
        if column in runs.columns:
            self.column = column  # the plan's number at this budget
        else:  # a runs.csv written before budgets: the number at the run's end
            self.column = "best_metric" if plan["rank_by"] == BEST else "final_metric"
        noise = runs["noise_reference"].dropna()
        self.noise = float(noise.iloc[0]) if len(noise) else math.nan

    def pools(self, method: str) -> list[str]:
        return sorted(set(self.runs.loc[self.runs["method"] == method, "pool"]))

    def sweep(self, method: str, pool: str) -> pd.DataFrame:
        r = self.runs
        return r[
            (r["method"] == method) & (r["pool"] == pool) & (r["phase"] == "sweep")
        ]

    def confirm(self, method: str, pool: str) -> pd.DataFrame:
        r = self.runs
        return r[
            (r["method"] == method) & (r["pool"] == pool) & (r["phase"] == "confirm")
        ]

    def selected_value(self, method: str, pool: str) -> float:
        """The sweep value of a pool's selected setting (what the selection saw: the
        mean of its sweep seeds)."""
        sweep = self.sweep(method, pool)
        chosen = sweep[sweep["selected"] == True]  # noqa: E712 (object column)
        values = chosen[self.column].astype(float).dropna()
        return float(values.mean()) if len(values) else math.nan  # the seed mean

    def side(self, method: str, pool: str | None = None) -> tuple[str, str] | None:
        """``(method, pool)``: the given pool, else the method's pool whose selected
        setting ranked best in the sweep (the sweep decides, never the fresh seeds)."""
        pools = self.pools(method)
        if pool is not None:
            return (method, pool) if pool in pools else None
        ranked = [(self.sign * -self.selected_value(method, p), p) for p in pools]
        ranked = [(v, p) for v, p in ranked if math.isfinite(v)]
        return (method, min(ranked)[1]) if ranked else None

    def values(self, frame: pd.DataFrame) -> np.ndarray:
        finished = frame[frame["status"] == "finished"]
        values = finished[self.column].astype(float)
        return values[np.isfinite(values)].to_numpy()

    def grid_values(self, frame: pd.DataFrame) -> np.ndarray:
        """Every grid cell, a run that did not finish counted as the worst value."""
        values = frame[self.column].astype(float).where(frame["status"] == "finished")
        return values.fillna(-self.sign * math.inf).to_numpy()


def side_label(side: tuple[str, str]) -> str:
    """``method``, or ``method (pool)`` for a pool that sets hyperparameters."""
    method, pool = side
    return method if pool == LR_GRID else f"{method} ({pool})"


def pool_state(frame: pd.DataFrame, tolerance: float) -> str:
    """The pool-level convergence of a side's finished runs
    (:func:`cggan.convergence.pool_convergence`) with its interval, e.g.
    ``improving (+12% [+6%, +18%], n 10)``."""
    finished = frame[frame["status"] == "finished"]
    values = finished["improvement_last_quarter"].astype(float).dropna().tolist()
    test = pool_convergence(values, tolerance)
    if test["n"] < 2:
        return f"{test['state']} (n {test['n']})"
    return (
        f"{test['state']} ({test['mean']:+.0%} [{test['ci_low']:+.0%}, "
        f"{test['ci_high']:+.0%}], n {test['n']})"
    )


def converged_share(frame: pd.DataFrame) -> float:
    """The share of the finished runs that converged; NaN with none finished."""
    finished = frame[frame["status"] == "finished"]
    known = finished["converged"].dropna()
    if not len(finished):
        return math.nan
    return float((known == True).sum()) / len(finished)  # noqa: E712


def edge_note(frame: pd.DataFrame, side: tuple[str, str]) -> str | None:
    """The note for a side whose selected setting is on its grid's edge, else None."""
    chosen = frame[(frame["selected"] == True) & (frame["edges"] != "")]  # noqa: E712
    if chosen.empty:
        return None
    return f"{side_label(side)} on its grid's edge ({chosen['edges'].iloc[0]})"
