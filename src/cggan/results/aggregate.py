"""Aggregate a study's runs into its tables, plots and ``metrics.json``.

Inputs: an explicit list of run directories and the workflow's selection files::

    <runs_root>/<experiment>/<method>/<lr_rule>/<setting>/seed<k>/
        summary.json  metrics.csv  samples.png
    <selection_dir>/<experiment>.json
        {"metric", "by", "sweep_seeds", "seeds", "selected": [{"method", "lr_rule",
         "setting"}]}

:func:`~cggan.results.runs.sweep_and_confirmation.study_run_dirs` lists a study's runs
from its configuration (the sweep and the confirmation runs of each selection), so a run
the config no longer names never enters a table. :func:`aggregate` reads every input
first, then computes the tables and writes them with their figures and ``metrics.json``
under ``out_dir`` (:mod:`cggan.results.output_files` lists the files), atomically and as
one set (:func:`cggan.io.atomic_file_set`). :func:`aggregate_study` reads each FID
experiment's calibration (``Study.calibration_path``). This module does not import
torch.
"""

from __future__ import annotations

import copy
import io
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cggan.fingerprint import code_fingerprint
from cggan.io import atomic_file_set
from cggan.results.claims.cg_vs_momentum import cg_vs_momentum_table
from cggan.results.claims.check import claims_table
from cggan.results.claims.plan import analysis_plan, plan_sha256
from cggan.results.claims.sides import pool_state
from cggan.results.output_files import AggregateResult, write_plots, write_tables
from cggan.results.runs.curves import read_curves
from cggan.results.runs.load import (
    find_run_dirs,
    load_runs,
    load_selections,
    metric_info,
)
from cggan.results.runs.runs_csv import read_runs_csv, runs_csv_text, runs_table
from cggan.results.runs.sweep_and_confirmation import (
    Selections,
    confirmation_runs,
    study_run_dirs,
    sweep_runs,
)
from cggan.results.statistics.beta import read_beta_curves
from cggan.results.statistics.seeds import seed_table, summary_table
from cggan.results.statistics.top_k import paper_table, rank_column
from cggan.results.tables import calibration as calib
from cggan.results.tables.metrics_json import metrics_json
from cggan.results.tables.published_numbers import published_experiments
from cggan.results.tables.published_vs_reproduced import write_published_tables
from cggan.study.config_checks import read_study_config
from cggan.study.layout import parse_run_dir
from cggan.study.study import Study

__all__ = ["aggregate", "aggregate_study", "cli_aggregate"]


def _check_options(top_k: int, confidence: float, rank_by: str) -> None:
    rank_column(rank_by)
    if top_k < 1:
        raise ValueError(f"Invalid top_k: {top_k} (allowed: top_k >= 1)")
    if not 0.0 < confidence < 1.0:
        raise ValueError(
            f"Invalid confidence: {confidence} (allowed: 0 < confidence < 1)"
        )


def _check_selections(runs: pd.DataFrame, selections: Selections) -> None:
    """A selection made on another metric than its runs store means mixed-up results."""
    for experiment, selection in selections.items():
        metric = selection.get("metric")
        if metric is None or experiment not in set(runs["experiment"]):
            continue
        stored, _ = metric_info(runs, experiment)
        if stored != "metric" and metric != stored:
            raise ValueError(
                f"Invalid selection for {experiment!r}: metric {metric!r}, "
                f"but its runs store {stored!r}"
            )


def _with_converged(
    seeds: pd.DataFrame, table: pd.DataFrame, tolerance: float
) -> pd.DataFrame:
    """The seeds table with ``n_converged`` (the confirmation runs of each setting
    within the convergence tolerance; empty when unknown), ``pool_convergence`` (the
    pool-level test of those runs, :func:`cggan.results.claims.sides.pool_state`) and
    the seed means ``confident_mean``, ``class_entropy_mean`` of the classifier's
    numbers."""
    place = ["experiment", "method", "lr_rule", "setting"]
    confirm = table[table["phase"] == "confirm"]
    counts = confirm[confirm["converged"].notna()].groupby(place)["converged"].sum()
    keys = list(zip(*(seeds[c] for c in place)))
    out = seeds.copy()
    out["n_converged"] = [int(counts[k]) if k in counts.index else pd.NA for k in keys]
    out["n_converged"] = out["n_converged"].astype("Int64")
    # the pool-level test over each setting's confirmation runs (cggan.convergence)
    groups = dict(list(confirm.groupby(place)))
    out["pool_convergence"] = [
        pool_state(groups[k], tolerance) if k in groups else None for k in keys
    ]
    # the digits classifier's numbers at the final evaluation, seed means
    quality = confirm.groupby(place)[["confident", "class_entropy"]].mean()
    for column in ("confident", "class_entropy"):
        out[f"{column}_mean"] = [
            quality[column].get(k, float("nan")) if len(quality) else float("nan")
            for k in keys
        ]
    return out


def _tables(
    frames: dict[str, pd.DataFrame],
    selections: Selections,
    calibration: calib.Calibration | None,
    options: dict[str, Any],
) -> AggregateResult:
    """Every table of the study, from what :func:`aggregate` read."""
    runs, confirmed = frames["runs"], frames["confirmed"]
    result = AggregateResult()
    curves = frames["curves"]
    start = curves[curves["iteration"] == 0]
    untrained = start.groupby("experiment")["value"].median().to_dict()
    result.calibration = calib.calibration_table(runs, calibration, untrained)
    paper = paper_table(
        runs, selections, top_k=options["top_k"], rank_by=options["rank_by"]
    )
    seeds = seed_table(confirmed, confidence=options["confidence"])
    summary = summary_table(confirmed)
    result.paper, result.seeds, result.summary = (
        calib.add_calibration_columns(t, result.calibration)
        for t in (paper, seeds, summary)
    )
    result.cg_vs_momentum = cg_vs_momentum_table(runs, confidence=options["confidence"])
    # the claims read runs.csv as written (6 significant digits), so that the
    # committed claims.csv is recomputed from the committed runs.csv byte for byte
    plan = result.plan = options["plan"]
    table = runs_table(
        runs,
        selections,
        tolerance=plan["convergence_tolerance"],
        rounds=options["rounds"],
        calibration=result.calibration,
        current_code=code_fingerprint()["fingerprint"],
        by=plan["rank_by"],
        budgets=plan["budgets"],
    )
    result.runs_csv = runs_csv_text(table)
    result.runs_table = table
    result.seeds = _with_converged(result.seeds, table, plan["convergence_tolerance"])
    result.claims = claims_table(read_runs_csv(io.StringIO(result.runs_csv)), plan)
    result.metrics = metrics_json(result.paper, result.seeds, result.calibration)
    result.metrics["analysis_plan_sha256"] = plan_sha256(plan)
    return result


def aggregate(
    run_dirs: Sequence[str | os.PathLike],
    selections: Selections | None,
    out_dir: str | os.PathLike,
    *,
    top_k: int,
    confidence: float,
    plan: Mapping[str, Any],
    plots: bool = True,
    calibration: calib.Calibration | None = None,
    rounds: Mapping[tuple[str, str, str, str], int] | None = None,
) -> AggregateResult:
    """Write every table, plot and ``metrics.json`` of one study.

    Args:
        run_dirs: the study's runs (:func:`study_run_dirs`; sweep and confirmation).
        selections: ``{experiment: selection}`` (:func:`load_selections`); an
            experiment without one is selected here from its sweep.
        out_dir: writes ``tables/``, ``plots/``, ``plots/data/``, ``metrics.json``.
        top_k: the k of Top-k (the paper: 10).
        confidence: level of the percentile-bootstrap interval of the seed mean.
        plots: draw the PNG figures (the CSV plot data is always written).
        calibration: ``{experiment: {"real_floor", "noise_reference", "n"} or None}``
            (:func:`cggan.results.tables.calibration.study_calibration`); an FID
            experiment without one is "not measured".
        plan: the analysis plan (:func:`cggan.results.claims.plan.analysis_plan`);
            its ``rank_by`` is the number that ranks settings and answers the claims.
        rounds: ``(experiment, method, rule, setting) -> grid extension round`` for
            runs.csv (empty cells where unknown).

    Returns:
        The written paths and the tables.

    Raises:
        ValueError: bad arguments, no runs, inconsistent runs, or an unreadable
            ``summary.json``/``metrics.csv`` (``"<file>: <reason>"``).
    """
    rank_by = plan["rank_by"]
    _check_options(top_k, confidence, rank_by)
    selections = selections or {}
    runs = load_runs(run_dirs)
    _check_selections(runs, selections)
    confirmed = confirmation_runs(runs, selections, by=rank_by)
    # every input is read before the first file is written: a bad file writes nothing
    frames = {
        "runs": runs,
        "confirmed": confirmed,
        "curves": read_curves(confirmed),
        "sweep": sweep_runs(runs, selections),
        "beta": read_beta_curves(confirmed),
    }
    options = {
        "top_k": top_k,
        "confidence": confidence,
        "rank_by": rank_by,
        "plan": dict(plan),
        "rounds": rounds or {},
    }
    result = _tables(frames, selections, calibration, options)
    with atomic_file_set(out_dir, "aggregate") as staged:  # one set, or the old one
        write_tables(result, staged.dir)
        write_plots(result, staged.dir, frames, rank_by, plots)
    result.paths = [staged.final(p) for p in result.paths]
    return result


def aggregate_study(
    study: Study,
    selection_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    plots: bool = True,
) -> AggregateResult:
    """:func:`aggregate` over exactly the runs a study names, with the options its
    config carries (``aggregate.top_k``, ``aggregate.confidence`` and the analysis
    plan, ``selection.by`` included): a study has one set of options, its config's.

    Each FID experiment's calibration is read from ``Study.calibration_path``: a
    missing file is "not measured", an unreadable one stops with a line naming it.
    An experiment that sets ``published`` adds
    :mod:`cggan.results.tables.published_vs_reproduced`'s table.

    Args:
        study: the study (its resolved config, and the results root of its runs).
        selection_dir: the study's selection files (one per experiment).
        out_dir: where ``tables/``, ``plots/`` and ``metrics.json`` go.
        plots: draw the PNG figures.

    Raises:
        ValueError: see :func:`study_run_dirs`, :func:`aggregate` and
            :func:`cggan.results.tables.calibration.read_calibration`.
    """
    config = study.config
    published = published_experiments(config)  # checked before anything is written
    run_dirs, selections = study_run_dirs(study, selection_dir)
    with atomic_file_set(out_dir, "aggregate_study") as staged:
        result = aggregate(
            run_dirs,
            selections,
            staged.dir,
            top_k=config["aggregate"]["top_k"],
            confidence=config["aggregate"]["confidence"],
            plan=analysis_plan(config),
            plots=plots,
            calibration=calib.study_calibration(study),
            rounds=_rounds(study, run_dirs),
        )
        result.paths += write_published_tables(
            result.paper, published, staged.dir / "tables"
        )
    result.paths = [staged.final(p) for p in result.paths]
    return result


def _rounds(study: Study, run_dirs) -> dict[tuple[str, str, str, str], int]:
    """The grid extension round of every run's setting (runs.csv's ``round``)."""
    grids = {exp: study.grid_rounds(exp) for exp in study.experiments}
    out = {}
    for run_dir in run_dirs:
        w = parse_run_dir(run_dir)
        grid = grids.get(w["experiment"], {})
        out[(w["experiment"], w["method"], w["lr_rule"], w["setting"])] = grid.get(
            (w["method"], w["lr_rule"], w["setting"]), -1
        )
    return out


#: The options of an ad hoc aggregation: ``{option: (config section, key)}``.
AD_HOC_OPTIONS = {
    "top_k": ("aggregate", "top_k"),
    "confidence": ("aggregate", "confidence"),
    "rank_by": ("selection", "by"),
}


def _cli_run(
    study_config: str | None,
    runs_dir: Path | None,
    selection_dir: Path | None,
    results_root: str,
    out_dir: Path,
    options: dict[str, Any],
    defaults: Mapping[str, Any] | None,
) -> AggregateResult:
    plots = options.pop("plots")
    if study_config is not None:
        if selection_dir is None:
            raise ValueError(
                "Invalid --selection-dir: missing (--study-config needs it)"
            )
        for name, value in options.items():
            if value is not None:
                flag = "--" + name.replace("_", "-")
                raise ValueError(
                    f"Invalid {flag}: given with --study-config (the study's config "
                    "carries it: aggregate.top_k, aggregate.confidence, selection.by)"
                )
        study = Study(read_study_config(study_config), results=results_root)
        return aggregate_study(study, selection_dir, out_dir, plots=plots)
    # an ad hoc directory of runs: the schema's defaults for what is not given
    if defaults is None:
        raise ValueError("Invalid --runs-dir: no schema defaults to aggregate with")
    config = copy.deepcopy(dict(defaults))
    for name, (section, key) in AD_HOC_OPTIONS.items():
        if options[name] is not None:
            config[section][key] = options[name]
    return aggregate(
        find_run_dirs(runs_dir),
        load_selections(selection_dir),
        out_dir,
        top_k=config["aggregate"]["top_k"],
        confidence=config["aggregate"]["confidence"],
        plan=analysis_plan(config),
        plots=plots,
    )


def cli_aggregate(
    *,
    out_dir: Path,
    study_config: str | None = None,
    runs_dir: Path | None = None,
    selection_dir: Path | None = None,
    results_root: str = "results",
    top_k: int | None = None,
    confidence: float | None = None,
    rank_by: str | None = None,
    no_plots: bool = False,
    defaults: Mapping[str, Any] | None = None,
) -> int:
    """``scripts/aggregate.py``: the exit code (0, or 2 with one ``error:`` line).

    Args:
        out_dir: where ``tables/``, ``plots/`` and ``metrics.json`` go.
        study_config: the resolved study config (JSON text or file):
            :func:`aggregate_study` over its runs, with ``selection_dir`` (required).
        runs_dir: else every run found under it (ad hoc; ``selection_dir`` optional).
        results_root: root of the study's run directories.
        top_k, confidence, rank_by: with ``runs_dir`` only (None: the schema's
            default, from ``defaults``); a study config carries its own, and giving
            them beside it is an error.
        no_plots: write tables and plot data only.
        defaults: the config schema's defaults
            (:func:`cggan.study.config_file.schema_defaults`), for ``runs_dir``.
    """
    options = {
        "top_k": top_k,
        "confidence": confidence,
        "rank_by": rank_by,
        "plots": not no_plots,
    }
    try:
        result = _cli_run(
            study_config,
            runs_dir,
            selection_dir,
            results_root,
            Path(out_dir),
            options,
            defaults,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n_runs = int(result.paper["n_runs"].sum()) if len(result.paper) else 0
    print(
        f"aggregate: {n_runs} sweep runs, {len(result.paths)} files written "
        f"under {out_dir}"
    )
    return 0
