"""Fault injection at the workflow level (config/ci.yaml): what a user or a cluster does
to a study, and what the study must do in return. docs/reliability.md
lists the scenarios.

Each test works on its own copy of the session's ci study (tests/conftest.py), so the
scenarios do not interact.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pipeline.conftest import (
    REPO,
    SNAKEMAKE,
    copy_repo,
    env,
    nothing_to_do,
    ring8_only,
    snakemake,
)

pytestmark = pytest.mark.slow

OUT = Path("results/studies/ci")
TABLES = ("summary.csv", "paper_table.csv", "seeds.csv")


def _copy_study(ci_study, dst: Path) -> Path:
    src, _ = ci_study
    root = copy_repo(dst)
    shutil.copytree(src / "results", root / "results", symlinks=True)
    shutil.copytree(src / ".snakemake", root / ".snakemake", symlinks=True)
    return root


def _tables(root: Path) -> dict[str, bytes]:
    return {name: (root / OUT / "tables" / name).read_bytes() for name in TABLES}


def _confirmation_summary(root: Path) -> Path:
    sel = json.loads((root / "results/selection/ci/digits.json").read_text())
    chosen = sel["selected"][0]
    seed = max(sel["seeds"])
    return (
        root
        / "results/runs/ci/digits"
        / chosen["method"]
        / chosen["lr_rule"]
        / chosen["setting"]
        / f"seed{seed}"
        / "summary.json"
    )


def _train_jobs(proc) -> int:
    text = proc.stdout + proc.stderr
    return sum(
        1
        for line in text.splitlines()
        if line.startswith(("rule train", "localrule train"))
    )


def test_a_new_study_name_plans_its_runs(ci_study, tmp_path):
    root = _copy_study(ci_study, tmp_path / "repo")
    same = snakemake(["-n", "--configfile", "config/ci.yaml"], root)
    assert nothing_to_do(same)
    new = snakemake(
        ["-n", "--configfile", "config/ci.yaml", "--config", "study=ci2"], root
    )
    assert not nothing_to_do(new)
    assert "results/runs/ci2/" in new.stdout and "results/studies/ci2/" in new.stdout


def test_the_paper_config_after_another_study_plans_its_grid(ci_study, tmp_path):
    root = _copy_study(ci_study, tmp_path / "repo")
    proc = snakemake(["-n", "--configfile", "config/paper.yaml"], root, timeout=300)
    assert not nothing_to_do(proc)
    assert "results/runs/paper/cifar10/" in proc.stdout
    assert _train_jobs(proc) > 1000


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_a_lost_confirmation_run_is_retrained_and_the_tables_are_unchanged(
    ci_study, tmp_path, damage
):
    root = _copy_study(ci_study, tmp_path / "repo")
    before = _tables(root)
    summary = _confirmation_summary(root)
    if damage == "delete":
        summary.unlink()
    else:
        summary.write_text(summary.read_text()[:40])
    plan = snakemake(["-n", "--configfile", "config/ci.yaml"], root)
    assert _train_jobs(plan) == 1, plan.stdout[-3000:]
    snakemake(["--configfile", "config/ci.yaml", "--cores", "2"], root)
    assert json.loads(summary.read_text())["status"] == "finished"
    assert _tables(root) == before
    if damage == "truncate":
        assert len(list(summary.parent.glob("summary.json.*.unreadable"))) == 1


def test_a_removed_setting_leaves_the_tables(ci_study, tmp_path):
    root = _copy_study(ci_study, tmp_path / "repo")
    config = yaml.safe_load((root / "config/ci.yaml").read_text())
    config["lr_rules"]["constant"]["lr_g"] = [1.0e-3]  # drop lr_g 5e-4
    (root / "config/ci.yaml").write_text(yaml.safe_dump(config))
    snakemake(["--configfile", "config/ci.yaml", "--cores", "2"], root)
    for name in TABLES:
        text = (root / OUT / "tables" / name).read_text()
        assert "lr_g~0.0005" not in text, name
    # the removed setting's runs are kept on disk, only left out
    assert list((root / "results/runs/ci").rglob("lr_d~0.001_lr_g~0.0005*"))


def test_an_unreadable_sweep_summary_is_retrained_not_a_cryptic_selection_error(
    ci_study, tmp_path
):
    root = _copy_study(ci_study, tmp_path / "repo")
    sweep = next((root / "results/runs/ci/ring8").rglob("seed0/summary.json"))
    sweep.write_text('{"status": "finished", "final_metric": ')
    proc = snakemake(["--configfile", "config/ci.yaml", "--cores", "2"], root)
    assert "unreadable run summary" in proc.stderr
    assert json.loads(sweep.read_text())["status"] in ("finished", "diverged")


def test_kill_9_of_the_workflow_then_rerun_needs_no_manual_step(tmp_path):
    root = copy_repo(tmp_path / "repo")
    config = ring8_only(root, "crash")
    reference = copy_repo(tmp_path / "reference")
    ref_config = ring8_only(reference, "crash")
    snakemake(["--configfile", ref_config, "--cores", "2"], reference)

    proc = subprocess.Popen(
        [SNAKEMAKE, "--configfile", config, "--cores", "2"],
        cwd=root,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list((root / "results/runs").rglob("*.csv")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the workflow and its jobs, as a crash would
    proc.wait()
    assert list((root / ".snakemake/locks").iterdir()), "the crash should leave a lock"

    # `make run`: release the stale lock, then run the workflow
    unlock = subprocess.run(
        [sys.executable, str(REPO / "scripts/unlock_stale.py")],
        cwd=root,
        env=env(),
        capture_output=True,
        text=True,
    )
    assert unlock.returncode == 0 and "stale Snakemake lock" in unlock.stderr
    snakemake(["--configfile", config, "--cores", "2"], root)
    out = Path("results/studies/crash/tables")
    for name in TABLES:
        assert (root / out / name).read_bytes() == (reference / out / name).read_bytes()
