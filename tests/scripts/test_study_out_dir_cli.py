"""scripts/study_out_dir.py (`make report`'s out dir): the study's own directory, and
one line for a config it cannot read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "study_out_dir.py"


def out_dir(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("config", "expected"),
    [("config.yaml", "results"), ("ci.yaml", "results/studies/ci")],
)
def test_each_study_has_its_own_out_dir(config, expected):
    proc = out_dir(REPO / "config" / config)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("study: a\nstudy: b\n", "duplicated key 'study'"),
        ("study: [\n", "Invalid"),
        ("study: ../up\n", "invalid study name"),
    ],
)
def test_a_bad_config_is_one_line_and_exit_2(tmp_path, text, message):
    config = tmp_path / "c.yaml"
    config.write_text(text)
    proc = out_dir(config)
    assert proc.returncode == 2 and proc.stdout == ""
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_help_is_help_not_a_config_error():
    done = out_dir("--help")
    assert done.returncode == 0 and done.stderr == ""
    assert "out dir" in done.stdout
