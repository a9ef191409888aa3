"""The committed studies' verdicts are computed, never typed: claims.csv is recomputed
from the committed runs.csv byte for byte, and the README's findings block is what
cggan.results.claims.readme_findings makes of the committed claims.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from cggan.results.claims.check import claims_table
from cggan.results.claims.plan import analysis_plan, plan_sha256
from cggan.results.claims.readme_findings import readme_block, replace_block
from cggan.results.runs.runs_csv import read_runs_csv
from cggan.results.tables.formatting import write_csv
from cggan.study.config_file import read_config_file

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
STUDIES = {
    "primary": "config/primary.yaml",
    "default": "config/config.yaml",
}
#: Studies of an earlier design, kept as published by the code of their time (their
#: claims.csv is not recomputed by today's code) and marked superseded.
SUPERSEDED = ("laptop", "converged")


@pytest.mark.parametrize("study", sorted(STUDIES))
def test_committed_claims_are_recomputed_from_committed_runs(study, tmp_path):
    tables = ROOT / "docs" / "results" / study / "tables"
    plan = analysis_plan(read_config_file(ROOT / STUDIES[study], SCHEMA))
    claims = claims_table(read_runs_csv(tables / "runs.csv"), plan)
    write_csv(tmp_path / "claims.csv", claims)
    assert (tmp_path / "claims.csv").read_bytes() == (
        tables / "claims.csv"
    ).read_bytes()
    # the published plan is the config's plan
    assert plan_sha256(plan)[:12] in (tables / "claims.md").read_text()


@pytest.mark.parametrize("study", SUPERSEDED)
def test_superseded_studies_say_so_and_are_not_quoted_as_findings(study):
    readme = (ROOT / "docs" / "results" / study / "README.md").read_text()
    assert readme.splitlines()[0].startswith("# Superseded:")
    assert (
        f"docs/results/{study}/tables/claims.csv"
        not in (ROOT / "README.md").read_text()
    )


@pytest.mark.parametrize("study", ["primary"])
def test_readme_findings_are_generated_from_the_published_claims(study):
    readme = (ROOT / "README.md").read_text()
    claims = f"docs/results/{study}/tables/claims.csv"
    block = readme_block(ROOT / claims, claims)
    assert block in readme
    assert replace_block(readme, block) == readme


def test_a_readme_block_is_replaced_only_where_its_claims_file_is_named():
    blocks = {
        name: f"<!-- findings:begin (generated from {name} by x) -->\n{body}\n"
        "<!-- findings:end -->"
        for name, body in (("a.csv", "A"), ("b.csv", "B"))
    }
    text = f"intro\n{blocks['a.csv']}\nmiddle\n{blocks['b.csv']}\nend\n"
    new_b = blocks["b.csv"].replace("\nB\n", "\nB2\n")
    assert replace_block(text, new_b) == text.replace(blocks["b.csv"], new_b)
    with pytest.raises(ValueError, match="c.csv"):
        replace_block(text, blocks["a.csv"].replace("a.csv", "c.csv"))
