"""The analysis plan (cggan.results.claims.plan): read from a study config, hashed,
and its defaults the config schema's."""

from __future__ import annotations

from pathlib import Path

from cggan.io import load_yaml
from cggan.results.claims.plan import DEFAULT_PLAN, analysis_plan, plan_sha256


def test_analysis_plan_reads_config_and_its_hash_changes_with_it():
    plan = analysis_plan(
        {
            "analysis": {"alpha": 0.01},
            "selection": {"by": "best"},
            "convergence": {"tolerance": 0.1},
        }
    )
    assert (plan["alpha"], plan["rank_by"], plan["convergence_tolerance"]) == (
        0.01,
        "best",
        0.1,
    )
    assert plan_sha256(plan) != plan_sha256(analysis_plan({}))


def test_default_plan_is_the_schemas():
    """The plan's defaults are written twice (``DEFAULT_PLAN``, for tables made without
    a config, and the schema): they must agree."""
    schema = load_yaml(
        Path(__file__).parents[3] / "workflow/schemas/config.schema.yaml"
    )
    props = schema["properties"]
    analysis = {k: v["default"] for k, v in props["analysis"]["properties"].items()}
    assert {k: DEFAULT_PLAN[k] for k in analysis} == analysis
    tolerance = props["convergence"]["properties"]["tolerance"]["default"]
    assert DEFAULT_PLAN["convergence_tolerance"] == tolerance
