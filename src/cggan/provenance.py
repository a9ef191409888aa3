"""Where a committed result came from: code revision, config, machine, wall time.

A study's outputs copied into the repository (``docs/results/<study>/``) carry a
``provenance.json`` so that a reader can tell which code and config produced them, on
what machine, and how long it took, and can regenerate them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "cpu_model",
    "git_revision",
    "provenance",
    "publish_outputs",
]


def git_revision(root: str | os.PathLike = ".") -> str | None:
    """The commit checked out in ``root`` (with ``-dirty`` for uncommitted changes)."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=40"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else the platform's answer)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def provenance(
    config_path: str | os.PathLike, *, cores: int, wall_time_s: float, command: str
) -> dict[str, Any]:
    """The provenance record of one study run."""
    config = Path(config_path)
    versions = {}
    for package in ("torch", "snakemake", "numpy", "pytorch-fid"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "git_revision": git_revision(),
        "config": str(config),
        "config_sha256": hashlib.sha256(config.read_bytes()).hexdigest(),
        "command": command,
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "cores_used": cores,
        "threads_per_job": 1,
        "wall_time_s": round(wall_time_s, 1),
        "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "versions": versions,
    }


def publish_outputs(out_dir: str | os.PathLike, dest: str | os.PathLike) -> list[str]:
    """Copy a study's tables, plots and metrics.json (never its run directories).

    Returns:
        The copied paths, relative to ``dest``.
    """
    out_dir, dest = Path(out_dir), Path(dest)
    copied = []
    for sub in ("tables", "plots"):
        if (dest / sub).exists():
            shutil.rmtree(dest / sub)
        if (out_dir / sub).is_dir():
            shutil.copytree(out_dir / sub, dest / sub)
            copied += [
                str(p.relative_to(dest))
                for p in sorted((dest / sub).rglob("*"))
                if p.is_file()
            ]
    if (out_dir / "metrics.json").is_file():
        shutil.copy2(out_dir / "metrics.json", dest / "metrics.json")
        copied.append("metrics.json")
    return copied
