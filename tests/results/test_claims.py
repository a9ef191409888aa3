"""The claims check (cggan.results.claims) on hand-made run frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from tests.results.fake_runs import fill_run
from tests.results.test_pairs import frame, run_row

from cggan.results.claims import CLAIM_COLUMNS, claims_table, render_claims
from cggan.results.runs import find_run_dirs, load_runs
from cggan.results.stats import confirmation_runs, paper_table, seed_table

SIX = ["experiment", "claim", "compared", "statistic", "p_value", "verdict"]
GOOD, BAD = [10, 11, 12, 13, 14], [20, 21, 22, 23, 24]


def pool(method, values, *, rule="constant", kwargs=None, mode="min", seed=0):
    """One sweep pool: one run per lr_g of the grid, ``values`` in grid order."""
    return [run_row(method, v, lr_g=(i + 1) * 1e-4, seed=seed, kwargs=kwargs,
                    rule=rule, mode=mode) for i, v in enumerate(values)]  # fmt: skip


def paper(k=5, experiment="digits"):
    """The columns of the paper table the claims check reads."""
    return pd.DataFrame({"experiment": [experiment], "k": [k], "rank_by": ["final"]})


def claims(*pools, k=5, calibration=None, **kw) -> pd.DataFrame:
    runs = frame(*[row for p in pools for row in p])
    return claims_table(runs, paper(k), None, calibration, **kw)


def claim(table: pd.DataFrame, letter: str) -> pd.Series:
    hit = table[table["claim"].str.startswith(f"{letter}.")]
    assert len(hit) == 1, table
    return hit.iloc[0]


@pytest.mark.parametrize(
    ("cg", "sgd", "verdict"),
    [(GOOD, BAD, "holds"), (BAD, GOOD, "contradicted"),
     ([10, 21, 12, 23, 14], [20, 11, 22, 13, 24], "inconclusive"),
     (GOOD[:2], BAD, "inconclusive")],
)  # fmt: skip
def test_claim_a_each_verdict(cg, sgd, verdict):
    """a: one-sided Mann–Whitney U of CG's best pool vs SGD's; n < 3 inconclusive."""
    row = claim(claims(pool("cg_fr", cg), pool("sgd", sgd)), "a")
    assert row["verdict"] == verdict
    if verdict == "holds":
        assert row["p_value"] == pytest.approx(1 / 252)  # exact, 5 vs 5, no overlap
        assert row["compared"].startswith("cg_fr vs sgd (constant")
    if verdict == "inconclusive":
        assert row["reason"]
    if len(cg) < 3:
        assert "too few finished runs: n=2 vs 5" in row["reason"]
        assert math.isnan(row["p_value"])


def test_direction_follows_the_metric_mode():
    """Higher is better for a "max" metric: the same numbers flip the verdict."""
    low, high = [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]
    fid = claims(pool("cg_fr", low), pool("sgd", high))
    modes = claims(pool("cg_fr", low, mode="max"), pool("sgd", high, mode="max"))
    assert claim(fid, "a")["verdict"] == "holds"
    assert claim(modes, "a")["verdict"] == "contradicted"


def test_best_pool_is_one_coefficient_and_momentum_at_0_9():
    """CG's best pool is one coefficient's lr grid; b compares momentum 0.9 only."""
    table = claims(
        pool("cg_fr", BAD, kwargs={"beta_coeff": 0.5}),
        pool("cg_fr", GOOD, kwargs={"beta_coeff": 1.0}),
        pool("momentum", [1, 2, 3, 4, 5], kwargs={"momentum": 0.25}),
        pool("momentum", BAD),  # no kwarg: 0.9
    )
    row = claim(table, "b")
    assert row["verdict"] == "holds"
    assert row["compared"].startswith("cg_fr beta_coeff=1.0 vs momentum (")
    assert "n=5 vs 5" in row["statistic"]


def test_claim_c_counts_unfinished_runs_as_worst():
    """c: all sweep runs of the CG methods, diverged/failed ranked worst: Adam's
    three finished runs beat every CG run, but 9 of its 12 runs did not finish."""
    adam = [5, 6, 7] + ["div"] * 6 + ["fail"] * 3
    table = claims(pool("cg_fr", GOOD), pool("cg_dy", [15, 16, 17]), pool("adam", adam))
    row = claim(table, "c")
    assert row["verdict"] == "holds"
    assert "n=8 vs 12 (0 vs 9 unfinished, ranked worst)" in row["statistic"]
    assert "(2 CG method(s))" in row["compared"]
    few = claims(pool("cg_fr", GOOD), pool("adam", [5, 6, "div", "div"]))
    assert claim(few, "c")["verdict"] == "inconclusive"
    assert "n=5 vs 2" in claim(few, "c")["reason"]


@pytest.mark.parametrize(
    ("cg", "adam", "verdict"),
    [([10, 10.1, 10.2, 10.3, 10.4, 10.5], [5, 10, 20, 30, 40, 50], "holds"),
     ([5, 10, 20, 30, 40, 50], [10, 10.1, 10.2, 10.3, 10.4, 10.5], "contradicted"),
     ([10, 12, 14, 16, 18, 20], [10, 12, 14, 16, 18, 21], "inconclusive"),
     ([10, 11], [5, 10, 20, 30], "inconclusive")],
)  # fmt: skip
def test_claim_d_spread_of_the_top_k(cg, adam, verdict):
    """d: Brown–Forsythe on the Top-k values, one-sided by the sign of the std."""
    row = claim(claims(pool("cg_fr", cg), pool("adam", adam), k=6), "d")
    assert row["verdict"] == verdict
    if verdict == "holds":
        assert row["p_value"] < 0.05 and "std" in row["statistic"]


def test_claim_e_diminishing_rules_only():
    """e: only for diminishing rules; CG must also be best on Top-1 and Top-k."""
    best = claims(pool("cg_fr", GOOD, rule="sqrt"), pool("adam", BAD, rule="sqrt"))
    assert claim(best, "e")["verdict"] == "holds"
    constant = claims(pool("cg_fr", GOOD), pool("adam", BAD))
    assert not constant["claim"].str.startswith("e.").any()
    worse = claims(pool("cg_fr", BAD, rule="step"), pool("sgd", GOOD, rule="step"))
    assert claim(worse, "e")["verdict"] == "contradicted"
    top1 = claims(pool("cg_fr", list(range(10, 18)), rule="power"),
                  pool("sgd", [9, *range(21, 28)], rule="power"), k=8)  # fmt: skip
    row = claim(top1, "e")
    assert row["verdict"] == "inconclusive" and "not best on Top-1" in row["reason"]


@pytest.mark.parametrize(
    ("method", "values", "verdict", "reason"),
    [("nsgda", [10.2, 11.1, 11.9, 13.2, 13.8], "holds", None),
     ("nsgda", BAD, "contradicted", "two-sided test rejects"),
     ("graft_adam_sgd", [10, 11, 12, 13, 14.4], "holds", None),
     ("graft_adam_sgd", [12, 13, 14, 15, 16], "contradicted", "beyond the tolerance"),
     ("nsgda", [10, 11], "inconclusive", "too few")],
)  # fmt: skip
def test_claims_f_g_match_adam(method, values, verdict, reason):
    """f, g: two-sided test does not reject and |Δ Top-k mean| ≤ 10 % of Adam's."""
    table = claims(pool(method, values), pool("adam", GOOD))
    row = claim(table, "f" if method == "nsgda" else "g")
    assert row["verdict"] == verdict
    assert (reason is None and pd.isna(row["reason"])) or reason in row["reason"]


def h_runs(cg_values, mom_values, *, twin_momentum=0.25):
    rows = []
    for seed, (cg, mom) in enumerate(zip(cg_values, mom_values, strict=True)):
        rows += [run_row("cg_fr", cg, seed=seed, kwargs={"beta_coeff": 0.5}),
                 run_row("momentum", mom, seed=seed,
                         kwargs={"momentum": twin_momentum})]  # fmt: skip
    return rows


@pytest.mark.parametrize(
    ("cg", "mom", "twin", "verdict", "reason"),
    [(GOOD, BAD, 0.25, "holds", None),
     (BAD, GOOD, 0.25, "contradicted", "opposite"),
     (GOOD[:2], BAD[:2], 0.25, "inconclusive", "too few pairs"),
     (GOOD, BAD, 0.9, "inconclusive", "no momentum run at the matched cap")],
)  # fmt: skip
def test_claim_h_matched_momentum(cg, mom, twin, verdict, reason):
    """h: one-sided Wilcoxon over pairs of equal lr and seed (every seed counts)."""
    runs = frame(*h_runs(cg, mom, twin_momentum=twin))
    row = claim(claims_table(runs, paper(), None), "h")
    assert row["verdict"] == verdict
    assert (reason is None and pd.isna(row["reason"])) or reason in row["reason"]
    if verdict == "holds":
        assert row["p_value"] == pytest.approx(1 / 32)  # exact, five positive


def test_noise_level_makes_a_claim_inconclusive():
    """Every compared value within 10 % of the noise ceiling (or worse)."""
    near, above = [28, 29, 30, 31, 32], [40, 41, 42, 43, 44]
    cal = pd.DataFrame({"experiment": ["digits"], "real_floor": [1.0],
                        "noise_ceiling": [30.0]})  # fmt: skip
    row = claim(claims(pool("cg_fr", near), pool("sgd", above), calibration=cal), "a")
    assert row["verdict"] == "inconclusive"
    assert row["reason"].startswith("at noise level")
    assert "test alone: holds" in row["reason"]
    far = claim(claims(pool("cg_fr", GOOD), pool("sgd", BAD), calibration=cal), "a")
    assert far["verdict"] == "holds"
    other = cal.assign(experiment="ring8")
    assert claim(claims(pool("cg_fr", near), pool("sgd", above),
                        calibration=other), "a")["verdict"] == "holds"  # fmt: skip


def test_columns_render_and_bad_input():
    """The six columns first, then reason; the caption states tests and α."""
    table = claims(pool("cg_fr", GOOD), pool("sgd", BAD), pool("adam", BAD))
    assert list(table.columns) == CLAIM_COLUMNS
    assert CLAIM_COLUMNS[:6] == SIX
    assert set(table["verdict"]) <= {"holds", "contradicted", "inconclusive"}
    assert table.loc[table["verdict"] == "inconclusive", "reason"].notna().all()
    text = render_claims(table)
    assert "α = 0.05" in text and "Mann–Whitney U" in text and "Wilcoxon" in text
    assert "Brown–Forsythe" in text and "| digits | a. CG beats SGD" in text
    empty = claims(pool("sgd", BAD))
    assert empty.empty and list(empty.columns) == CLAIM_COLUMNS
    assert "No claim applies" in render_claims(empty)
    with pytest.raises(ValueError, match="alpha"):
        claims(pool("sgd", BAD), alpha=1.5)
    with pytest.raises(ValueError, match="noise_ceiling"):
        claims(pool("sgd", BAD), calibration=pd.DataFrame({"experiment": ["x"]}))


def test_authors_arm_is_its_own_row():
    table = claims(pool("cg_fr", GOOD), pool("cg_fr_authors", BAD), pool("sgd", BAD))
    rows = table[table["claim"].str.startswith("a.")]
    assert sorted(rows["compared"].str.split(" ").str[0]) == ["cg_fr", "cg_fr_authors"]


def test_with_the_pipeline_tables_and_no_finished_runs(tmp_path):
    """Runs read by load_runs from fake run directories, with paper_table and
    seed_table of the same runs; sides without finished runs never crash."""
    spec = {
        ("cg_fr", 0): GOOD,
        ("sgd", 0): BAD,
        ("adam", 0): ["div"] * 5,
        ("cg_fr", 1): [9, 10, 11, 12, 13],
        ("nsgda", 0): ["fail"] * 3,
    }
    for (method, seed), values in spec.items():
        for i, value in enumerate(values):
            run_dir = tmp_path / "digits" / method / "constant" / f"s{i}"
            fill_run(run_dir / f"seed{seed}", value, lr=(i + 1) * 1e-4)
    runs = load_runs(find_run_dirs(tmp_path))
    seeds = seed_table(confirmation_runs(runs))
    table = claims_table(runs, paper_table(runs, top_k=3), seeds)
    assert claim(table, "a")["verdict"] == "holds"
    statistic = claim(table, "a")["statistic"]
    assert "confirmed means:" in statistic and "cg_fr 9.5" in statistic
    assert claim(table, "c")["verdict"] == "inconclusive"  # Adam: 0 finished
    assert claim(table, "f")["verdict"] == "inconclusive"
    assert render_claims(table).count("| digits |") == len(table)
