"""A published result is the code's own, or says it is not.

The default study (minutes to rerun) must carry HEAD's training-code fingerprint: a
change to training code regenerates it in the same commit (`make run`, then
`scripts/publish_results.py`), and `make verify` reproduces its tables. A study of hours
may have been made by earlier code; its README must then name every module that changed
since (cggan.fingerprint.changed_modules)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cggan.fingerprint import changed_modules, code_fingerprint

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"
#: Studies that must be HEAD's own; every other published study with a provenance.json
#: names what changed since, unless superseded.
MUST_MATCH = ("default",)
SUPERSEDED = ("laptop", "converged")


def _provenance(study: str) -> dict:
    return json.loads((RESULTS / study / "provenance.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("study", MUST_MATCH)
def test_the_default_study_is_heads_own(study):
    record = _provenance(study)
    current = code_fingerprint()
    modules = record.get("code_modules", {})
    stored = {"modules": modules, "versions": current["versions"]}
    assert record["code_fingerprint"] == current["fingerprint"], (
        f"docs/results/{study} was made by other training code (changed: "
        f"{changed_modules(stored, current)}); rerun `make run` and publish it in the "
        "same commit"
    )


def _long_studies() -> list[str]:
    return sorted(
        p.parent.name
        for p in RESULTS.glob("*/provenance.json")
        if p.parent.name not in (*MUST_MATCH, *SUPERSEDED)
    )


@pytest.mark.parametrize("study", _long_studies())
def test_a_long_study_of_earlier_code_names_the_modules_that_changed(study):
    record = _provenance(study)
    current = code_fingerprint()
    assert isinstance(record.get("code_modules"), dict), "no per-module hashes recorded"
    stored = {"modules": record["code_modules"], "versions": current["versions"]}
    changed = changed_modules(stored, current)
    if changed is None:
        assert record["code_fingerprint"] == current["fingerprint"]
        return
    readme = (RESULTS / study / "README.md").read_text(encoding="utf-8")
    missing = [m for m in changed if m not in readme]
    assert not missing, f"docs/results/{study}/README.md does not name {missing}"
