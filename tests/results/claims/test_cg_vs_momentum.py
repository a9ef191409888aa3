"""CG vs heavy-ball momentum at the matched cap (cggan.results.claims.cg_vs_momentum),
on run frames."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from cggan.results.claims.cg_vs_momentum import (
    PAIR_COLUMNS,
    bootstrap_mean_interval,
    cg_vs_momentum_table,
    match_pairs,
    render_cg_vs_momentum,
    wilcoxon_p,
)

METRICS = {"min": "fid", "max": "modes"}


def run_row(
    method,
    value,
    *,
    lr_d=1e-3,
    lr_g=1e-3,
    seed=0,
    kwargs=None,
    rule="constant",
    experiment="digits",
    mode="min",
) -> dict:
    """One row as ``load_runs`` writes it; ``value``: final metric, "div" or "fail"."""
    kwargs = kwargs or {}
    status = {"div": "diverged", "fail": "failed"}.get(value, "finished")
    final = float(value) if status == "finished" else math.nan
    extra = "".join(f"_{k}~{v}" for k, v in sorted(kwargs.items()))
    return {
        "experiment": experiment,
        "method": method,
        "lr_rule": rule,
        "setting": f"lr_d~{lr_d:g}_lr_g~{lr_g:g}{extra}",
        "seed": seed,
        "run_dir": "unused",
        "status": status,
        "error": None,
        "diverged_at": None,
        "metric_name": METRICS[mode],
        "metric_mode": mode,
        "best_metric": final,
        "final_metric": final,
        "best_iteration": 100,
        "iterations": 200,
        "wall_time_s": 1.0,
        "lr_g": lr_g,
        "lr_d": lr_d,
        "method_kwargs": json.dumps(kwargs, sort_keys=True),
        "lr_rule_kwargs": "{}",
    }


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def only_row(table: pd.DataFrame, **where) -> pd.Series:
    hit = table
    for key, value in where.items():
        hit = hit[hit[key] == value]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def test_twin_is_the_same_cap_lr_and_seed_only():
    """Momentum at c·β_max with equal lr_d, lr_g and seed is the twin; a wrong cap,
    another lr_g or another seed is not."""
    runs = frame(
        run_row("cg_fr", 10, kwargs={"beta_coeff": 0.5}),
        run_row("momentum", 12, kwargs={"momentum": 0.25}),  # the twin
        run_row("momentum", 1, kwargs={"momentum": 0.5}),  # wrong cap
        run_row("momentum", 1, kwargs={"momentum": 0.25}, lr_g=5e-4),  # other lr
        run_row("momentum", 1, kwargs={"momentum": 0.25}, seed=1),  # other seed
        run_row("momentum", 1),  # default momentum 0.9
    )
    pairs = match_pairs(runs)
    assert len(pairs) == 1
    pair = pairs.iloc[0]
    assert pair["outcome"] == "both"
    assert pair["cap"] == 0.25
    assert pair["momentum_setting"] == "lr_d~0.001_lr_g~0.001_momentum~0.25"
    assert pair["momentum_final"] == 12.0
    row = only_row(cg_vs_momentum_table(runs, confidence=0.95), method="cg_fr")
    assert (row["n_pairs"], row["n_compared"], row["mean_diff"]) == (1, 1, 2.0)
    assert math.isnan(row["ci_low"]) and math.isnan(row["p_value"])
    assert "n_compared=1 < 2" in row["reason"]


def test_default_coefficient_and_beta_max():
    """Without a swept beta_coeff the coefficient is 1.0 (cap = β_max); beta_max
    sets the cap; the momentum default (no kwarg) is 0.9."""
    runs = frame(
        run_row("cg_hz", 10),
        run_row("momentum", 11, kwargs={"momentum": 0.5}),
        run_row("momentum", 13, kwargs={"momentum": 0.4}),
    )
    assert match_pairs(runs).iloc[0]["momentum_final"] == 11.0
    assert match_pairs(runs, beta_max=0.4).iloc[0]["momentum_final"] == 13.0
    nine = frame(run_row("cg_hz", 10), run_row("momentum", 11))
    assert match_pairs(nine, beta_max=0.9).iloc[0]["momentum_final"] == 11.0
    with pytest.raises(ValueError, match="beta_max"):
        match_pairs(runs, beta_max=1.0)


def test_unmatched_group_is_listed_with_a_reason():
    runs = frame(
        run_row("cg_prp", 10, kwargs={"beta_coeff": 0.75}),
        run_row("momentum", 11, kwargs={"momentum": 0.25}),
    )
    row = only_row(cg_vs_momentum_table(runs, confidence=0.95), method="cg_prp")
    assert row["n_pairs"] == 0 and row["n_cg_runs"] == 1
    assert "no momentum run with momentum=0.375" in row["reason"]
    assert math.isnan(row["mean_diff"]) and math.isnan(row["win_share"])


@pytest.mark.parametrize(
    ("mode", "cg", "mom", "expected"),
    [("min", 10, 12, 2.0), ("min", 12, 10, -2.0), ("max", 7, 5, 2.0),
     ("max", 5, 7, -2.0)],
)  # fmt: skip
def test_sign_positive_means_cg_better(mode, cg, mom, expected):
    """Advantage = momentum − CG for "min" metrics and CG − momentum for "max"."""
    runs = frame(
        run_row("cg_fr", cg, mode=mode),
        run_row("momentum", mom, kwargs={"momentum": 0.5}, mode=mode),
    )
    row = only_row(cg_vs_momentum_table(runs, confidence=0.95), method="cg_fr")
    assert row["mean_diff"] == expected
    assert row["win_share"] == (1.0 if expected > 0 else 0.0)
    assert row["mode"] == mode and row["metric"] == METRICS[mode]


def test_diverged_side_wins_share_but_not_difference():
    """One side unfinished: a win for the other in win_share, out of the difference;
    both unfinished: out of everything."""
    mom = {"momentum": 0.5}
    runs = frame(
        run_row("cg_fr", "div", seed=0),
        run_row("momentum", 5, seed=0, kwargs=mom),
        run_row("cg_fr", 5, seed=1),
        run_row("momentum", "fail", seed=1, kwargs=mom),
        run_row("cg_fr", "div", seed=2),
        run_row("momentum", "div", seed=2, kwargs=mom),
        run_row("cg_fr", 4, seed=3),
        run_row("momentum", 6, seed=3, kwargs=mom),
    )
    row = only_row(cg_vs_momentum_table(runs, confidence=0.95), method="cg_fr")
    assert (row["n_pairs"], row["n_compared"]) == (3, 1)
    assert (row["n_cg_only"], row["n_momentum_only"], row["n_both_failed"]) == (1, 1, 1)
    assert row["win_share"] == pytest.approx(2 / 3)
    assert row["mean_diff"] == 2.0
    assert row["cg_mean"] == 4.0 and row["momentum_mean"] == 6.0


def test_interval_and_wilcoxon_over_pairs():
    """Percentile bootstrap of the mean (fixed seed) and two-sided Wilcoxon."""
    mom = {"momentum": 0.5}
    diffs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    rows = []
    for seed, diff in enumerate(diffs):
        rows += [
            run_row("cg_fr", 10, seed=seed),
            run_row("momentum", 10 + diff, seed=seed, kwargs=mom),
        ]
    row = only_row(cg_vs_momentum_table(frame(*rows), confidence=0.95), method="cg_fr")
    assert row["n_compared"] == 6 and row["mean_diff"] == 3.5
    assert row["ci_low"] < 3.5 < row["ci_high"]
    assert 1.0 <= row["ci_low"] and row["ci_high"] <= 6.0
    assert row["p_value"] == pytest.approx(2 / 64)  # exact: all six positive
    assert row["win_share"] == 1.0 and pd.isna(row["reason"])
    assert bootstrap_mean_interval(diffs, 0.95) == bootstrap_mean_interval(diffs, 0.95)
    assert all(math.isnan(v) for v in bootstrap_mean_interval([1.0], 0.95))
    assert math.isnan(wilcoxon_p([0.0, 0.0, 0.0]))
    assert math.isnan(wilcoxon_p([1.0]))


def test_all_zero_differences_have_no_test():
    mom = {"momentum": 0.5}
    rows = []
    for seed in range(3):
        rows += [
            run_row("cg_fr", 10, seed=seed),
            run_row("momentum", 10, seed=seed, kwargs=mom),
        ]
    row = only_row(cg_vs_momentum_table(frame(*rows), confidence=0.95), method="cg_fr")
    assert math.isnan(row["p_value"]) and row["win_share"] == 0.0
    assert row["reason"] == "all differences zero: no test"


def test_rows_per_method_variant_rule_and_coefficient():
    """cg_<rule> and cg_<rule>_authors are separate rows (variant paper/authors); one
    row per lr rule and coefficient; exact columns."""
    runs = frame(
        run_row("cg_fr", 10, kwargs={"beta_coeff": 0.5}),
        run_row("cg_fr", 10, kwargs={"beta_coeff": 1.0}),
        run_row("cg_fr", 10, kwargs={"beta_coeff": 1.0}, rule="sqrt"),
        run_row("cg_fr_authors", 9, kwargs={"beta_coeff": 0.5}),
        run_row("momentum", 11, kwargs={"momentum": 0.25}),
        run_row("sgd", 11),
    )
    table = cg_vs_momentum_table(runs, confidence=0.95)
    assert list(table.columns) == PAIR_COLUMNS
    assert len(table) == 4
    authors = only_row(table, method="cg_fr_authors")
    assert authors["variant"] == "authors" and authors["mean_diff"] == 2.0
    assert only_row(table, method="cg_fr", beta_coeff=0.5)["variant"] == "paper"
    assert set(table["lr_rule"]) == {"constant", "sqrt"}
    empty = cg_vs_momentum_table(frame(run_row("sgd", 1)), confidence=0.95)
    assert list(empty.columns) == PAIR_COLUMNS and empty.empty


def test_render_states_the_convention():
    runs = frame(
        run_row("cg_fr", 7, mode="max"),
        run_row("momentum", 5, kwargs={"momentum": 0.5}, mode="max"),
    )
    text = render_cg_vs_momentum(cg_vs_momentum_table(runs, confidence=0.95))
    assert "positive means CG better" in text
    assert "CG − momentum" in text and "Wilcoxon" in text
    assert "| cg_fr | paper | constant |" in text
    assert "No CG runs" in render_cg_vs_momentum(pd.DataFrame(columns=PAIR_COLUMNS))
