"""What a study costs before it trains: its runs x iterations at rates measured here.

A study is sized from measurements, never from a remembered figure: the time a training
iteration and an evaluation take on this machine, read from finished runs (each
``summary.json`` records ``wall_time_s``, ``eval_time_s`` and ``iterations``; a short
calibration study or the pilot provides them), and the study's own plan of runs:

* sweep: every configured setting x every sweep seed;
* grid extension: at most one step past an edge per pool and round
  (``selection.max_grid_extensions``), each at every sweep seed - an upper bound, as
  only pools whose best setting lies on an edge extend;
* confirmation: every pool x every confirmation seed.

Wall time = core-seconds / cores: a lower bound (a last job may leave a core idle).
Torch-free.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cggan.study.study import Study

__all__ = [
    "Rates",
    "StudyCost",
    "evaluations_per_run",
    "measured_rates",
    "rates_from_runs",
    "study_cost",
]

#: Interpreter and torch start-up of one training job (seconds), paid once per job.
JOB_START_S = 5.0


@dataclass(frozen=True)
class Rates:
    """Measured speeds: ms per training iteration (evaluation excluded), seconds per
    evaluation, from ``n_runs`` finished runs of ``source``."""

    ms_per_iteration: float
    s_per_evaluation: float
    n_runs: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "ms_per_iteration": round(self.ms_per_iteration, 2),
            "s_per_evaluation": round(self.s_per_evaluation, 3),
            "n_runs": self.n_runs,
            "source": self.source,
        }


def evaluations_per_run(iterations: int, every: int) -> int:
    """Evaluations of one run: iteration 0, every ``every`` iterations, and the last
    iteration when ``every`` does not divide ``iterations`` (docs/training.md)."""
    if every <= 0:
        return 0
    return 1 + iterations // every + (1 if iterations % every else 0)


def _evaluations(summary: Mapping[str, Any]) -> int:
    """Evaluations a finished run made (:func:`evaluations_per_run` of its spec)."""
    spec = summary.get("spec") or {}
    every = int((spec.get("eval") or {}).get("every") or 0)
    return evaluations_per_run(int(summary.get("iterations") or 0), every)


def measured_rates(summaries: Iterable[Mapping[str, Any]], source: str) -> Rates:
    """Median speeds over finished runs' summaries.

    Raises:
        ValueError: no finished run with timings.
    """
    per_iteration, per_evaluation = [], []
    for s in summaries:
        if s.get("status") != "finished":
            continue
        wall, evaluation = s.get("wall_time_s"), s.get("eval_time_s")
        iterations, evaluations = int(s.get("iterations") or 0), _evaluations(s)
        if wall is None or evaluation is None or not iterations or not evaluations:
            continue
        per_iteration.append(1000.0 * (float(wall) - float(evaluation)) / iterations)
        per_evaluation.append(float(evaluation) / evaluations)
    if not per_iteration:
        raise ValueError(
            f"Invalid rates source: {source} (no finished run with timings)"
        )
    return Rates(
        ms_per_iteration=_median(per_iteration),
        s_per_evaluation=_median(per_evaluation),
        n_runs=len(per_iteration),
        source=source,
    )


def _median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def rates_from_runs(runs_root: str | os.PathLike) -> Rates:
    """:func:`measured_rates` of every ``summary.json`` under a runs directory."""
    root = Path(runs_root)
    summaries = []
    for path in sorted(root.rglob("summary.json")):
        try:
            summaries.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return measured_rates(summaries, str(root))


@dataclass(frozen=True)
class StudyCost:
    """The runs a study plans and what they cost at some measured rates."""

    sweep_runs: int
    extension_runs_max: int
    confirmation_runs: int
    core_seconds: float
    core_seconds_max: float
    cores: int
    rates: Rates

    @property
    def runs(self) -> int:
        return self.sweep_runs + self.confirmation_runs

    def wall_minutes(self) -> tuple[float, float]:
        """Wall minutes without and with every possible extension run."""
        return (
            self.core_seconds / self.cores / 60.0,
            self.core_seconds_max / self.cores / 60.0,
        )

    def line(self) -> str:
        low, high = self.wall_minutes()
        return (
            f"{self.runs} runs ({self.sweep_runs} sweep + {self.confirmation_runs} "
            f"confirmation) + at most {self.extension_runs_max} extension runs: "
            f"{low:.0f}-{high:.0f} min on {self.cores} cores at "
            f"{self.rates.ms_per_iteration:.1f} ms an iteration and "
            f"{self.rates.s_per_evaluation:.2f} s an evaluation (measured: "
            f"{self.rates.n_runs} runs of {self.rates.source})"
        )


def _run_seconds(experiment: Mapping[str, Any], rates: Rates) -> float:
    iterations = int(experiment["iterations"])
    evaluations = evaluations_per_run(iterations, int(experiment["eval"]["every"]))
    return (
        iterations * rates.ms_per_iteration / 1000.0
        + evaluations * rates.s_per_evaluation
        + JOB_START_S
    )


def study_cost(study: Study, rates: Rates, cores: int) -> StudyCost:
    """The cost of a study at ``rates`` on ``cores`` cores (see the module doc)."""
    if cores < 1:
        raise ValueError(f"Invalid cores: {cores} (allowed: an integer >= 1)")
    sweep = extension = confirmation = 0
    seconds = seconds_max = 0.0
    n_sweep_seeds, n_seeds = len(study.sweep_seeds), len(study.seeds)
    for exp in study.experiments:
        per_run = _run_seconds(study.experiment(exp), rates)
        for method, rule in study.groups(exp):
            settings = study.settings(exp, method, rule, rounds=0)
            pools = {s.pool for s in settings.values()}
            runs = len(settings) * n_sweep_seeds
            extra = len(pools) * study.max_grid_extensions * n_sweep_seeds
            confirm = len(pools) * n_seeds
            sweep, extension, confirmation = (
                sweep + runs,
                extension + extra,
                confirmation + confirm,
            )
            seconds += (runs + confirm) * per_run
            seconds_max += (runs + extra + confirm) * per_run
    return StudyCost(
        sweep_runs=sweep,
        extension_runs_max=extension,
        confirmation_runs=confirmation,
        core_seconds=seconds,
        core_seconds_max=seconds_max,
        cores=cores,
        rates=rates,
    )
