"""A live workflow's lock cannot be taken, however Snakemake was started (issue 17).

`scripts/unlock_stale.py` (the first step of `make run`) used to recognise Snakemake by
the first words of a command line, so a workflow started as `python -W ignore -m
snakemake` lost its lock while it trained, and a Snakemake on another login node of a
shared file system was invisible. The workflow now records its holder (host, pid, start
time) once it holds the lock, and only a holder on this host that is provably dead
loses it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cggan.locks import HOLDER_FILE, read_holder
from pipeline.conftest import REPO, copy_repo, env

UNLOCK = [sys.executable, str(REPO / "scripts/unlock_stale.py")]


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _unlock(cwd: Path, code: int = 0) -> str:
    proc = subprocess.run(UNLOCK, cwd=cwd, env=env(), capture_output=True, text=True)
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def _running(line: str, pid: int) -> None:
    """A live holder: one line that names it and never suggests --unlock as a fix."""
    assert line.startswith("error: a workflow is running in this directory"), line
    assert f"pid {pid}" in line and "do not --unlock" in line


def test_a_holder_started_as_python_w_ignore_keeps_its_lock(tmp_path):
    """The issue's case without the cost of a workflow: a process started as
    `python -W ignore ...` holds the lock and records itself as the workflow does."""
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("")
    (locks / "0.output.lock").write_text("")
    time.sleep(0.05)
    code = (
        "import time; from cggan.locks import record_holder; record_holder(); "
        "time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-c", code], cwd=tmp_path
    )
    try:
        assert _wait_for(lambda: read_holder(tmp_path) is not None, 30)
        _running(_unlock(tmp_path, code=3), holder.pid)
        assert len(list(locks.iterdir())) == 2
    finally:
        holder.kill()
        holder.wait()
    line = _unlock(tmp_path)  # killed: now provably gone
    assert line.startswith("cggan: removed a stale Snakemake lock"), line
    assert list(locks.iterdir()) == []


@pytest.mark.slow
def test_the_workflow_records_its_holder_and_a_live_run_keeps_its_lock(tmp_path):
    """The real workflow, started as `python -W ignore -m snakemake`: its lock is kept
    while it runs, and released by the next `make run` after a kill -9."""
    root = copy_repo(tmp_path / "repo")
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "snakemake"]
        + ["--configfile", "config/ci.yaml", "--cores", "1"],
        cwd=root,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert _wait_for(lambda: (root / HOLDER_FILE).exists(), 600)
        holder = read_holder(root)
        assert holder["pid"] == proc.pid
        assert list((root / ".snakemake/locks").iterdir())
        _running(_unlock(root, code=3), proc.pid)
        assert proc.poll() is None and list((root / ".snakemake/locks").iterdir())
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the workflow and its jobs, as a crash
        proc.wait()
    assert list((root / ".snakemake/locks").iterdir()), "a crash leaves the lock"
    line = _unlock(root)
    assert line.startswith("cggan: removed a stale Snakemake lock"), line
    assert not list((root / ".snakemake/locks").iterdir())
