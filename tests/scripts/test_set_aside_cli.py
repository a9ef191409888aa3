"""scripts/set_aside.py (the workflow's set_aside job) and scripts/restore_stale.py (a
user puts set-aside stale runs back): what they move, and one line on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from cggan import study as cs
from cggan.io import sha256_file
from cggan.study.existing_runs import STALE_FILES
from cggan.study.set_asides import set_aside_name

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config" / "ci.yaml"


def script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / name), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_set_aside_moves_the_file_and_refuses_a_name_it_did_not_plan(tmp_path):
    summary = tmp_path / "run" / "summary.json"
    summary.parent.mkdir()
    summary.write_text("{")
    marker = set_aside_name(summary, sha256_file(summary), "unreadable")
    proc = script("set_aside.py", marker, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{summary} -> {marker}"
    assert Path(marker).read_text() == "{" and not summary.exists()

    proc = script("set_aside.py", str(summary) + ".nothex.stale", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("error: Invalid set-aside")


def test_restore_stale_puts_back_the_study_s_set_aside_runs(tmp_path):
    config = yaml.safe_load(CONFIG.read_text())
    config["stale_runs"] = "keep"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    # the first confirmation run of the study's first setting, set aside as stale
    with_defaults = json.loads(
        subprocess.run(
            [sys.executable, "-c", _DEFAULTS, str(tmp_path / "config.yaml")],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        ).stdout
    )
    study = cs.Study(with_defaults)
    run = tmp_path / study.sweep_run_dirs()[0]
    run.mkdir(parents=True)
    for name in STALE_FILES:
        (run / f"{name}.0123456789ab.stale").write_text(name)
    proc = script("restore_stale.py", str(tmp_path / "config.yaml"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "study 'ci': 1 stale run(s) put back"
    assert sorted(p.name for p in run.iterdir()) == sorted(STALE_FILES)

    proc = script("restore_stale.py", str(tmp_path / "missing.yaml"), cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1


# The config with the schema's defaults filled in, as the workflow sees it.
_DEFAULTS = """
import json, sys
from snakemake.utils import validate
from cggan.io import load_yaml
config = load_yaml(sys.argv[1])
validate(config, "workflow/schemas/config.schema.yaml")
print(json.dumps(config))
"""
