"""benchmarks/gpu_check.py: its cost model by hand, and the script end to end on the
CPU (``--device cpu --quick``), so that the GPU check cannot rot between GPU runs."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from cggan.study.cost import evaluations_per_run
from helpers import load_script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"


gpu_check = load_script(SCRIPT, "gpu_check")


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
    hours = gpu_check.gpu_hours(plan, {"a": 0.02, "b": 0.01}, eval_s=5.0)
    assert hours["total"] == pytest.approx((750 + 140) / 3600)
    assert hours["sweep"] == pytest.approx((8 * 75 + 4 * 35) / 3600)
    assert hours["confirmation"] == pytest.approx(2 * 75 / 3600)
    assert hours["by_method"] == pytest.approx({"a": 750 / 3600, "b": 140 / 3600})
    assert hours["runs"] == 14 and hours["missing"] == []


def test_unmeasured_methods_are_named_not_guessed():
    plan = [_row("a", 1, 0, 100, 100), _row("c", 5, 5, 100, 100)]
    hours = gpu_check.gpu_hours(plan, {"a": 1.0}, eval_s=0.0)
    assert hours["missing"] == ["c"] and hours["runs"] == 1
    assert hours["total"] == pytest.approx(100 / 3600)


def test_slurm_runtime_is_the_slowest_run_with_margin_rounded_up():
    plan = [_row("a", 1, 0, 1000, 100), _row("b", 1, 0, 2000, 1000)]
    # slowest: a, 1000 x 0.02 + 11 x 5 = 75 s; x 1.5 + 300 s = 412.5 s = 6.875 min
    assert (
        gpu_check.slurm_runtime_minutes(
            plan, {"a": 0.02, "b": 0.01}, 5.0, margin=1.5, startup_s=300, step_min=30
        )
        == 30
    )
    # 100K iterations at 0.1 s + 101 x 20 s = 12,020 s; x 1.5 + 300 = 18,330 s
    # = 305.5 min -> 330
    big = [_row("a", 1, 0, 100_000, 1000)]
    assert gpu_check.slurm_runtime_minutes(big, {"a": 0.1}, 20.0) == 330


def test_paper_plan_matches_the_study_grid():
    from cggan.study import Study

    config = gpu_check.load_config(ROOT / "config" / "paper.yaml")
    plan = gpu_check.study_plan(config)
    study = Study(config)
    assert sum(r["sweep_runs"] for r in plan) == study.n_sweep_runs
    groups = sum(len(study.groups(e)) for e in study.experiments)
    seeds = [s for s in study.seeds if s not in study.sweep_seeds]
    assert sum(r["confirmation_runs"] for r in plan) == groups * len(seeds)
    assert {r["iterations"] for r in plan} == {100_000}
    assert {r["evaluations"] for r in plan} == {101}


def _numbers(tree):
    if isinstance(tree, bool):
        return
    if isinstance(tree, int | float):
        yield tree
    elif isinstance(tree, dict):
        for value in tree.values():
            yield from _numbers(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _numbers(value)


@pytest.mark.slow  # ~30 s of CPU; more on a loaded machine
def test_quick_cpu_run_writes_a_complete_summary(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--device",
            "cpu",
            "--quick",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=850,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "gpu_check.json").read_text())
    assert (tmp_path / "gpu_check.md").read_text().startswith("# GPU check")
    assert summary["mode"] == "quick" and summary["errors"] == {}
    prov = summary["provenance"]
    assert prov["device"] == "cpu" and prov["gpu"] is None and prov["torch"]
    assert len(prov["git_revision"]) == 40
    assert summary["cuda_tests"]["status"] == "skipped (no CUDA)"
    assert summary["cuda_tests"]["failed"] == 0
    iters = summary["iterations"]
    assert set(iters["dcgan"]) == set(gpu_check.ISSUE_METHODS)
    assert set(gpu_check.ISSUE_METHODS) <= set(iters["sngan_resnet"])
    for rows in iters.values():
        for row in rows.values():
            assert row["median_s"] > 0 and row["n"] >= 1
    step = summary["optimizer_step"]
    assert set(step["cg"]) == set(gpu_check.CG_RULES)
    assert step["adam_fused"]["median_s"] > 0
    assert summary["fid"]["seconds"] > 0 and summary["fid"]["dims"] == 64
    conc = summary["concurrency"]
    assert {"1", "2"} <= set(conc) and conc["2"]["iterations_per_s"] > 0
    cost = summary["cost"]
    assert cost["missing"] == [] and cost["gpu_hours"] > 0
    assert cost["sweep_runs"] + cost["confirmation_runs"] == cost["runs"]
    assert cost["slurm_runtime_min"] % 30 == 0 and cost["slurm_runtime_min"] > 0
    assert summary["recommended_profile"]["train:gpu"] == 1
    for number in _numbers(summary):
        assert math.isfinite(number) and number >= 0


def test_cpu_numbers_never_go_to_docs_results_gpu():
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--device",
            "cpu",
            "--quick",
            "--out",
            str(gpu_check.DEFAULT_GPU_OUT),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "refusing" in proc.stderr
