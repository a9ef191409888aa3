"""Helpers of the workflow tests: a temporary copy of the repository and
Snakemake/DVC calls.

Each test works in a copy of workflow/, config/, scripts/, profiles/, dvc.yaml (with
dvc-study.yaml, its vars) and .dvc/config (the package itself is imported from the
venv). The tiny study of config/ci.yaml is run once per session (``ci_study``, in
tests/conftest.py) and shared by the end-to-end, DVC and reliability tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SNAKEMAKE = str(BIN / "snakemake")
COPIED = (
    "workflow",
    "config",
    "scripts",
    "profiles",
    "dvc.yaml",
    "dvc-study.yaml",
    ".dvc/config",
    ".dvc/.gitignore",
    ".dvcignore",
    ".gitignore",
)


def copy_repo(dst: Path, *, with_src: bool = False) -> Path:
    """Copy the workflow's files (and src/ for DVC's code deps) into ``dst``."""
    dst.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".snakemake")
    for name in COPIED + (("src",) if with_src else ()):
        src = REPO / name
        if not src.exists():
            continue
        target = dst / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, ignore=ignore)
        else:
            shutil.copy2(src, target)
    return dst


def env() -> dict[str, str]:
    """The test environment: the venv first on PATH (dvc.yaml calls `snakemake`), no DVC
    analytics, and any proxy pointing nowhere so that a network access fails at once."""
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    e["DVC_NO_ANALYTICS"] = "1"
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        e[var] = "http://127.0.0.1:9"
    e.pop("no_proxy", None)
    e.pop("NO_PROXY", None)
    return e


def run(cmd: list[str], cwd: Path, timeout: float = 600, check: bool = True):
    """Run a command; on failure show its output in the assertion message."""
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout
    )
    proc.elapsed = time.perf_counter() - start
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n"
            f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


def snakemake(args: list[str], cwd: Path, **kwargs):
    return run([SNAKEMAKE, *args], cwd, **kwargs)


def nothing_to_do(proc) -> bool:
    return "Nothing to be done" in proc.stdout + proc.stderr


def ring8_only(root: Path, study: str, *, toy: bool = False) -> str:
    """Write config/<study>.yaml under ``root``: config/ci.yaml with only its ring8
    experiment (a 2-D mixture: no data download, no FID), about a dozen short jobs.

    For the tests whose subject is how jobs are executed (a scheduler, DVC, a crash)
    rather than the grid: with ``study="ci"`` its runs are the ci study's ring8 runs,
    spec for spec, so their results can be compared with the session's ci study.
    Returns the config's path relative to ``root``.
    """
    config = yaml.safe_load((root / "config/ci.yaml").read_text())
    config["study"] = study
    config["experiments"] = {"ring8": config["experiments"]["ring8"]}
    if not toy:
        config["toy"] = {"enabled": False}
    path = root / "config" / f"{study}_ring8.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return str(path.relative_to(root))


def assert_ring8_rows_match(root: Path, local_root: Path) -> None:
    """The summary table of a ring8-only run of the ci study (:func:`ring8_only`) equals
    the ring8 rows of the session's ci study, by value (ring8 alone can read as integers
    where the mixed table reads floats: 0 vs 0.0)."""
    import pandas as pd

    columns = [
        "experiment",
        "method",
        "lr_rule",
        "setting",
        "n_runs",
        "n_finished",
        "final_mean",
        "best_mean",
    ]
    table = "results/studies/ci/tables/summary.csv"
    ours = pd.read_csv(root / table)[columns]
    local = pd.read_csv(local_root / table)[columns]
    local = local[local["experiment"] == "ring8"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        ours, local, check_exact=False, rtol=1e-6, check_dtype=False
    )
