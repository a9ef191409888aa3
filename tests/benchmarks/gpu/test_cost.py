"""benchmarks/gpu/cost.py: the GPU check's cost model by hand, and the paper config's
plan against the study's grid."""

from __future__ import annotations

from pathlib import Path

import pytest

from cggan.study.cost import evaluations_per_run
from gpu import cost
from gpu.sizes import REPO


def _row(method, sweep, confirm, iterations, every, n=10_000):
    return {
        "experiment": "e",
        "method": method,
        "sweep_runs": sweep,
        "confirmation_runs": confirm,
        "runs": sweep + confirm,
        "iterations": iterations,
        "evaluations": evaluations_per_run(iterations, every),
        "eval_n_samples": n,
    }


def test_gpu_hours_by_hand():
    plan = [_row("a", 8, 2, 1000, 100), _row("b", 4, 0, 2000, 1000)]
    # a: 11 evaluations; one run 1000 x 0.02 + 11 x 5 = 75 s; 10 runs = 750 s
    # b: 3 evaluations; one run 2000 x 0.01 + 3 x 5 = 35 s; 4 runs = 140 s
    hours = cost.gpu_hours(plan, {"a": 0.02, "b": 0.01}, eval_s=5.0)
    assert hours["total"] == pytest.approx((750 + 140) / 3600)
    assert hours["sweep"] == pytest.approx((8 * 75 + 4 * 35) / 3600)
    assert hours["confirmation"] == pytest.approx(2 * 75 / 3600)
    assert hours["by_method"] == pytest.approx({"a": 750 / 3600, "b": 140 / 3600})
    assert hours["runs"] == 14 and hours["missing"] == []


def test_unmeasured_methods_are_named_not_guessed():
    plan = [_row("a", 1, 0, 100, 100), _row("c", 5, 5, 100, 100)]
    hours = cost.gpu_hours(plan, {"a": 1.0}, eval_s=0.0)
    assert hours["missing"] == ["c"] and hours["runs"] == 1
    assert hours["total"] == pytest.approx(100 / 3600)


def test_slurm_runtime_is_the_slowest_run_with_margin_rounded_up():
    plan = [_row("a", 1, 0, 1000, 100), _row("b", 1, 0, 2000, 1000)]
    # slowest: a, 1000 x 0.02 + 11 x 5 = 75 s; x 1.5 + 300 s = 412.5 s = 6.875 min
    assert (
        cost.slurm_runtime_minutes(
            plan, {"a": 0.02, "b": 0.01}, 5.0, margin=1.5, startup_s=300, step_min=30
        )
        == 30
    )
    # 100K iterations at 0.1 s + 101 x 20 s = 12,020 s; x 1.5 + 300 = 18,330 s
    # = 305.5 min -> 330
    big = [_row("a", 1, 0, 100_000, 1000)]
    assert cost.slurm_runtime_minutes(big, {"a": 0.1}, 20.0) == 330


def test_study_cost_scales_the_measured_evaluation_to_the_config_samples():
    plan = [_row("a", 8, 2, 1000, 100, n=5000), _row("b", 4, 0, 2000, 1000, n=5000)]
    # 2.5 s for 1,000 samples: 12.5 s for the config's 5,000
    fid = {"seconds": 2.5, "n_samples": 1000}
    config = REPO / "config" / "paper.yaml"
    out = cost.study_cost(plan, {"a": 0.02, "b": 0.01}, fid, config, 1.5)
    assert out["eval_s"] == pytest.approx(12.5)
    hours = cost.gpu_hours(plan, {"a": 0.02, "b": 0.01}, 12.5)
    assert out["gpu_hours"] == pytest.approx(hours["total"])
    assert out["config"] == "config/paper.yaml" and out["model"] == "sngan_resnet"
    assert (out["runs"], out["sweep_runs"], out["confirmation_runs"]) == (14, 12, 2)
    assert out["slurm_runtime_min"] == cost.slurm_runtime_minutes(
        plan, {"a": 0.02, "b": 0.01}, 12.5, margin=1.5
    )
    outside = Path("/elsewhere/study.yaml")
    assert cost.study_cost(plan, {"a": 1.0}, fid, outside, 1.5)["config"] == str(
        outside
    )


def test_paper_plan_matches_the_study_grid():
    from cggan.study import Study

    config = cost.load_config(REPO / "config" / "paper.yaml")
    plan = cost.study_plan(config)
    study = Study(config)
    assert sum(r["sweep_runs"] for r in plan) == study.n_sweep_runs
    groups = sum(len(study.groups(e)) for e in study.experiments)
    seeds = [s for s in study.seeds if s not in study.sweep_seeds]
    assert sum(r["confirmation_runs"] for r in plan) == groups * len(seeds)
    assert {r["iterations"] for r in plan} == {100_000}
    assert {r["evaluations"] for r in plan} == {101}
