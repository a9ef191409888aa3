"""The training rules' shell: one process per training job."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_training_rule_execs_the_trainer():
    """A rule whose shell runs scripts/train.py replaces the shell with it (``exec``):
    killing the job (its shell, the first process a user finds) kills the trainer, so
    no summary.json can appear after Snakemake marked the job failed."""
    text = (ROOT / "workflow/rules/train.smk").read_text(encoding="utf-8")
    commands = re.findall(r'shell:\s*\n\s*"([^"]*)"', text)
    trainers = [c for c in commands if "scripts/train.py" in c]
    assert len(trainers) == 3  # train, train_seeds, train_chunk
    assert all(c.startswith("exec {PYTHON:q} scripts/train.py") for c in trainers)
