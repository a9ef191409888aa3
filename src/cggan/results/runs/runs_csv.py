"""``runs.csv``: one row per run of a study, the raw data every verdict comes from.

A reader checks a claim from this file alone: the claims
(:mod:`cggan.results.claims.check`) take it as their only run input, and the
aggregation computes them from the file as written (read back through
:func:`read_runs_csv`), so that a test recomputes the committed ``claims.csv`` from the
committed ``runs.csv`` byte for byte.

Columns (:data:`RUNS_COLUMNS`): the run's place (experiment, method, pool, lr_rule,
setting, lr_d, lr_g, seed), ``phase`` (``sweep``: the grid at the sweep seed, extension
rounds included; ``confirm``: a selected setting at a fresh seed), ``round`` (0 for the
configured grid, k for the k-th grid extension; empty when unknown), its outcome
(status, metric, final and best value, ``final_fid``/``best_fid`` for FID experiments,
best_iteration), ``improvement_last_quarter`` and ``converged`` (cggan.convergence, at
the config's tolerance), the classifier's ``confident`` share and ``class_entropy`` at
the final evaluation, CG's ``beta_mean_g``/``beta_capped_g``, ``selected`` (the setting
its pool confirmed), ``edges`` (the grid edges a selected setting lies on after the
last extension round, ``;``-separated; empty = bracketed) and the experiment's scale
(``real_floor``, ``noise_reference``).

Then, for each budget of the analysis plan (a fraction b of the run length T), the
plan's number read off the same run at ``b x T`` iterations (:data:`budget_column`:
``metric@<b>``; :func:`cggan.convergence.value_at_budget`): the claims are tested at
every budget from the same confirmation runs. Optional on reading.

Then the code that made each run (:data:`CODE_COLUMNS`): ``code``, the first 12 hex
digits of its training-code fingerprint (:mod:`cggan.fingerprint`; empty when the run
recorded none), and ``stale``, whether that differs from the code that aggregated the
table: the runs a study keeps under ``stale_runs: keep`` are marked here. Optional on
reading (tables written before they existed lack them).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from cggan.convergence import is_converged, value_at_budget
from cggan.registry import FINAL
from cggan.study.layout import LR_GRID, pool_of_setting
from cggan.study.selection import sweep_seeds_of

__all__ = [
    "CODE_COLUMNS",
    "RUNS_COLUMNS",
    "budget_column",
    "read_runs_csv",
    "runs_csv_text",
    "runs_table",
]

RUNS_COLUMNS = [
    "experiment", "method", "pool", "lr_rule", "setting", "lr_d", "lr_g", "seed",
    "phase", "round", "status", "metric", "metric_mode", "final_metric", "best_metric",
    "final_fid", "best_fid", "best_iteration", "improvement_last_quarter", "converged",
    "confident", "class_entropy", "beta_mean_g", "beta_capped_g", "selected", "edges",
    "real_floor", "noise_reference",
]  # fmt: skip
CODE_COLUMNS = ["code", "stale"]


def budget_column(budget: float) -> str:
    """The runs.csv column of the plan's number at a budget (a fraction of T)."""
    return f"metric@{budget:g}"


def _budget_values(r, by: str, budgets) -> dict[str, float]:
    """The plan's number of one run at each budget (NaN when it has none there)."""
    rows = [{"iteration": i, "m": v} for i, v in (r.curve or ())]
    out = {}
    for budget in budgets:
        value = None
        if r.status == "finished" and r.iterations:
            length = int(round(budget * int(r.iterations)))
            value = value_at_budget(rows, "m", r.metric_mode, by, length)
        out[budget_column(budget)] = math.nan if value is None else value
    return out


def _selection_index(
    selections: Mapping[str, Mapping[str, Any]],
) -> dict[tuple[str, str, str, str], str]:
    """``(experiment, method, rule, setting) -> edges`` of every selected setting."""
    out = {}
    for experiment, selection in selections.items():
        for item in selection.get("selected") or []:
            key = (experiment, item["method"], item["lr_rule"], str(item["setting"]))
            out[key] = ";".join(item.get("edges") or [])
    return out


def _scale(calibration: pd.DataFrame | None, experiment: str) -> tuple[float, float]:
    if calibration is None or calibration.empty:
        return math.nan, math.nan
    rows = calibration[calibration["experiment"] == experiment]
    if rows.empty:
        return math.nan, math.nan
    row = rows.iloc[0]
    noise = row.get("noise_reference", row.get("noise_reference", math.nan))
    return float(row.get("real_floor", math.nan)), float(noise)


def runs_table(
    runs: pd.DataFrame,
    selections: Mapping[str, Mapping[str, Any]],
    *,
    tolerance: float,
    rounds: Mapping[tuple[str, str, str, str], int] | None = None,
    calibration: pd.DataFrame | None = None,
    current_code: str | None = None,
    by: str = FINAL,
    budgets: Sequence[float] = (),
) -> pd.DataFrame:
    """The rows of ``runs.csv`` (see the module doc), sorted by place and seed.

    Args:
        runs: :func:`cggan.results.runs.load.load_runs` rows (sweep and confirmation).
        selections: ``{experiment: selection record}`` (its ``sweep_seeds``, ``seeds``
            and ``selected`` with ``edges``).
        tolerance: ``convergence.tolerance``.
        rounds: ``(experiment, method, rule, setting) -> extension round``.
        calibration: the calibration table (``real_floor``, ``noise_reference``).
        current_code: the fingerprint of the code aggregating (``stale`` is empty
            without it).
        by: the plan's number (``rank_by``: final, best or final_quarter).
        budgets: the plan's budgets (fractions of the run length): one column each.
    """
    chosen = _selection_index(selections)
    rounds = rounds or {}
    rows = []
    for r in runs.itertuples(index=False):
        key = (r.experiment, r.method, r.lr_rule, str(r.setting))
        selection = selections.get(r.experiment) or {}
        sweep_seeds = sweep_seeds_of(selection)
        confirm_seeds = {int(s) for s in selection.get("seeds") or []}
        phase = "confirm" if key in chosen and r.seed in confirm_seeds else "sweep"
        if phase == "sweep" and r.seed not in sweep_seeds:
            continue  # neither a grid run nor a confirmation of this selection
        floor, noise = _scale(calibration, r.experiment)
        is_fid = r.metric_name == "fid"
        round_ = rounds.get(key)
        code = r.code if isinstance(r.code, str) else ""  # NaN: none recorded
        rows.append(
            {
                "experiment": r.experiment,
                "method": r.method,
                "pool": pool_of_setting(r.setting, LR_GRID),
                "lr_rule": r.lr_rule,
                "setting": str(r.setting),
                "lr_d": r.lr_d,
                "lr_g": r.lr_g,
                "seed": int(r.seed),
                "phase": phase,
                "round": math.nan if round_ is None or round_ < 0 else int(round_),
                "status": r.status,
                "metric": r.metric_name,
                "metric_mode": r.metric_mode,
                "final_metric": r.final_metric,
                "best_metric": r.best_metric,
                "final_fid": r.final_metric if is_fid else math.nan,
                "best_fid": r.best_metric if is_fid else math.nan,
                "best_iteration": r.best_iteration,
                "improvement_last_quarter": r.improvement_last_quarter,
                "converged": is_converged(r.improvement_last_quarter, tolerance)
                if r.status == "finished"
                else None,
                "confident": r.confident,
                "class_entropy": r.class_entropy,
                "beta_mean_g": r.beta_mean_g,
                "beta_capped_g": r.beta_capped_g,
                "selected": key in chosen,
                "edges": chosen.get(key, ""),
                "real_floor": floor,
                "noise_reference": noise,
                **_budget_values(r, by, budgets),
                "code": code[:12],
                "stale": None
                if current_code is None or not code
                else code != current_code,
            }
        )
    columns = RUNS_COLUMNS + [budget_column(b) for b in budgets] + CODE_COLUMNS
    table = pd.DataFrame(rows, columns=columns)
    table["round"] = table["round"].astype("Int64")
    table["best_iteration"] = pd.to_numeric(table["best_iteration"]).astype("Int64")
    order = ["experiment", "method", "pool", "lr_rule", "phase", "lr_d", "lr_g", "seed"]
    return table.sort_values(order, kind="stable").reset_index(drop=True)


def runs_csv_text(table: pd.DataFrame) -> str:
    """``runs.csv`` as written: 6 significant digits, empty cells for what is absent
    (the same format as every table of the study)."""
    return table.to_csv(index=False, na_rep="", float_format="%.6g")


def read_runs_csv(source: str | io.StringIO | Any) -> pd.DataFrame:
    """``runs.csv`` read back (a path, a buffer, or the text via ``io.StringIO``):
    the claims' one run input."""
    table = pd.read_csv(
        source,
        dtype={
            "pool": str,
            "setting": str,
            "edges": str,
            "phase": str,
            "status": str,
            "metric": str,
            "metric_mode": str,
            "code": str,
        },
        keep_default_na=False,
        na_values=[""],
    )
    missing = [c for c in RUNS_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"Invalid runs.csv: missing columns {missing}")
    table["edges"] = table["edges"].fillna("")
    for column in ("converged", "selected", "stale"):
        if column not in table.columns:
            continue
        table[column] = table[column].map(
            lambda v: (
                v if isinstance(v, bool) else {"True": True, "False": False}.get(v)
            )
        )
    return table
