"""The claims check as Markdown (``tables/claims.md``): the analysis plan and its
sha256, then one row per claim of :func:`cggan.results.claims.check.claims_table`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cggan.results.claims.plan import plan_sha256
from cggan.results.tables.formatting import DASH, md_table

__all__ = ["budget_label", "render_claims"]


def _f(value: Any, digits: str = ".4g") -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return DASH
    return DASH if not math.isfinite(value) else format(value, digits)


def _interval(row) -> str:
    return f"{_f(row['effect'])} [{_f(row['ci_low'])}, {_f(row['ci_high'])}]"


def render_claims(table: pd.DataFrame, plan: Mapping[str, Any]) -> str:
    """The claims as Markdown: the plan (and its sha256), then one row per claim."""
    plan = dict(plan)
    caption = (
        f"**Claims check** (analysis plan sha256 `{plan_sha256(plan)[:12]}`: "
        f"CG = `{plan['cg_method']}`, α = {plan['alpha']:g} family-wise (Holm), "
        f"equivalence margin ±{plan['equivalence_margin']:.0%} of Adam's mean, "
        f"near-best factor {plan['near_best_factor']:g}, convergence tolerance "
        f"{plan['convergence_tolerance']:g}, ranked by the {plan['rank_by']} value, "
        f"read at budgets {', '.join(budget_label(b) for b in plan['budgets'])} of "
        "the run length T; the verdict of record is at T). "
        "Best-FID claims use the fresh-seed confirmation runs of each side's selected "
        "setting: effect = mean(a) − mean(b) with Welch's 95 % interval, HL = "
        "Hodges–Lehmann shift with its interval, p = Welch two-sided (TOST for "
        "'matches'), p_adj = Holm over the family (primary rows; the other CG methods "
        "are a secondary family, per budget), p_eq = TOST within the margin where "
        "declared, MDD = the difference detectable at 80 % power, pools = each "
        "side's pool-level convergence at T (mean last-quarter improvement [95 % CI]). "
        "Grid claims (c, d) use every sweep cell with a seeded bootstrap. See "
        "docs/statistics.md.\n\n"
    )
    if table.empty:
        return caption + "_No claim applies to the runs of this study._\n"
    header = [
        "role",
        "experiment",
        "rule",
        "budget",
        "claim",
        "a vs b",
        "data",
        "n",
        "a, b",
        "effect [95 % CI]",
        "HL [CI]",
        "p",
        "p_adj",
        "p_eq (adj)",
        "MDD",
        "pools (a; b)",
        "verdict",
        "reason",
    ]
    rows = [
        [
            r["role"],
            r["experiment"],
            r["lr_rule"],
            budget_label(r["budget"]),
            f"{r['claim']}. {r['statement']}",
            f"{r['side_a']} vs {r['side_b']}",
            r["data"],
            f"{r['n_a']}, {r['n_b']}",
            f"{_f(r['value_a'])}, {_f(r['value_b'])}",
            _interval(r),
            f"{_f(r['hl_shift'])} [{_f(r['hl_low'])}, {_f(r['hl_high'])}]",
            _f(r["p_value"], ".3g"),
            _f(r["p_adjusted"], ".3g"),
            _f(r["p_equivalence_adjusted"], ".3g"),
            _f(r["mdd80"]),
            _pools(r),
            f"**{r['verdict']}**",
            r["reason"] if isinstance(r["reason"], str) else "",
        ]
        for _, r in table.iterrows()
    ]
    align = ["l"] * 7 + ["r"] * (len(header) - 7)
    return caption + md_table(header, rows, align)


def budget_label(budget: Any) -> str:
    """``T``, ``T/2``, ``T/8``, or ``0.3T`` for a budget that is no unit fraction."""
    budget = float(budget)
    if budget == 1.0:
        return "T"
    inverse = 1.0 / budget
    if abs(inverse - round(inverse)) < 1e-9:
        return f"T/{int(round(inverse))}"
    return f"{budget:g}T"


def _pools(row) -> str:
    states = [row.get("convergence_a"), row.get("convergence_b")]
    if not any(isinstance(s, str) and s for s in states):
        return DASH
    return "; ".join(s if isinstance(s, str) else DASH for s in states)
