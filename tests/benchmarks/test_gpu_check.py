"""benchmarks/gpu_check.py end to end on the CPU (``--device cpu --quick``), so that the
GPU check cannot rot between GPU runs (its cost model: tests/benchmarks/gpu/)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from gpu.optimizer_step import CG_RULES
from gpu.sizes import DEFAULT_GPU_OUT, ISSUE_METHODS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"


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
    assert set(iters["dcgan"]) == set(ISSUE_METHODS)
    assert set(ISSUE_METHODS) <= set(iters["sngan_resnet"])
    for rows in iters.values():
        for row in rows.values():
            assert row["median_s"] > 0 and row["n"] >= 1
    step = summary["optimizer_step"]
    assert set(step["cg"]) == set(CG_RULES)
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
            str(DEFAULT_GPU_OUT),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "refusing" in proc.stderr
