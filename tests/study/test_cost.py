"""Tests of cggan.study.cost: a study's planned runs and their cost at measured
rates."""

from __future__ import annotations

import json

import pytest

from cggan import study as cs
from cggan.study.cost import (
    JOB_START_S,
    evaluations_per_run,
    measured_rates,
    rates_from_runs,
    study_cost,
)

from .builders import sgd_two_settings_config


def _summary(wall, evaluation, iterations=40, every=10, status="finished"):
    return {
        "status": status,
        "wall_time_s": wall,
        "eval_time_s": evaluation,
        "iterations": iterations,
        "spec": {"eval": {"every": every}},
    }


def test_evaluations_per_run_counts_iteration_zero_and_the_last():
    assert evaluations_per_run(100_000, 1000) == 101
    assert evaluations_per_run(30, 10) == 4
    assert evaluations_per_run(25, 10) == 4  # 0, 10, 20 and 25


def test_rates_are_medians_over_finished_runs():
    # 40 iterations, every 10: 5 evaluations (0, 10, 20, 30, 40)
    rates = measured_rates(
        [
            _summary(1.4, 0.5),  # 0.9 s / 40 = 22.5 ms; 0.1 s an evaluation
            _summary(1.0, 0.2),  # 20 ms; 0.04 s
            _summary(2.0, 1.0),  # 25 ms; 0.2 s
            _summary(99.0, 0.0, status="failed"),  # not counted
        ],
        "here",
    )
    assert rates.ms_per_iteration == pytest.approx(22.5)
    assert rates.s_per_evaluation == pytest.approx(0.1)
    assert rates.n_runs == 3 and rates.source == "here"
    with pytest.raises(ValueError, match="no finished run"):
        measured_rates([_summary(1.0, 0.1, status="diverged")], "there")


def test_rates_from_a_runs_directory(tmp_path):
    for k, wall in enumerate((1.0, 1.4, 2.0)):
        run = tmp_path / "exp" / "sgd" / f"seed{k}"
        run.mkdir(parents=True)
        (run / "summary.json").write_text(json.dumps(_summary(wall, 0.2)))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "summary.json").write_text("{")
    assert rates_from_runs(tmp_path).ms_per_iteration == pytest.approx(30.0)


def test_study_cost_counts_sweep_seeds_extensions_and_confirmation():
    config = sgd_two_settings_config()  # one pool of 2 settings, 40 iterations
    del config["experiments"]["ring8"]
    config.update(sweep_seeds=[0, 10, 20], seeds=[1, 2, 3, 4])
    config["selection"]["max_grid_extensions"] = 2
    study = cs.Study(config)
    rates = measured_rates([_summary(1.0, 0.2)], "here")  # 20 ms, 0.04 s
    cost = study_cost(study, rates, cores=2)
    assert (cost.sweep_runs, cost.confirmation_runs) == (6, 4)
    assert cost.extension_runs_max == 2 * 3  # 2 rounds x 1 pool x 3 sweep seeds
    every = study.experiment("digits")["eval"]["every"]
    per_run = 40 * 0.020 + (40 // every + 1) * 0.04 + JOB_START_S
    assert cost.core_seconds == pytest.approx(10 * per_run)
    assert cost.core_seconds_max == pytest.approx(16 * per_run)
    low, high = cost.wall_minutes()
    assert low == pytest.approx(10 * per_run / 2 / 60)
    line = cost.line()
    assert "10 runs (6 sweep + 4 confirmation)" in line and "20.0 ms" in line
    assert "\n" not in line
    with pytest.raises(ValueError, match="Invalid cores"):
        study_cost(study, rates, cores=0)
