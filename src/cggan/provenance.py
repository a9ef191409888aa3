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
    "publish_study",
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


def publish_study(
    config_path: str | os.PathLike,
    dest: str | os.PathLike,
    *,
    started: float,
    finished: float,
    cores: int,
    command: str,
    git_revision: str | None = None,
    note: str | None = None,
) -> list[str]:
    """Copy a finished study's outputs to ``dest`` and write ``dest/provenance.json``.

    Raises:
        ValueError: the config is invalid, or the study wrote nothing to publish.
    """
    from snakemake.utils import validate

    from cggan.io import atomic_write_json, load_yaml
    from cggan.study.study import Study

    config = load_yaml(config_path)
    validate(
        config, str(Path(__file__).parents[2] / "workflow/schemas/config.schema.yaml")
    )
    study = Study(config)
    Path(dest).mkdir(parents=True, exist_ok=True)
    copied = publish_outputs(study.out_dir, dest)
    if not copied:
        raise ValueError(f"Invalid study: nothing to publish under {study.out_dir}")
    record = provenance(
        config_path, cores=cores, wall_time_s=finished - started, command=command
    )
    record["git_revision"] = git_revision or record["git_revision"]
    # which training code the runs should come from, and whether stale runs were kept
    from cggan.fingerprint import code_fingerprint

    record["code_fingerprint"] = code_fingerprint()["fingerprint"]
    record["stale_runs"] = config.get("stale_runs", "retrain")
    record.update(_study_facts(Path(dest)))
    if note:
        record["note"] = note
    record["files"] = copied
    atomic_write_json(Path(dest) / "provenance.json", record)
    return copied


def _study_facts(dest: Path) -> dict[str, Any]:
    """What a reader needs beside the tables: the analysis plan's sha256 (from
    metrics.json) and each FID experiment's classifier test accuracy (from
    calibration.csv; the scale of a classifier FID)."""
    import csv
    import json

    facts: dict[str, Any] = {}
    metrics = dest / "metrics.json"
    if metrics.is_file():
        plan = json.loads(metrics.read_text(encoding="utf-8")).get(
            "analysis_plan_sha256"
        )
        if plan:
            facts["analysis_plan_sha256"] = plan
    calibration = dest / "tables" / "calibration.csv"
    if calibration.is_file():
        with calibration.open(encoding="utf-8") as fh:
            accuracy = {
                row["experiment"]: float(row["classifier_accuracy"])
                for row in csv.DictReader(fh)
                if row.get("classifier_accuracy")
            }
        if accuracy:
            facts["classifier_test_accuracy"] = accuracy
    return facts
