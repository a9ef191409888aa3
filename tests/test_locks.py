"""A stale Snakemake lock is released; a live workflow's lock is never taken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cggan.locks import live_snakemake_pids, release_stale_lock

ROOT = Path(__file__).resolve().parents[1]


def _lock(workdir: Path) -> Path:
    locks = workdir / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("results/x\n")
    (locks / "0.output.lock").write_text("results/y\n")
    return locks


def test_no_lock_is_nothing_to_do(tmp_path):
    assert release_stale_lock(tmp_path) is None


def test_a_lock_without_a_live_snakemake_is_removed_with_one_line(tmp_path):
    locks = _lock(tmp_path)
    message = release_stale_lock(tmp_path)
    assert message is not None and "\n" not in message and "stale" in message
    assert list(locks.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs /proc")
def test_a_lock_held_by_a_live_snakemake_in_the_directory_is_kept(tmp_path):
    locks = _lock(tmp_path)
    fake = tmp_path / "bin" / "snakemake"  # a process whose program is called snakemake
    fake.parent.mkdir()
    shutil.copy(shutil.which("sleep"), fake)
    proc = subprocess.Popen([str(fake), "30"], cwd=tmp_path)
    try:
        for _ in range(50):
            if proc.pid in live_snakemake_pids(tmp_path):
                break
            time.sleep(0.05)
        assert proc.pid in live_snakemake_pids(tmp_path)
        assert release_stale_lock(tmp_path) is None
        assert len(list(locks.iterdir())) == 2
        # the same process does not hold another directory's lock
        other = tmp_path / "other"
        _lock(other)
        assert release_stale_lock(other) is not None
    finally:
        proc.kill()
        proc.wait()
    assert release_stale_lock(tmp_path) is not None


def test_cli_prints_the_line_and_exits_zero(tmp_path):
    _lock(tmp_path)
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/unlock_stale.py"),
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert out.returncode == 0
    assert "stale Snakemake lock" in out.stderr
