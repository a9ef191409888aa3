"""Tests of cggan.convergence: the run diagnostic, the final-quarter mean, the number at
a budget and the pool-level test (a flat pool passes, a falling one fails, a rising one
is degrading)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cggan import convergence as cv


def _rows(values, every=10):
    return [{"iteration": i * every, "fid": v} for i, v in enumerate(values)]


def test_final_quarter_mean_averages_the_last_quarter_s_evaluations():
    rows = _rows([100, 90, 80, 70, 60, 50, 40, 30, 20])  # iterations 0..80
    # (60, 80]: iterations 70 and 80
    assert cv.final_quarter_mean(rows, "fid") == pytest.approx((30 + 20) / 2)
    # at a budget of 40 iterations: (30, 40] holds iteration 40 only
    assert cv.final_quarter_mean(rows, "fid", 40) == pytest.approx(60)
    assert cv.final_quarter_mean(rows, "fid", 200) is None  # never reached
    assert cv.final_quarter_mean([], "fid") is None


def test_value_at_budget_reads_the_curve_up_to_the_budget():
    rows = _rows([100, 50, 70, 40, 90])  # 0, 10, 20, 30, 40
    assert cv.value_at_budget(rows, "fid", "min", "final", 20) == 70
    assert cv.value_at_budget(rows, "fid", "min", "best", 20) == 50
    assert cv.value_at_budget(rows, "fid", "max", "best", 40) == 90
    assert cv.value_at_budget(rows, "fid", "min", "final_quarter", 40) == 90
    assert cv.value_at_budget(rows, "fid", "min", "final", 50) is None


def test_a_run_that_gets_worse_is_degrading_never_converged():
    assert cv.is_converged(0.03, 0.05) is True
    assert cv.is_converged(-0.03, 0.05) is True
    assert cv.is_converged(-0.30, 0.05) is False  # FID rose 30 %: not converged
    assert cv.is_converged(0.30, 0.05) is False
    assert cv.is_converged(None, 0.05) is None
    assert cv.run_state(-0.30, 0.05) == cv.DEGRADING
    assert cv.run_state(0.30, 0.05) == cv.IMPROVING
    assert cv.run_state(0.01, 0.05) == cv.CONVERGED
    assert cv.run_state(math.nan, 0.05) == cv.UNDECIDED


def _pool(curve, n=8, noise=0.02, seed=0):
    """The last-quarter improvements of n noisy replicate runs of one curve."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        values = [v * (1 + noise * rng.standard_normal()) for v in curve]
        diag = cv.convergence_diagnostic(_rows(values), "fid", "min")
        out.append(diag["improvement_last_quarter"])
    return out


def test_pool_test_flat_passes_falling_fails_rising_degrades():
    iterations = np.arange(33)
    flat = [300.0] * 33
    falling = list(600 * np.exp(-iterations / 40) + 100)
    rising = list(200 + 8 * iterations)
    assert cv.pool_convergence(_pool(flat), 0.05)["state"] == cv.CONVERGED
    assert cv.pool_convergence(_pool(falling), 0.05)["state"] == cv.IMPROVING
    assert cv.pool_convergence(_pool(rising), 0.05)["state"] == cv.DEGRADING
    # two runs that disagree: the interval is wide, the pool undecided
    test = cv.pool_convergence([0.2, -0.2], 0.05)
    assert (
        test["state"] == cv.UNDECIDED
        and test["ci_low"] < -0.05 < 0.05 < test["ci_high"]
    )
    assert cv.pool_convergence([0.01], 0.05)["state"] == cv.UNDECIDED


def test_pool_interval_is_student_t():
    from scipy import stats

    values = [0.01, 0.03, -0.02, 0.00, 0.02]
    test = cv.pool_convergence(values, 0.05)
    low, high = stats.t.interval(
        0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values)
    )
    assert (test["ci_low"], test["ci_high"]) == pytest.approx((low, high), rel=1e-9)
