"""The claims check: the seed papers' claims tested on the data that answers them.

Claims (CG: Naganuma & Iiduka, AISTATS 2023; nSGDA, grafting: Jelassi et al. 2022),
per experiment x lr rule, computed from ``runs.csv`` alone
(:mod:`cggan.results.runs.runs_csv`) and the study's analysis plan (config ``analysis``,
declared before any run; its sha256 is recorded with the results):

``beats`` claims (a, b, e, h: "CG beats X in best FID")
    The fresh-seed confirmation runs of each side's selected setting. Effect: the
    difference of means (CG - X) with Welch's 95 % interval, and the Hodges–Lehmann
    shift with its distribution-free interval. Test: Welch's two-sided t; the
    one-sided Mann–Whitney U (CG better) is printed beside it as a check. ``holds``
    when the Holm-adjusted p < alpha and CG is better, ``contradicted`` when adjusted
    p < alpha and CG is worse, else ``inconclusive``.
``c`` ("CG beats Adam on average over the lr grid")
    Every sweep run of the two pools (configured grid and extensions; a run that did
    not finish counts as the worst value). Effect: the difference of the grid medians,
    with a seeded percentile-bootstrap interval and bootstrap p; verdicts as above.
``d`` ("CG is more robust to the learning rate than Adam")
    The share of each pool's grid cells within ``near_best_factor`` of the pool's best
    (FID <= factor x best), difference with a bootstrap interval and p.
``matches`` claims (f, g: "nSGDA / grafting matches Adam")
    Fresh seeds; TOST (two one-sided Welch tests) against +-``equivalence_margin`` x
    Adam's mean: ``equivalent`` when its adjusted p < alpha; otherwise ``better`` or
    ``worse`` when Welch's two-sided test of a difference rejects (adjusted), else
    ``inconclusive``. Never "contradicted" for a method that is better.

Every row states n per side, the effect with its interval, raw and Holm-adjusted p
(Holm over the declared family: the primary rows of the study; the other CG methods'
rows form a secondary family of their own), and the minimum detectable difference at
80 % power from the observed seed spread. A row is ``inconclusive`` whatever its p,
with the reason, when a side has fewer than :data:`MIN_RUNS` finished runs, when most
compared runs did not converge, or when every compared value is at the noise
reference's level; a selected setting on the edge of its grid is named in the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cggan.registry import (
    ADAM,
    GRAFT_ADAM_SGD,
    LR_POWER,
    LR_SQRT,
    LR_STEP,
    LR_STEP_AUTHORS,
    MOMENTUM,
    NSGDA,
    SGD,
    is_cg_method,
)
from cggan.results.claims.plan import CLAIMS
from cggan.results.claims.sides import (
    ExperimentRuns,
    converged_share,
    edge_note,
    parse_pool,
    pool_state,
    side_label,
)
from cggan.results.statistics.hypothesis_tests import (
    bootstrap_difference,
    hodges_lehmann,
    holm,
    mann_whitney_p,
    minimum_detectable_difference,
    tost_p,
    welch,
)

__all__ = ["CLAIM_COLUMNS", "claims_table"]

DIMINISHING = (LR_SQRT, LR_POWER, LR_STEP, LR_STEP_AUTHORS)
BETA_MAX = 0.5  # CG's cap: the matched momentum of a CG pool is beta_coeff x 1/2
BASELINE_MOMENTUM = 0.9
_HEAD_COLUMNS = [
    "experiment", "lr_rule", "budget", "claim", "role", "statement", "side_a",
    "side_b", "data", "test",
]  # fmt: skip
_NUMBER_COLUMNS = [
    "n_a", "n_b", "value_a", "value_b", "effect", "ci_low", "ci_high", "hl_shift",
    "hl_low", "hl_high", "p_value", "p_adjusted", "p_mwu", "p_difference",
    "p_difference_adjusted", "margin", "p_equivalence", "p_equivalence_adjusted",
    "mdd80", "converged_a", "converged_b",
]  # fmt: skip
CLAIM_COLUMNS = [
    *_HEAD_COLUMNS, *_NUMBER_COLUMNS, "convergence_a", "convergence_b", "verdict",
    "reason",
]  # fmt: skip


# --- rows ------------------------------------------------------------------------
def _row(ex: ExperimentRuns, claim: str, role: str, a, b, data: str, test: str):
    return {
        "experiment": ex.runs["experiment"].iloc[0],
        "lr_rule": ex.runs["lr_rule"].iloc[0],
        "budget": ex.budget,
        "claim": claim,
        "role": role,
        "statement": CLAIMS[claim][0],
        "side_a": side_label(a),
        "side_b": side_label(b),
        "data": data,
        "test": test,
        **dict.fromkeys(_NUMBER_COLUMNS, math.nan),
        "convergence_a": None,
        "convergence_b": None,
        "verdict": None,
        "reason": None,
        "_notes": [],
        "_kind": CLAIMS[claim][1],
        # effect = a - b; a is better when effect * _sign > 0 (FID: a lower)
        "_sign": ex.sign,
    }


def _two_sample(ex: ExperimentRuns, row: dict, fa: pd.DataFrame, fb: pd.DataFrame):
    a, b = ex.values(fa), ex.values(fb)
    level = 1.0 - float(ex.plan["alpha"])  # the intervals at the plan's level
    w = welch(a, b, level)
    shift, low, high = hodges_lehmann(a, b, level)
    a_lower = ex.sign < 0  # "a is better"
    row.update(
        n_a=len(a),
        n_b=len(b),
        value_a=float(a.mean()) if len(a) else math.nan,
        value_b=float(b.mean()) if len(b) else math.nan,
        effect=w["diff"],
        ci_low=w["ci_low"],
        ci_high=w["ci_high"],
        hl_shift=shift,
        hl_low=low,
        hl_high=high,
        p_mwu=mann_whitney_p(a, b, a_lower=a_lower),
        mdd80=minimum_detectable_difference(a, b, ex.plan["alpha"]),
        converged_a=converged_share(fa),
        converged_b=converged_share(fb),
    )
    _pool_states(ex, row, fa, fb)
    if row["_kind"] == "matches":
        margin = ex.plan["equivalence_margin"] * abs(row["value_b"])
        row["margin"] = margin
        row["p_value"] = tost_p(a, b, margin)
        row["p_difference"] = w["p"]
        row["_notes"].append(f"margin ±{margin:.4g}")
    else:
        row["p_value"] = w["p"]
        if row["claim"] in ex.plan["equivalence_claims"]:
            margin = ex.plan["equivalence_margin"] * abs(row["value_b"])
            row["margin"] = margin
            row["p_equivalence"] = tost_p(a, b, margin)
            row["_notes"].append(f"equivalence margin ±{margin:.4g}")
    _preconditions(ex, row, fa, fb, a, b)


def _pool_states(ex: ExperimentRuns, row: dict, fa, fb) -> None:
    """Both pools' convergence by the pool-level test, at the run length only (the
    runs' last-quarter change is measured at their end)."""
    if ex.budget != 1.0:
        return
    tolerance = ex.plan["convergence_tolerance"]
    row["convergence_a"] = pool_state(fa, tolerance)
    row["convergence_b"] = pool_state(fb, tolerance)


def _preconditions(ex, row, fa, fb, a, b) -> None:
    """The declared rules (plan ``min_runs``, ``require_converged``,
    ``noise_band``) that make a row inconclusive whatever its p."""
    notes = row["_notes"]
    min_runs = int(ex.plan["min_runs"])
    if min(len(a), len(b)) < min_runs:
        row["verdict"] = "inconclusive"
        notes.append(f"fewer than {min_runs} finished runs a side")
    if ex.plan["require_converged"]:
        states = [row["convergence_a"], row["convergence_b"]]
        if any(s and not s.startswith("converged") for s in states):
            row["verdict"] = "inconclusive"
            notes.append("a pool not converged (require_converged)")
    values = np.concatenate([a[np.isfinite(a)], b[np.isfinite(b)]])
    if math.isfinite(ex.noise) and len(values) and ex.sign < 0:
        if np.all(values >= ex.noise * (1 - ex.plan["noise_band"])):
            row["verdict"] = "inconclusive"
            notes.append("every compared value at the noise reference's level")


#: The test of each fresh-seed kind of claim, as printed in its row.
_FRESH_SEED_TESTS = {
    "beats": "Welch two-sided t on the fresh seeds (HL shift, one-sided MWU beside)",
    "matches": "TOST (two one-sided Welch t) within the margin; Welch two-sided t",
}


def _fresh_seeds(ex, claim, role, a, b) -> dict:
    """A "beats" or "matches" row: the confirmation runs of both sides."""
    test = _FRESH_SEED_TESTS[CLAIMS[claim][1]]
    row = _row(ex, claim, role, a, b, "confirm", test)
    _two_sample(ex, row, ex.confirm(*a), ex.confirm(*b))
    _note_edges(ex, row, a, b)
    return row


def _note_edges(ex, row, a, b) -> None:
    """Name each side whose selected setting is on its grid's edge."""
    for side in (a, b):
        frame = pd.concat([ex.sweep(*side), ex.confirm(*side)])
        edge = edge_note(frame, side)
        if edge and edge not in row["_notes"]:
            row["_notes"].append(edge)


def _median(values: np.ndarray) -> np.ndarray:
    """Per row: the median (an infinite value, a failed run, sorts last)."""
    return np.median(values, axis=1)


def _grid(ex, claim, role, a, b) -> dict:
    kind = CLAIMS[claim][1]
    fa, fb = ex.sweep(*a), ex.sweep(*b)
    va, vb = ex.grid_values(fa), ex.grid_values(fb)
    factor = ex.plan["near_best_factor"]
    if kind == "grid":
        test = "difference of grid medians, percentile bootstrap (unfinished = worst)"
        statistic = _median
    else:
        test = (
            f"share of grid cells within {factor:g}x of the pool's best, "
            "percentile bootstrap"
        )

        def statistic(values: np.ndarray) -> np.ndarray:
            """Per row: the share of cells within ``factor`` of the row's best."""
            if ex.sign < 0:
                best = np.min(values, axis=1, keepdims=True)
                near = values <= best * factor
            else:
                best = np.max(values, axis=1, keepdims=True)
                near = values >= best / factor
            return (near & np.isfinite(values)).mean(axis=1)

    row = _row(ex, claim, role, a, b, "sweep", test)
    effect, low, high, p = bootstrap_difference(
        va,
        vb,
        statistic,
        n=int(ex.plan["bootstrap"]),
        seed=0,
        confidence=1.0 - float(ex.plan["alpha"]),
    )
    value_a, value_b = (float(statistic(v[None, :])[0]) for v in (va, vb))
    row.update(
        n_a=len(va),
        n_b=len(vb),
        value_a=value_a,
        value_b=value_b,
        effect=effect,
        ci_low=low,
        ci_high=high,
        p_value=p,
        converged_a=converged_share(fa),
        converged_b=converged_share(fb),
    )
    if kind == "robust":
        row["_sign"] = 1.0  # a larger share of near-best cells is better
    _preconditions(ex, row, fa, fb, ex.values(fa), ex.values(fb))
    _note_edges(ex, row, a, b)
    return row


def _cg_rows(ex: ExperimentRuns, cg: tuple[str, str], role: str, claims) -> list[dict]:
    rule = ex.runs["lr_rule"].iloc[0]
    rows = []
    sgd, adam = ex.side(SGD), ex.side(ADAM)
    mom9 = ex.side(MOMENTUM, f"momentum~{BASELINE_MOMENTUM!r}")
    coeff = parse_pool(cg[1]).get("beta_coeff", 1.0)
    matched = ex.side(MOMENTUM, f"momentum~{float(coeff) * BETA_MAX!r}")
    plan = {"a": sgd, "b": mom9, "c": adam, "d": adam, "h": matched}
    for claim in ("a", "b", "c", "d", "h"):
        if claim not in claims or plan[claim] is None:
            continue
        kind = CLAIMS[claim][1]
        make = _fresh_seeds if kind == "beats" else _grid
        rows.append(make(ex, claim, role, cg, plan[claim]))
    if "e" in claims and rule in DIMINISHING:
        others = [
            ex.side(m) for m in sorted(set(ex.runs["method"])) if not is_cg_method(m)
        ]
        others = [o for o in others if o is not None]
        if others:
            best = min(others, key=lambda s: -ex.sign * ex.selected_value(*s))
            rows.append(_fresh_seeds(ex, "e", role, cg, best))
    return rows


def _verdict(row: dict, alpha: float) -> str:
    if row["verdict"]:
        return row["verdict"]
    p = row["p_adjusted"]
    if row["_kind"] == "matches":
        if math.isfinite(p) and p < alpha:
            return "equivalent"
        pd_ = row["p_difference_adjusted"]
        if math.isfinite(pd_) and pd_ < alpha:
            better = row["effect"] * row["_sign"] > 0
            return "better" if better else "worse"
        return "inconclusive"
    if not math.isfinite(p) or p >= alpha:
        pe = row["p_equivalence_adjusted"]
        if math.isfinite(pe) and pe < alpha:
            return "equivalent"  # no difference, and none beyond the margin
        return "inconclusive"
    better = row["effect"] * row["_sign"] > 0
    return "holds" if better else "contradicted"


def _adjust(rows: list[dict]) -> None:
    """Holm over each role's family at each budget: every row's p, the matches'
    difference p and the declared equivalence tests' p."""
    for budget in sorted({r["budget"] for r in rows}):
        for role in ("primary", "secondary"):
            family = [r for r in rows if r["role"] == role and r["budget"] == budget]
            slots = [(r, "p_value", "p_adjusted") for r in family]
            slots += [
                (r, "p_difference", "p_difference_adjusted")
                for r in family
                if r["_kind"] == "matches"
            ]
            slots += [
                (r, "p_equivalence", "p_equivalence_adjusted")
                for r in family
                if math.isfinite(r["p_equivalence"])
            ]
            adjusted = holm([r[raw] for r, raw, _ in slots])
            for (r, _, name), p in zip(slots, adjusted):
                r[name] = p


def claims_table(runs: pd.DataFrame, plan: Mapping[str, Any]) -> pd.DataFrame:
    """The claims check from ``runs.csv``
    (:func:`cggan.results.runs.runs_csv.read_runs_csv`) and an analysis plan
    (:func:`analysis_plan`); one row per claim x experiment x lr rule x role (see the
    module doc). Columns: :data:`CLAIM_COLUMNS`."""
    plan = dict(plan)
    rows: list[dict] = []
    for budget in sorted(plan["budgets"], reverse=True):
        rows += _claims_at(runs, plan, float(budget))
    _adjust(rows)
    for r in rows:
        r["verdict"] = _verdict(r, plan["alpha"])
        r["reason"] = "; ".join(r["_notes"]) or None
    table = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    table["_record"] = table["budget"] != 1.0  # the verdict of record first
    table = table.sort_values(
        ["role", "experiment", "lr_rule", "_record", "claim", "side_a", "budget"],
        kind="stable",
    )
    return table.drop(columns="_record").reset_index(drop=True)


def _claims_at(runs: pd.DataFrame, plan: Mapping[str, Any], budget: float):
    """The rows of every claim read at one budget (a fraction of the run length)."""
    claims = set(plan["claims"])
    rows: list[dict] = []
    for (_, _), ex_runs in runs.groupby(["experiment", "lr_rule"], sort=True):
        ex = ExperimentRuns(ex_runs, plan, budget)
        cg = ex.side(plan["cg_method"])
        if cg is not None:
            rows += _cg_rows(ex, cg, "primary", claims)
        for method in sorted(set(ex_runs["method"])):
            if is_cg_method(method) and method != plan["cg_method"]:
                other = ex.side(method)
                if other is not None:
                    rows += _cg_rows(ex, other, "secondary", claims)
        adam = ex.side(ADAM)
        for claim, method in (("f", NSGDA), ("g", GRAFT_ADAM_SGD)):
            side = ex.side(method)
            if claim in claims and side is not None and adam is not None:
                rows.append(_fresh_seeds(ex, claim, "primary", side, adam))
    return rows
