"""Seed intervals: percentile bootstrap inside the metric's range, none with n < 2."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tests.results.fake_runs import aggregate_dir, row, write_run

from cggan.results.statistics.seed_intervals import (
    N_MODES,
    NO_INTERVAL,
    bootstrap_interval,
    metric_range,
    n_modes_of,
)

# The spread of the example: a t-interval with n = 3 goes below 0.
WIDE_FID = [120.0, 900.0, 9000.0]


def test_bootstrap_equals_scipy_and_is_the_same_every_time():
    values = [25.0, 27.0, 29.5, 31.0]
    expected = stats.bootstrap(
        (np.array(values),),
        np.mean,
        n_resamples=10_000,
        method="percentile",
        confidence_level=0.9,
        rng=np.random.default_rng(0),
    ).confidence_interval
    got = bootstrap_interval(values, 0.9)
    assert got == (expected.low, expected.high)
    assert bootstrap_interval(values, 0.9) == got


def test_an_fid_interval_never_goes_below_zero():
    # the Student-t interval of the mean (the tables' old one) leaves the range
    student_t = stats.t.interval(
        0.95, len(WIDE_FID) - 1, loc=np.mean(WIDE_FID), scale=stats.sem(WIDE_FID)
    )
    assert student_t[0] < 0
    low, high = bootstrap_interval(WIDE_FID, 0.95, metric_range("fid"))
    assert 0.0 <= min(WIDE_FID) <= low <= high <= max(WIDE_FID)


@pytest.mark.parametrize("dataset, k", [("ring8", 8), ("grid25", 25)])
def test_a_mode_interval_stays_within_zero_and_the_number_of_modes(dataset, k):
    bounds = metric_range("modes", n_modes_of(dataset))
    assert bounds == (0.0, float(k))
    low, high = bootstrap_interval([0.0, 0.0, float(k)], 0.95, bounds)
    assert 0.0 <= low <= high <= k
    # values outside the range (bad input) are clipped, never crash
    low, high = bootstrap_interval([-3.0, k + 5.0, k + 9.0], 0.95, bounds)
    assert 0.0 <= low <= high <= k


def test_fewer_than_two_values_give_no_interval_and_bad_values_are_left_out():
    for values in ([], [3.0], [3.0, math.nan], [None, "x", math.inf, 4.0]):
        assert all(math.isnan(v) for v in bootstrap_interval(values, 0.95))
    assert bootstrap_interval([2.0, 2.0, None], 0.95) == (2.0, 2.0)  # no spread
    with pytest.raises(ValueError, match="Invalid confidence"):
        bootstrap_interval([1.0, 2.0], confidence=1.0)


def test_metric_range_of_known_and_unknown_metrics():
    assert metric_range("fid") == (0.0, math.inf)
    assert metric_range("modes") == (0.0, math.inf)  # K unknown: open above
    assert metric_range("modes", "eight") == (0.0, math.inf)
    assert metric_range("modes", -1) == (0.0, math.inf)
    assert metric_range("high_quality") == (0.0, 1.0)
    assert metric_range("kid") == (-math.inf, math.inf)
    assert n_modes_of(None, "digits", "grid25") == 25 and n_modes_of("x") is None


def test_the_mode_counts_are_the_mixtures_of_cggan_data():
    from cggan.data.mixture2d import MIXTURES, mixture_params

    assert set(N_MODES) == set(MIXTURES)
    for name, k in N_MODES.items():
        assert len(mixture_params(name)[0]) == k


def test_one_seed_says_no_interval_in_md_and_csv(study):
    seeds = pd.read_csv(study[2] / "tables" / "seeds.csv", keep_default_na=False)
    ring = row(seeds, "ring8", "sgd", "constant")
    assert (ring["ci_low"], ring["ci_high"], ring["ci_note"]) == ("", "", NO_INTERVAL)
    assert (str(ring["range_low"]), str(ring["range_high"])) == ("0", "8")
    md = (study[2] / "tables" / "seeds.md").read_text()
    assert f"| {NO_INTERVAL} |" in md and "percentile-bootstrap" in md
    assert "[0, 8]" in md and "[0, ∞)" in md


def test_seed_intervals_stay_inside_the_range_with_many_modes_seeds(tmp_path):
    runs = tmp_path / "runs"
    for seed, value in enumerate([0.0, 1.0, 8.0, 8.0]):
        write_run(
            runs,
            "ring8",
            "sgd",
            "constant",
            "a",
            seed,
            value,
            metric="modes",
            mode="max",
        )
    result = aggregate_dir(runs, None, tmp_path / "out", plots=False)
    r = row(result.seeds, "ring8", "sgd", "constant")
    assert 0.0 <= r["ci_low"] <= r["ci_high"] <= 8.0 and r["range_high"] == 8.0


def test_a_summary_with_a_bad_metric_value_does_not_crash(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "digits", "sgd", "constant", "a", 0, 10.0)
    bad = write_run(runs, "digits", "sgd", "constant", "a", 1, 11.0)
    summary = json.loads((bad / "summary.json").read_text())
    summary["final_metric"] = "not a number"
    (bad / "summary.json").write_text(json.dumps(summary))
    result = aggregate_dir(runs, None, tmp_path / "out", plots=False)
    r = row(result.seeds, "digits", "sgd", "constant")
    assert r["ci_note"] == NO_INTERVAL and r["final_mean"] == 10.0
