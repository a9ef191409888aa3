"""Snakemake's working-directory lock: released only when its holder is provably gone.

Snakemake locks the working directory (``.snakemake/locks/``) while it runs and removes
the lock when it exits; a ``kill -9`` or a power cut leaves the lock behind, and the
next run stops with "Directory cannot be locked". The workflow records who holds the
lock as soon as it holds it (:func:`record_holder`, from the ``onstart`` handler in
``workflow/rules/common.smk``): host, pid and the process's start time, in
``.snakemake/cggan_lock_holder.json``. :func:`release_stale_lock` (``make run`` calls
it first) removes the lock only when that holder ran on this host and is no longer
alive: its pid is gone, or now belongs to a process that started at another time (a
reused pid, or a reboot). A holder on another host (a login node of a shared file
system), a lock taken after the last record (no holder recorded yet, or a Snakemake
that does not record one), or a process this host cannot inspect keeps the lock, with
one line saying how to unlock by hand. Nothing here guesses from command lines.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cggan.io import atomic_write_json

__all__ = [
    "HOLDER_FILE",
    "live_holder",
    "process_start",
    "read_holder",
    "record_holder",
    "release_stale_lock",
]

#: Where the workflow records the lock's holder, beside Snakemake's ``locks/``.
HOLDER_FILE = Path(".snakemake") / "cggan_lock_holder.json"
_UNLOCK = "snakemake --unlock (with the same --configfile)"


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str | None:
    """When process ``pid`` started, as an opaque string (None: no such process).

    Linux: the boot id and the start time in clock ticks since boot
    (``/proc/<pid>/stat``), so a pid reused after the holder died, or after a reboot,
    gives another value. Elsewhere: ``ps -o lstart=``.

    Raises:
        OSError: the process exists but its start time cannot be read.
    """
    if Path("/proc/self/stat").exists():
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return None
        # the command name (field 2) may hold spaces and parentheses: split after it
        fields = text.rsplit(")", 1)[1].split()
        return f"{_boot_id()}:{fields[19]}"  # field 22 of proc(5): starttime
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    out = subprocess.run(
        ["ps", "-o", "lstart=", "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0 or not out.stdout.strip():
        raise OSError(f"cannot read the start time of pid {pid} (ps: {out.stderr})")
    return out.stdout.strip()


def record_holder(workdir: str | os.PathLike = ".") -> Path:
    """Record this process as the holder of ``workdir``'s Snakemake lock.

    Called by the workflow's ``onstart`` handler: Snakemake holds the lock by then, and
    runs the handler only for a real run (never ``-n``, ``--unlock`` or in a job).

    Returns:
        The record's path.
    """
    pid = os.getpid()
    record = {
        "host": socket.gethostname(),
        "pid": pid,
        "started": process_start(pid),
        "recorded": time.time(),
        "command": " ".join(sys.argv)[:500],
    }
    path = Path(workdir) / HOLDER_FILE
    atomic_write_json(path, record)
    return path


def read_holder(workdir: str | os.PathLike = ".") -> dict[str, Any] | None:
    """The recorded holder (None: no record, or an unreadable one)."""
    try:
        record = json.loads((Path(workdir) / HOLDER_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("pid"), int):
        return None
    return record


def _lock_files(workdir: Path) -> list[Path]:
    locks = workdir / ".snakemake" / "locks"
    return sorted(p for p in locks.glob("*") if p.is_file()) if locks.is_dir() else []


def _recorded_after(record_path: Path, files: list[Path]) -> bool:
    """Whether the holder was recorded after the lock was taken (both times from the
    file system's clock, so a shared file system's skew does not matter)."""
    try:
        recorded = record_path.stat().st_mtime
        locked = max(p.stat().st_mtime for p in files)
    except (OSError, ValueError):
        return False
    return recorded >= locked


def live_holder(workdir: str | os.PathLike = ".") -> str | None:
    """``pid P on H (command)`` when ``workdir``'s Snakemake lock is held by a workflow
    running on this host (its recorded pid alive, started when recorded); else None."""
    workdir = Path(workdir)
    files = _lock_files(workdir)
    holder = read_holder(workdir)
    if not files or holder is None or not _recorded_after(workdir / HOLDER_FILE, files):
        return None
    if holder.get("host") != socket.gethostname():
        return None
    try:
        started = process_start(holder["pid"])
    except OSError:
        return None
    if started is None or started != holder.get("started"):
        return None
    command = holder.get("command") or "snakemake"
    return f"pid {holder['pid']} on {holder.get('host')} ({command})"


def release_stale_lock(workdir: str | os.PathLike = ".") -> str | None:
    """Remove ``workdir``'s Snakemake lock if its recorded holder is provably gone.

    Returns:
        None when there is no lock; otherwise one line for the user: the lock was
        removed (its holder on this host is dead), or it was kept and why (a live
        holder, a holder on another host, no holder recorded since the lock was taken,
        or a process that cannot be checked), with how to unlock by hand.
    """
    workdir = Path(workdir)
    files = _lock_files(workdir)
    if not files:
        return None
    where = workdir / ".snakemake" / "locks"
    holder = read_holder(workdir)
    if holder is None or not _recorded_after(workdir / HOLDER_FILE, files):
        return (
            f"kept the Snakemake lock in {where}: no holder was recorded since it was "
            "taken (a workflow still starting, or an older version's); if no Snakemake "
            f"runs in this directory on any host, unlock by hand: {_UNLOCK}"
        )
    pid, host = holder["pid"], holder.get("host")
    who = f"pid {pid} on {host}"
    if host != socket.gethostname():
        return (
            f"kept the Snakemake lock in {where}: it is held by {who}, another host, "
            f"which cannot be checked from here; if that workflow is gone, unlock by "
            f"hand: {_UNLOCK}"
        )
    try:
        started = process_start(pid)
    except OSError as exc:
        return (
            f"kept the Snakemake lock in {where}: its holder, {who}, cannot be checked "
            f"({exc}); if that workflow is gone, unlock by hand: {_UNLOCK}"
        )
    if started is not None and started == holder.get("started"):
        return (
            f"kept the Snakemake lock in {where}: it is held by a running workflow "
            f"({who}, {holder.get('command') or 'snakemake'})"
        )
    for path in files:
        path.unlink(missing_ok=True)
    why = (
        "no longer running"
        if started is None
        else "gone (its pid now belongs to a process started at another time)"
    )
    return (
        f"removed a stale Snakemake lock ({len(files)} files in {where}; its holder, "
        f"{who}, is {why}, e.g. after kill -9)"
    )
