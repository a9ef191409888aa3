"""The committed studies' verdicts are computed, never typed: claims.csv is recomputed
from the committed runs.csv byte for byte, and the README's findings block is what
cggan.results.findings makes of the committed claims.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from cggan.io import load_yaml
from cggan.results.claims import analysis_plan, claims_table, plan_sha256
from cggan.results.findings import readme_block, replace_block
from cggan.results.run_table import read_runs_csv
from cggan.results.tables import write_csv

ROOT = Path(__file__).resolve().parents[2]
STUDIES = {"laptop": "config/laptop.yaml", "default": "config/config.yaml"}


@pytest.mark.parametrize("study", sorted(STUDIES))
def test_committed_claims_are_recomputed_from_committed_runs(study, tmp_path):
    tables = ROOT / "docs" / "results" / study / "tables"
    plan = analysis_plan(load_yaml(ROOT / STUDIES[study]))
    claims = claims_table(read_runs_csv(tables / "runs.csv"), plan)
    write_csv(tmp_path / "claims.csv", claims)
    assert (tmp_path / "claims.csv").read_bytes() == (
        tables / "claims.csv"
    ).read_bytes()
    # the published plan is the config's plan
    assert plan_sha256(plan)[:12] in (tables / "claims.md").read_text()


def test_readme_findings_are_generated_from_the_laptop_claims():
    readme = (ROOT / "README.md").read_text()
    claims = "docs/results/laptop/tables/claims.csv"
    block = readme_block(ROOT / claims, claims)
    assert block in readme
    assert replace_block(readme, block) == readme
