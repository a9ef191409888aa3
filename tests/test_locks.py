"""A Snakemake lock is released only when its recorded holder is provably gone."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cggan.locks import (
    HOLDER_FILE,
    live_holder,
    process_start,
    read_holder,
    record_holder,
    release_stale_lock,
)

ROOT = Path(__file__).resolve().parents[1]


def _lock(workdir: Path) -> Path:
    locks = workdir / ".snakemake" / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    (locks / "0.input.lock").write_text("results/x\n")
    (locks / "0.output.lock").write_text("results/y\n")
    return locks


def _record(workdir: Path, **fields) -> None:
    """A holder record written after the lock (as the workflow's onstart does)."""
    path = workdir / HOLDER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fields))
    later = max(p.stat().st_mtime for p in (workdir / ".snakemake/locks").iterdir())
    os.utime(path, (later + 1, later + 1))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_no_lock_is_nothing_to_do(tmp_path):
    assert release_stale_lock(tmp_path) is None


def test_process_start_tells_a_live_process_from_a_gone_one():
    mine = process_start(os.getpid())
    assert mine is not None and mine == process_start(os.getpid())
    assert process_start(_dead_pid()) is None


def test_record_holder_names_this_process(tmp_path):
    path = record_holder(tmp_path)
    assert path == tmp_path / HOLDER_FILE
    holder = read_holder(tmp_path)
    assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
    assert holder["started"] == process_start(os.getpid())


def test_a_lock_whose_holder_died_is_removed_with_one_line(tmp_path):
    locks = _lock(tmp_path)
    _record(tmp_path, host=socket.gethostname(), pid=_dead_pid(), started="x")
    message = release_stale_lock(tmp_path)
    assert message is not None and "\n" not in message
    assert message.startswith("removed a stale Snakemake lock"), message
    assert list(locks.iterdir()) == []


def test_a_lock_whose_pid_was_reused_is_removed(tmp_path):
    # the recorded pid is alive (this process), but it started at another time
    locks = _lock(tmp_path)
    _record(tmp_path, host=socket.gethostname(), pid=os.getpid(), started="0:1")
    message = release_stale_lock(tmp_path)
    assert message.startswith("removed a stale Snakemake lock"), message
    assert "pid now belongs to a process started at another time" in message
    assert list(locks.iterdir()) == []


def test_a_live_holder_keeps_its_lock(tmp_path):
    locks = _lock(tmp_path)
    _record(
        tmp_path,
        host=socket.gethostname(),
        pid=os.getpid(),
        started=process_start(os.getpid()),
    )
    message = release_stale_lock(tmp_path)
    assert message.startswith("kept the Snakemake lock") and "running" in message
    assert len(list(locks.iterdir())) == 2
    assert live_holder(tmp_path).startswith(f"pid {os.getpid()} on ")


def test_a_holder_on_another_host_keeps_its_lock_and_says_how_to_unlock(tmp_path):
    locks = _lock(tmp_path)
    _record(tmp_path, host="login-2.cluster.example", pid=_dead_pid(), started="x")
    message = release_stale_lock(tmp_path)
    assert "\n" not in message and message.startswith("kept the Snakemake lock")
    assert "login-2.cluster.example" in message and "snakemake --unlock" in message
    assert len(list(locks.iterdir())) == 2


@pytest.mark.parametrize("record", ["none", "unreadable", "older than the lock"])
def test_a_lock_without_a_holder_recorded_after_it_is_kept(tmp_path, record):
    locks = _lock(tmp_path)
    path = tmp_path / HOLDER_FILE
    if record == "unreadable":
        path.write_text("{not json")
    elif record == "older than the lock":  # a previous run's record: not this lock's
        path.write_text(json.dumps({"host": socket.gethostname(), "pid": _dead_pid()}))
        lock_time = (locks / "0.input.lock").stat().st_mtime
        os.utime(path, (lock_time - 60, lock_time - 60))
    message = release_stale_lock(tmp_path)
    assert message.startswith("kept the Snakemake lock") and "no holder" in message
    assert "snakemake --unlock" in message
    assert len(list(locks.iterdir())) == 2


def test_a_holder_that_cannot_be_checked_keeps_its_lock(tmp_path, monkeypatch):
    import cggan.locks

    def unreadable(pid):
        raise OSError("permission denied")

    monkeypatch.setattr(cggan.locks, "process_start", unreadable)
    locks = _lock(tmp_path)
    _record(tmp_path, host=socket.gethostname(), pid=1, started="x")
    message = release_stale_lock(tmp_path)
    assert (
        message.startswith("kept the Snakemake lock") and "cannot be checked" in message
    )
    assert len(list(locks.iterdir())) == 2


def test_cli_prints_the_line_and_exits_zero(tmp_path):
    _lock(tmp_path)
    _record(tmp_path, host=socket.gethostname(), pid=_dead_pid(), started="x")
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts/unlock_stale.py"), "--workdir", tmp_path],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0
    assert out.stderr.startswith("cggan: removed a stale Snakemake lock")
    assert not list((tmp_path / ".snakemake/locks").iterdir())
