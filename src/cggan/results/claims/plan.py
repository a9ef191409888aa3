"""The analysis plan of a study: which claims it tests and how.

The plan is the config's ``analysis`` section (declared before any run, so that the
verdicts cannot be tuned to the results) with the selection's ``by`` and the convergence
tolerance; :func:`plan_sha256` fingerprints it, and the results record that sha256.
:mod:`cggan.results.claims.check` tests the claims under it;
:mod:`cggan.results.claims.render` prints it above them.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["CLAIMS", "analysis_plan", "plan_sha256"]

#: ``{letter: (statement, kind)}``; kind: beats (fresh seeds), grid (c), robust (d),
#: matches (f, g).
CLAIMS = {
    "a": ("CG beats SGD in best FID", "beats"),
    "b": ("CG beats momentum SGD (0.9) in best FID", "beats"),
    "c": ("CG beats Adam on average over the lr grid", "grid"),
    "d": ("CG is more robust to the learning rate than Adam", "robust"),
    "e": ("with a diminishing rule CG beats every other method in best FID", "beats"),
    "f": ("nSGDA matches Adam", "matches"),
    "g": ("Adam-magnitude grafting (graft_adam_sgd) matches Adam", "matches"),
    "h": ("CG beats heavy-ball momentum at the matched cap in best FID", "beats"),
}


def analysis_plan(config: Mapping[str, Any]) -> dict[str, Any]:
    """The analysis plan of a resolved study config (the schema's defaults filled in,
    :func:`cggan.study.config_file.read_config_file`): ``analysis`` with the
    selection's ``by`` and the convergence tolerance (what the verdicts depend on).
    The schema is the one home of the plan's defaults.

    Raises:
        ValueError: the config lacks a section the schema fills in (not resolved).
    """
    try:
        plan = copy.deepcopy(dict(config["analysis"]))
        plan["rank_by"] = config["selection"]["by"]
        plan["convergence_tolerance"] = config["convergence"]["tolerance"]
    except (KeyError, TypeError) as exc:
        raise ValueError(
            f"Invalid study config: no {exc} (a resolved config carries the schema's "
            "defaults)"
        ) from None
    plan["claims"] = list(plan["claims"])
    return plan


def plan_sha256(plan: Mapping[str, Any]) -> str:
    """The sha256 of the plan's canonical JSON (recorded with the results)."""
    text = json.dumps(dict(plan), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
