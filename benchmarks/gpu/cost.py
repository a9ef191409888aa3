"""The cost of a study from the measured times: its planned runs, their GPU-hours at one
run per GPU, the runtime a SLURM training job should ask for, and the profile values
that follow (printed, never applied)."""

from __future__ import annotations

import math
import os
from pathlib import Path

from gpu.sizes import REPO


def study_plan(config: dict) -> list[dict]:
    """The runs a study config plans, one row per experiment x method.

    ``config`` is a study config with the schema's defaults filled in (see
    :func:`load_config`). Sweep runs come from :class:`cggan.study.Study` (the jobs the
    Snakemake dry run lists); the confirmation runs, known only after selection, are
    one selected setting per method x lr rule times the confirmation seeds (the sweep
    seed's run is reused when it is among them). Each row: experiment, method,
    sweep_runs, confirmation_runs, runs, iterations, evaluations, eval_n_samples.
    """
    from cggan.study import Study
    from cggan.study.cost import evaluations_per_run

    study = Study(config)
    confirm_seeds = [s for s in study.seeds if s not in study.sweep_seeds]
    rows = []
    for exp in study.experiments:
        e = study.experiment(exp)
        for method in study.methods(exp):
            rules = study.lr_rules(exp)
            settings = sum(len(study.settings(exp, method, r)) for r in rules)
            sweep = settings * len(study.sweep_seeds)
            confirm = len(rules) * len(confirm_seeds)
            rows.append(
                {
                    "experiment": exp,
                    "method": method,
                    "sweep_runs": sweep,
                    "confirmation_runs": confirm,
                    "runs": sweep + confirm,
                    "iterations": int(e["iterations"]),
                    "evaluations": evaluations_per_run(
                        int(e["iterations"]), int(e["eval"]["every"])
                    ),
                    "eval_n_samples": int(e["eval"]["n_samples"]),
                }
            )
    return rows


def run_seconds(row: dict, iter_s: float, eval_s: float) -> float:
    """Seconds of one run of ``row``: iterations x time per iteration + evaluations x
    time per evaluation (checkpoints and start-up not included)."""
    return row["iterations"] * iter_s + row["evaluations"] * eval_s


def gpu_hours(plan: list[dict], iter_s: dict[str, float], eval_s: float) -> dict:
    """GPU-hours of a plan at one run per GPU.

    Args:
        plan: rows of :func:`study_plan`.
        iter_s: seconds per training iteration, per method.
        eval_s: seconds per evaluation (FID of the rows' ``eval_n_samples``).

    Returns:
        ``{"total", "sweep", "confirmation", "by_method", "runs", "missing"}``: hours,
        hours of the sweep and of the confirmation runs, hours per method, the number of
        runs, and the methods without a measured time (their runs are not counted).
    """
    total = sweep = confirm = 0.0
    by_method: dict[str, float] = {}
    missing = sorted({r["method"] for r in plan if r["method"] not in iter_s})
    runs = 0
    for row in plan:
        if row["method"] in missing:
            continue
        seconds = run_seconds(row, iter_s[row["method"]], eval_s)
        total += row["runs"] * seconds
        sweep += row["sweep_runs"] * seconds
        confirm += row["confirmation_runs"] * seconds
        by_method[row["method"]] = (
            by_method.get(row["method"], 0.0) + row["runs"] * seconds / 3600
        )
        runs += row["runs"]
    return {
        "total": total / 3600,
        "sweep": sweep / 3600,
        "confirmation": confirm / 3600,
        "by_method": by_method,
        "runs": runs,
        "missing": missing,
    }


def slurm_runtime_minutes(
    plan: list[dict],
    iter_s: dict[str, float],
    eval_s: float,
    *,
    margin: float = 1.5,
    startup_s: float = 300.0,
    step_min: int = 30,
) -> int:
    """``--time`` (minutes) for one training job: the slowest planned run x
    ``margin`` + start-up (data, Inception, CUDA context), rounded up to
    ``step_min``."""
    known = [r for r in plan if r["method"] in iter_s]
    if not known:
        raise ValueError("no planned method has a measured time per iteration")
    longest = max(run_seconds(r, iter_s[r["method"]], eval_s) for r in known)
    minutes = (longest * margin + startup_s) / 60
    return int(math.ceil(minutes / step_min) * step_min)


def load_config(path: str | os.PathLike) -> dict:
    """A study config (YAML) validated against the workflow's schema, defaults filled,
    as ``workflow/rules/common.smk`` does before it plans the study."""
    from snakemake.utils import validate

    from cggan.io import load_yaml  # refuses duplicated keys, as the workflow does

    config = load_yaml(path)
    validate(config, schema=str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    return config


def recommend(cost: dict, concurrency: dict, iterations: dict) -> dict:
    """Profile values that follow from the measurements (printed, never written)."""
    best_k, best = 1, 0.0
    for key, row in concurrency.items():
        if (
            key.isdigit()
            and "iterations_per_s" in row
            and row["iterations_per_s"] > best
        ):
            best_k, best = int(key), row["iterations_per_s"]
    one = concurrency.get("1", {}).get("iterations_per_s") or best
    # Share a GPU only where it pays: >= 1.3x the throughput of one process.
    share = best_k if one and best / one >= 1.3 else 1
    mem = [r.get("peak_mem_gib") for r in iterations.get("sngan_resnet", {}).values()]
    mem = [m for m in mem if m]
    return {
        "train:runtime": cost.get("slurm_runtime_min"),
        "train:gpu": 1,
        "dcgan_runs_per_gpu": share,
        "sngan_resnet_runs_per_gpu": 1,
        "sngan_resnet_peak_gpu_mem_gib": max(mem) if mem else None,
    }


def study_cost(
    plan: list[dict],
    iter_s: dict[str, float],
    fid: dict,
    config: str | os.PathLike,
    margin: float,
) -> dict:
    """The ``cost`` of the summary: the planned runs of ``config``, their GPU-hours and
    the SLURM runtime of a training job.

    Args:
        plan: rows of :func:`study_plan`.
        iter_s: measured seconds per SNGAN-ResNet training iteration, per method.
        fid: the FID section (``seconds`` of one evaluation of ``n_samples``).
        config: the study config's path (shown relative to the repository).
        margin: the SLURM runtime's margin over the slowest run.
    """
    # Evaluation cost scales with its samples: the measured evaluation at fid_n
    # samples, scaled to the config's n_samples (exact in the full mode).
    per_sample = fid["seconds"] / fid["n_samples"]
    eval_s = per_sample * max(r["eval_n_samples"] for r in plan)
    hours = gpu_hours(plan, iter_s, eval_s)
    path = Path(config).resolve()
    return {
        "config": str(path.relative_to(REPO))
        if path.is_relative_to(REPO)
        else str(config),
        "model": "sngan_resnet",
        "runs": sum(r["runs"] for r in plan),
        "sweep_runs": sum(r["sweep_runs"] for r in plan),
        "confirmation_runs": sum(r["confirmation_runs"] for r in plan),
        "eval_s": eval_s,
        "gpu_hours": hours["total"],
        "sweep_gpu_hours": hours["sweep"],
        "confirmation_gpu_hours": hours["confirmation"],
        "gpu_hours_by_method": hours["by_method"],
        "missing": hours["missing"],
        "margin": margin,
        "slurm_runtime_min": slurm_runtime_minutes(plan, iter_s, eval_s, margin=margin),
        "plan": plan,
    }
