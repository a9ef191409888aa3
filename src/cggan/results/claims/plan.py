"""The analysis plan of a study: which claims it tests and how.

The plan is the config's ``analysis`` section (declared before any run, so that the
verdicts cannot be tuned to the results) with the selection's ``by`` and the convergence
tolerance; :func:`plan_sha256` fingerprints it, and the results record that sha256.
:mod:`cggan.results.claims.check` tests the claims under it;
:mod:`cggan.results.claims.render` prints it above them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cggan.registry import DEFAULT_SELECTION_BY, PRIMARY_CG_METHOD

__all__ = ["CLAIMS", "DEFAULT_PLAN", "analysis_plan", "plan_sha256"]

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
#: The analysis plan's defaults (the config schema holds the same; a test keeps them).
DEFAULT_PLAN = {
    "claims": list(CLAIMS),
    "cg_method": PRIMARY_CG_METHOD,
    "alpha": 0.05,
    "equivalence_margin": 0.10,
    "near_best_factor": 1.25,
    "bootstrap": 10000,
    "rank_by": DEFAULT_SELECTION_BY,
    "convergence_tolerance": 0.05,
    # fractions of the run length at which every claim is also read (the verdict of
    # record is at 1: the declared length)
    "budgets": [1.0],
    # a side with fewer finished runs than this is not tested
    "min_runs": 3,
    # every compared value within this fraction of pixel noise's FID: not tested
    "noise_band": 0.10,
    # whether a pool that is not converged by the pool-level test turns a verdict
    # into "inconclusive" (False: the verdict stands at its budget, printed with both
    # pools' convergence state)
    "require_converged": False,
    # "beats" claims also tested for equivalence (TOST within +-equivalence_margin x
    # side b's mean), e.g. h: "CG at its cap is heavy-ball momentum"; the "matches"
    # claims f and g are always TOST
    "equivalence_claims": [],
}


def analysis_plan(config: Mapping[str, Any]) -> dict[str, Any]:
    """The analysis plan of a study config: ``analysis`` with the selection's
    ``by`` and the convergence tolerance (what the verdicts depend on)."""
    plan = dict(DEFAULT_PLAN)
    plan.update(config.get("analysis") or {})
    plan["rank_by"] = (config.get("selection") or {}).get("by", DEFAULT_SELECTION_BY)
    tolerance = (config.get("convergence") or {}).get("tolerance")
    if tolerance is not None:
        plan["convergence_tolerance"] = tolerance
    plan["claims"] = list(plan["claims"])
    return plan


def plan_sha256(plan: Mapping[str, Any]) -> str:
    """The sha256 of the plan's canonical JSON (recorded with the results)."""
    text = json.dumps(dict(plan), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
