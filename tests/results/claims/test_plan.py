"""The analysis plan (cggan.results.claims.plan): read from a resolved study config,
hashed; its defaults live in the config schema only."""

from __future__ import annotations

import copy

import pytest
from tests.results.fake_runs import DEFAULTS

from cggan.results.claims.plan import analysis_plan, plan_sha256


def test_analysis_plan_reads_config_and_its_hash_changes_with_it():
    config = copy.deepcopy(DEFAULTS)
    default = analysis_plan(config)
    config["analysis"]["alpha"] = 0.01
    config["selection"]["by"] = "best"
    config["convergence"]["tolerance"] = 0.1
    plan = analysis_plan(config)
    assert (plan["alpha"], plan["rank_by"], plan["convergence_tolerance"]) == (
        0.01,
        "best",
        0.1,
    )
    assert plan_sha256(plan) != plan_sha256(default)
    # every number the verdicts use is the schema's default unless the config says
    assert {k: default[k] for k in DEFAULTS["analysis"]} == DEFAULTS["analysis"]


def test_a_config_without_the_schema_s_defaults_is_refused_in_one_line():
    for missing in ("analysis", "selection", "convergence"):
        config = {k: v for k, v in DEFAULTS.items() if k != missing}
        with pytest.raises(ValueError, match=f"^Invalid study config: no '{missing}'"):
            analysis_plan(config)
