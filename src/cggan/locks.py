"""Stale Snakemake locks: found and released without a manual ``--unlock``.

Snakemake locks the working directory (``.snakemake/locks/``) while it runs and removes
the lock when it exits; a ``kill -9`` or a power cut leaves the lock behind, and the
next run stops with "Directory cannot be locked". A lock is stale when no live Snakemake
process works in the directory; then removing the lock files is exactly what
``snakemake --unlock`` does. Where processes' working directories cannot be read (no
``/proc``, e.g. macOS), any live Snakemake process counts as a holder, so a lock is
never taken from a running workflow.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["live_snakemake_pids", "release_stale_lock"]


def _is_snakemake(cmdline: list[str]) -> bool:
    # `snakemake ...`, `.venv/bin/snakemake ...` or `python -m snakemake ...`; not this
    # module's own process nor editors that merely mention the word.
    names = [Path(arg).name for arg in cmdline[:3]]
    return "snakemake" in names


def _proc_pids(workdir: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = Path(os.readlink(entry / "cwd")).resolve()
        except OSError:
            continue  # gone meanwhile, or another user's process
        args = [a.decode(errors="replace") for a in cmdline if a]
        if _is_snakemake(args) and cwd == workdir:
            pids.append(int(entry.name))
    return pids


def _ps_pids() -> list[int]:
    out = subprocess.run(
        ["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=False
    ).stdout
    pids = []
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        if pid.isdigit() and int(pid) != os.getpid() and _is_snakemake(args.split()):
            pids.append(int(pid))
    return pids


def live_snakemake_pids(workdir: str | os.PathLike = ".") -> list[int]:
    """PIDs of the live Snakemake processes that may hold ``workdir``'s lock."""
    workdir = Path(workdir).resolve()
    if Path("/proc/self/cwd").exists():
        return _proc_pids(workdir)
    return _ps_pids()


def release_stale_lock(workdir: str | os.PathLike = ".") -> str | None:
    """Remove ``workdir``'s Snakemake lock if no live Snakemake process holds it.

    Returns:
        One line for the user when a stale lock was removed, else None (no lock, or a
        live Snakemake process holds it: Snakemake itself then refuses to start).
    """
    locks = Path(workdir) / ".snakemake" / "locks"
    files = sorted(p for p in locks.glob("*") if p.is_file()) if locks.is_dir() else []
    if not files or live_snakemake_pids(workdir):
        return None
    for path in files:
        path.unlink(missing_ok=True)
    return (
        f"removed a stale Snakemake lock ({len(files)} files in {locks}; no Snakemake "
        "process was running here, e.g. after kill -9)"
    )
