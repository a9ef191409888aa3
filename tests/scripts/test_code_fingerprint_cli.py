"""scripts/code_fingerprint.py (DVC's `code` stage) and scripts/dvc_study.py (the
study dvc.yaml runs): what counts as a change of code, and one line for what they
refuse."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from cggan.fingerprint import code_fingerprint
from helpers import load_script

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "code_fingerprint.py"
code_fp = load_script(SCRIPT, "code_fingerprint")


def _copy(dst: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("src/cggan", "scripts", "workflow"):
        shutil.copytree(REPO / name, dst / name, ignore=ignore)
    return dst


def test_the_cli_writes_the_fingerprints_of_its_own_checkout(tmp_path):
    root = _copy(tmp_path / "repo")
    out = tmp_path / "elsewhere" / "code_fingerprint.json"
    proc = subprocess.run(
        [sys.executable, str(root / "scripts/code_fingerprint.py"), str(out)],
        cwd=tmp_path,  # not the checkout: its files are found from the script
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.read_text())
    assert record == code_fp.fingerprints(root)
    training = code_fingerprint(root / "src/cggan")
    assert record["training"] == training["fingerprint"]
    assert record["training_modules"] == training["modules"]
    assert set(record["scripts"]) == {p.stem for p in (root / "scripts").glob("*.py")}
    # the same code elsewhere: the same fingerprints
    assert code_fp.fingerprints(_copy(tmp_path / "other")) == record


def test_comments_do_not_count_code_does_and_each_key_covers_its_code(tmp_path):
    root = _copy(tmp_path / "repo")
    before = code_fp.fingerprints(root)
    aggregate = root / "scripts/aggregate.py"
    text = aggregate.read_text()
    aggregate.write_text("# a comment\n" + text)
    smk = root / "workflow/rules/aggregate.smk"
    smk.write_text("# a comment\n" + smk.read_text())
    assert code_fp.fingerprints(root) == before

    aggregate.write_text(text + "\n_SEMANTIC_EDIT = 1\n")
    after = code_fp.fingerprints(root)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"library", "scripts"}  # not training: aggregation only
    assert {k for k in before["scripts"] if before["scripts"][k] != after["scripts"][k]}
    assert after["scripts"]["prepare_data"] == before["scripts"]["prepare_data"]

    cg = root / "src/cggan/optim/cg.py"
    cg.write_text(cg.read_text() + "\n_SEMANTIC_EDIT = 1\n")
    again = code_fp.fingerprints(root)
    assert (
        again["training"] != after["training"] and again["library"] != after["library"]
    )


def test_a_missing_directory_is_one_line(tmp_path):
    root = _copy(tmp_path / "repo")
    shutil.rmtree(root / "workflow")
    proc = subprocess.run(
        [sys.executable, str(root / "scripts/code_fingerprint.py"), "out.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and not (tmp_path / "out.json").exists()
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "workflow: no such directory" in proc.stderr


def test_dvc_study_points_dvc_yaml_at_a_study_or_refuses_it_in_one_line(tmp_path):
    root = tmp_path / "repo"
    for name in ("config", "scripts", "workflow"):
        shutil.copytree(REPO / name, root / name)
    for name in ("dvc.yaml", "dvc-study.yaml"):
        shutil.copy2(REPO / name, root / name)
    script = str(root / "scripts/dvc_study.py")

    def dvc_study(*args):
        return subprocess.run(
            [sys.executable, script, *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert dvc_study("--check", "config/config.yaml").returncode == 0
    assert dvc_study("--check", "config/ci.yaml").returncode == 1
    proc = dvc_study("config/ci.yaml")
    assert proc.returncode == 0, proc.stderr
    assert dvc_study("--check", "config/ci.yaml").returncode == 0
    text = (root / "dvc-study.yaml").read_text()
    assert "study: ci\n" in text and "out: results/studies/ci\n" in text
    (root / "config/bad.yaml").write_text("study: bad\n")
    proc = dvc_study("config/bad.yaml")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("error: config/bad.yaml lacks keys dvc.yaml tracks")
    assert (root / "dvc-study.yaml").read_text() == text  # unchanged
