"""Which runs of a study enter its statistics: the sweep and the confirmation.

* the **sweep**: every setting of the grid at each of the experiment's ``sweep_seeds``
  (one seed a setting in the paper): :func:`sweep_runs`.
* the **confirmation**: the selected setting of each experiment × method × rule, re-run
  with all seeds; a seed its selection lists without a run enters as ``"missing"``:
  :func:`confirmation_runs`.

:func:`study_run_dirs` lists a configured study's runs of both (the sweep, and the
confirmation runs of each selection file), so a run the config no longer names never
enters a table.

Selection (the best sweep setting per method × rule) is
:func:`cggan.study.select_settings`, the one algorithm the workflow's selection step
uses too.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cggan.results.runs.load import load_selections, metric_info
from cggan.study.ranking import select_settings
from cggan.study.selection import sweep_seeds_of
from cggan.study.study import Study

__all__ = ["Selections", "confirmation_runs", "study_run_dirs", "sweep_runs"]

#: ``{experiment: selection file}`` (:func:`cggan.results.runs.load.load_selections`).
Selections = Mapping[str, Mapping[str, Any]]


def sweep_runs(
    runs: pd.DataFrame, selections: Selections | None = None
) -> pd.DataFrame:
    """The sweep: every run at one of its experiment's ``sweep_seeds`` ([0] without
    selection)."""
    selections = selections or {}
    keep = pd.Series(False, index=runs.index)
    for experiment in runs["experiment"].unique():
        seeds = sweep_seeds_of(selections.get(experiment) or {})
        keep |= (runs["experiment"] == experiment) & runs["seed"].isin(seeds)
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
            "seed": r.seed,
            "summary": {
                "status": r.status,
                "final_metric": r.final_metric,
                "best_metric": r.best_metric,
                "final_quarter_metric": r.final_quarter_metric,
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
    selections: Selections | None,
    by: str,
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


def study_run_dirs(
    study: Study,
    selection_dir: str | os.PathLike,
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The run directories and selections of a configured study.

    Args:
        study: the study (its grid, and the results root its runs lie under).
        selection_dir: where the selection step wrote ``<experiment>.json``; every
            experiment of the study needs its file.

    Returns:
        ``(run_dirs, selections)``: ``Study.sweep_run_dirs()`` plus every selection's
        ``Study.confirmation_run_dirs``, and ``{experiment: selection}``.

    Raises:
        ValueError: a missing or invalid selection file.
    """
    selections = load_selections(selection_dir, study.experiments)
    run_dirs = list(study.sweep_run_dirs())
    for experiment in study.experiments:
        run_dirs += study.confirmation_run_dirs(
            {**selections[experiment], "experiment": experiment}
        )
    return run_dirs, selections
