"""The claims check (cggan.results.claims.check) on hand-made runs.csv tables."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tests.results.fake_runs import default_plan

from cggan.results.claims.check import CLAIM_COLUMNS, claims_table
from cggan.results.claims.plan import plan_sha256
from cggan.results.claims.render import render_claims
from cggan.results.runs.runs_csv import RUNS_COLUMNS, read_runs_csv, runs_csv_text
from cggan.results.statistics.hypothesis_tests import holm

GOOD = [100.0, 104.0, 98.0, 102.0, 101.0, 99.0, 103.0, 97.0, 100.5, 101.5]
BAD = [140.0, 150.0, 145.0, 138.0, 152.0, 147.0, 141.0, 149.0, 144.0, 146.0]


def rows(
    method,
    values,
    *,
    phase="confirm",
    pool="lr grid",
    rule="constant",
    converged=True,
    edges="",
    lrs=None,
    status="finished",
):
    """One row per value: confirmation seeds 1.., or sweep cells along lr."""
    out = []
    for i, v in enumerate(values):
        lr = (lrs[i] if lrs else 1e-3 * 2**i) if phase == "sweep" else 1e-3
        out.append(
            {
                "experiment": "mnist",
                "method": method,
                "pool": pool,
                "lr_rule": rule,
                "setting": f"lr_d~{lr!r}_lr_g~{lr!r}",
                "lr_d": lr,
                "lr_g": lr,
                "seed": i + 1 if phase == "confirm" else 0,
                "phase": phase,
                "round": 0,
                "status": status,
                "metric": "fid",
                "metric_mode": "min",
                "final_metric": v,
                "best_metric": v,
                "final_fid": v,
                "best_fid": v,
                "best_iteration": 100,
                "improvement_last_quarter": 0.0,
                "converged": converged,
                "confident": 0.5,
                "class_entropy": 3.0,
                "beta_mean_g": math.nan,
                "beta_capped_g": math.nan,
                "selected": phase == "confirm",
                "edges": edges if phase == "confirm" else "",
                "real_floor": 10.0,
                "noise_reference": 3000.0,
            }
        )
    return out


def sweep(method, values, **kw):
    """A sweep pool whose best cell is marked selected (as the selection does)."""
    out = rows(method, values, phase="sweep", **kw)
    best = int(np.nanargmin(values))
    out[best]["selected"] = True
    return out


def table(*parts) -> pd.DataFrame:
    frame = pd.DataFrame([r for p in parts for r in p], columns=RUNS_COLUMNS)
    return read_runs_csv(io.StringIO(runs_csv_text(frame)))  # as the pipeline reads it


def claim(claims: pd.DataFrame, letter: str, role="primary", side_a=None):
    hit = claims[(claims["claim"] == letter) & (claims["role"] == role)]
    if side_a:
        hit = hit[hit["side_a"] == side_a]
    assert len(hit) == 1, claims[["claim", "role", "side_a", "side_b"]]
    return hit.iloc[0]


PLAN = default_plan(claims=["a", "b", "c", "d", "f", "g", "h"])


def base(cg=GOOD, sgd=BAD, **kw):
    return table(
        rows("cg_fr", cg, **kw),
        sweep("cg_fr", [300, 120, 200]),
        rows("sgd", sgd),
        sweep("sgd", [400, 160, 180]),
    )


def test_columns_and_the_beats_claim_uses_fresh_seeds_with_welch_and_hl():
    claims = claims_table(base(), PLAN)
    assert list(claims.columns) == CLAIM_COLUMNS
    row = claim(claims, "a")
    assert (row["side_a"], row["side_b"], row["data"]) == ("cg_fr", "sgd", "confirm")
    assert (row["n_a"], row["n_b"]) == (10, 10)
    ref = stats.ttest_ind(GOOD, BAD, equal_var=False)
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-6)
    assert row["effect"] == pytest.approx(np.mean(GOOD) - np.mean(BAD), rel=1e-6)
    assert row["ci_low"] < row["effect"] < row["ci_high"] < 0
    assert row["hl_shift"] == pytest.approx(np.median(np.subtract.outer(GOOD, BAD)))
    assert row["mdd80"] > 0
    assert row["verdict"] == "holds"


def test_confirmation_decides_even_when_the_sweep_disagrees():
    """CG's sweep cells are all worse than SGD's, its fresh seeds better: a best-FID
    claim follows the fresh seeds (the grid only chose the settings)."""
    runs = table(
        rows("cg_fr", GOOD),
        sweep("cg_fr", [900, 800, 700]),
        rows("sgd", BAD),
        sweep("sgd", [150, 140, 130]),
    )
    assert claim(claims_table(runs, PLAN), "a")["verdict"] == "holds"


def test_worse_cg_is_contradicted_and_overlap_is_inconclusive():
    assert claim(claims_table(base(cg=BAD, sgd=GOOD), PLAN), "a")["verdict"] == (
        "contradicted"
    )
    mixed = claims_table(base(cg=GOOD, sgd=GOOD[::-1]), PLAN)
    assert claim(mixed, "a")["verdict"] == "inconclusive"


def test_holm_adjusts_over_the_primary_family_only():
    runs = table(
        rows("cg_fr", GOOD),
        sweep("cg_fr", [300, 120, 200]),
        rows("cg_prp", BAD),
        sweep("cg_prp", [300, 125, 200]),
        rows("sgd", BAD),
        sweep("sgd", [400, 160, 180]),
        rows("momentum", GOOD[:5] + BAD[:5], pool="momentum~0.9"),
        sweep("momentum", [300, 130, 200], pool="momentum~0.9"),
    )
    claims = claims_table(runs, PLAN)
    for role in ("primary", "secondary"):
        family = claims[claims["role"] == role]
        assert family["p_adjusted"].tolist() == pytest.approx(
            holm(family["p_value"].tolist())
        )
    assert set(claims.loc[claims["role"] == "secondary", "side_a"]) == {"cg_prp"}


def test_pool_convergence_is_printed_and_decides_only_where_declared():
    """CG's pool still improves 30 % a quarter: the verdict stands at its budget with
    the pool's state beside it, unless the plan requires converged pools."""
    noisy = [0.30 + 0.01 * k for k in range(10)]
    cg = rows("cg_fr", GOOD)
    for r, value in zip(cg, noisy):
        r["improvement_last_quarter"] = value
    runs = table(
        cg, sweep("cg_fr", [300, 120, 200]), rows("sgd", BAD), sweep("sgd", [400, 160])
    )
    row = claim(claims_table(runs, PLAN), "a")
    assert row["verdict"] == "holds"
    assert row["convergence_a"].startswith("improving (+34% [")
    assert row["convergence_a"].endswith("n 10)")
    assert row["convergence_b"].startswith("converged")
    strict = claim(claims_table(runs, {**PLAN, "require_converged": True}), "a")
    assert strict["verdict"] == "inconclusive"
    assert "require_converged" in strict["reason"]


def test_min_runs_and_noise_band_come_from_the_plan():
    runs = base()
    assert claim(claims_table(runs, {**PLAN, "min_runs": 11}), "a")["verdict"] == (
        "inconclusive"
    )
    noisy = claim(claims_table(runs, {**PLAN, "noise_band": 0.99}), "a")
    assert noisy["verdict"] == "inconclusive" and "noise" in noisy["reason"]


def test_every_claim_is_read_at_every_budget_from_the_same_runs():
    """At half the length CG is worse, at the full length better: two findings, and
    the verdict of record (budget 1) comes first."""
    frame = pd.DataFrame(
        [r for p in (rows("cg_fr", GOOD), sweep("cg_fr", [300, 120, 200]),
                     rows("sgd", BAD), sweep("sgd", [400, 160, 180])) for r in p],
        columns=RUNS_COLUMNS,
    )  # fmt: skip
    frame["metric@1"] = frame["final_metric"]
    frame["metric@0.5"] = np.where(frame["method"] == "cg_fr", 200.0, 100.0) + (
        np.arange(len(frame)) % 5
    )
    runs = read_runs_csv(io.StringIO(runs_csv_text(frame)))
    claims = claims_table(runs, {**PLAN, "budgets": [0.5, 1.0]})
    a = claims[(claims["claim"] == "a")]
    assert a["budget"].tolist() == [1.0, 0.5]
    assert a["verdict"].tolist() == ["holds", "contradicted"]
    assert a.iloc[0]["convergence_a"] and pd.isna(a.iloc[1]["convergence_a"])
    # Holm within each budget's family
    for _, family in claims.groupby("budget"):
        assert family["p_adjusted"].tolist() == pytest.approx(
            holm(family["p_value"].tolist())
        )


def test_claim_h_is_also_tested_for_equivalence_where_declared():
    same = [v + 0.5 for v in GOOD[::-1]]
    runs = table(
        rows("cg_fr", GOOD),
        sweep("cg_fr", [300, 120, 200]),
        rows("momentum", same, pool="momentum~0.5"),
        sweep("momentum", [300, 110], pool="momentum~0.5"),
    )
    plain = claim(claims_table(runs, PLAN), "h")
    assert plain["verdict"] == "inconclusive" and pd.isna(plain["p_equivalence"])
    declared = {**PLAN, "equivalence_claims": ["h"]}
    row = claim(claims_table(runs, declared), "h")
    assert row["margin"] == pytest.approx(0.10 * np.mean(same))
    assert row["p_equivalence"] < 0.05 and row["verdict"] == "equivalent"


def test_a_selection_on_its_grids_edge_is_named():
    runs = table(
        rows("cg_fr", GOOD, edges="line max"),
        sweep("cg_fr", [300, 200, 120]),
        rows("sgd", BAD),
        sweep("sgd", [400, 160, 180]),
    )
    row = claim(claims_table(runs, PLAN), "a")
    assert "cg_fr on its grid's edge (line max)" in row["reason"]


def test_noise_level_values_are_inconclusive():
    noisy = [3100.0 + i for i in range(10)]
    runs = table(
        rows("cg_fr", noisy),
        sweep("cg_fr", [3300, 3120, 3200]),
        rows("sgd", [v + 50 for v in noisy]),
        sweep("sgd", [3400, 3160]),
    )
    row = claim(claims_table(runs, PLAN), "a")
    assert row["verdict"] == "inconclusive"
    assert "noise reference" in row["reason"]


@pytest.mark.parametrize(
    ("nsgda", "verdict"),
    [([v + 0.5 for v in GOOD], "equivalent"), ([v - 30 for v in GOOD], "better"),
     ([v + 30 for v in GOOD], "worse"), ([100, 140, 60, 150, 55], "inconclusive")],
)  # fmt: skip
def test_matches_claims_use_tost_and_never_call_better_contradicted(nsgda, verdict):
    runs = table(
        rows("adam", GOOD),
        sweep("adam", [300, 110, 200]),
        rows("nsgda", nsgda),
        sweep("nsgda", [300, 115, 200]),
    )
    row = claim(claims_table(runs, PLAN), "f")
    assert row["verdict"] == verdict
    assert "margin ±" in row["reason"]
    assert row["p_difference_adjusted"] >= row["p_difference"]


def test_robustness_is_the_share_of_cells_near_the_pools_best():
    cg = [100, 110, 120, 500, 130]  # 3 of 5 cells within 1.25 x 100
    adam = [100, 300, 400, 500, math.nan]  # 1 of 5 (the unfinished cell counts)
    runs = table(
        rows("cg_fr", GOOD), sweep("cg_fr", cg), rows("adam", GOOD), sweep("adam", adam)
    )
    row = claim(claims_table(runs, PLAN), "d")
    assert (row["value_a"], row["value_b"]) == (pytest.approx(0.6), pytest.approx(0.2))
    assert row["effect"] == pytest.approx(0.4)
    assert row["data"] == "sweep" and (row["n_a"], row["n_b"]) == (5, 5)
    grid = claim(claims_table(runs, PLAN), "c")
    assert grid["effect"] == pytest.approx(np.median(cg) - 400.0)  # inf sorts last


def test_matched_momentum_is_cgs_coefficient_times_the_cap():
    runs = table(
        rows("cg_fr", GOOD, pool="beta_coeff~0.5"),
        sweep("cg_fr", [300, 120, 200], pool="beta_coeff~0.5"),
        rows("momentum", BAD, pool="momentum~0.25"),
        sweep("momentum", [300, 130], pool="momentum~0.25"),
        rows("momentum", GOOD, pool="momentum~0.5"),
        sweep("momentum", [300, 110], pool="momentum~0.5"),
    )
    row = claim(claims_table(runs, PLAN), "h")
    assert row["side_b"] == "momentum (momentum~0.25)"
    assert row["verdict"] == "holds"


def test_claims_are_a_function_of_runs_csv_and_render_with_the_plan_hash():
    runs = base()
    first = claims_table(runs, PLAN)
    again = claims_table(read_runs_csv(io.StringIO(runs_csv_text(runs))), PLAN)
    assert first.to_csv(index=False) == again.to_csv(index=False)
    text = render_claims(first, PLAN)
    assert plan_sha256(PLAN)[:12] in text and "**holds**" in text
