"""The claims' statistics (cggan.results.statistics.hypothesis_tests) against
independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cggan.results.statistics.hypothesis_tests import (
    bootstrap_difference,
    hodges_lehmann,
    holm,
    mann_whitney_p,
    minimum_detectable_difference,
    runs_for_mdd,
    tost_p,
    welch,
)

A = [101.0, 97.5, 110.2, 104.1, 99.9, 95.3, 108.8, 102.2, 100.4, 98.7]
B = [120.3, 111.9, 125.0, 118.4, 130.2, 115.5, 122.8, 119.1]


def test_welch_matches_scipy_and_its_interval_inverts_the_test():
    w = welch(A, B, 0.95)
    ref = stats.ttest_ind(A, B, equal_var=False)
    assert w["p"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert w["diff"] == pytest.approx(np.mean(A) - np.mean(B), rel=1e-12)
    # the 95 % interval's ends are the shifts a two-sided test rejects at exactly 5 %
    for end in (w["ci_low"], w["ci_high"]):
        shifted = stats.ttest_ind(np.asarray(A) - end, B, equal_var=False).pvalue
        assert shifted == pytest.approx(0.05, rel=1e-6)


def test_welch_without_spread_and_with_too_few_values():
    assert welch([1, 1, 1], [2, 2, 2])["p"] == 0.0
    assert welch([1, 1, 1], [1, 1, 1])["p"] == 1.0
    assert math.isnan(welch([1.0], [2.0, 3.0])["p"])


def test_tost_is_the_larger_of_two_shifted_one_sided_welch_tests():
    margin = 5.0
    lower = stats.ttest_ind(
        np.asarray(A) + margin, A[::-1], equal_var=False, alternative="greater"
    ).pvalue
    upper = stats.ttest_ind(
        np.asarray(A) - margin, A[::-1], equal_var=False, alternative="less"
    ).pvalue
    assert tost_p(A, A[::-1], margin) == pytest.approx(max(lower, upper), rel=1e-9)
    assert tost_p(A, A[::-1], margin) < 0.05  # same values: equivalent at ±5
    assert tost_p(A, B, margin) > 0.5  # 18 apart: not within ±5


def test_hodges_lehmann_is_the_median_pairwise_difference_with_a_covering_interval():
    shift, low, high = hodges_lehmann(A, B, 0.95)
    diffs = np.subtract.outer(A, B).ravel()
    assert shift == pytest.approx(np.median(diffs))
    assert low < shift < high
    assert low in diffs and high in diffs
    # the interval's ends are order statistics symmetric around the median
    ranks = np.sort(diffs)
    k = int(np.searchsorted(ranks, low))
    assert ranks[len(ranks) - 1 - k] == pytest.approx(high)


def test_mann_whitney_one_sided_direction():
    assert mann_whitney_p(A, B, a_lower=True) < 0.001
    assert mann_whitney_p(A, B, a_lower=False) > 0.999


def test_holm_by_hand_and_nan_outside_the_family():
    adjusted = holm([0.01, 0.04, math.nan, 0.03])
    assert adjusted[0] == pytest.approx(0.03)  # 3 x 0.01
    assert adjusted[3] == pytest.approx(0.06)  # 2 x 0.03
    assert adjusted[1] == pytest.approx(0.06)  # max(0.06, 1 x 0.04): monotone
    assert math.isnan(adjusted[2])
    assert holm([0.9, 0.8]) == [1.0, 1.0]


def test_minimum_detectable_difference_has_the_stated_power():
    """At the MDD, a noncentral-t computation (pooled two-sample t) gives 80 % power,
    two-sided: statsmodels' TTestIndPower agrees with the distribution itself."""
    a, b = np.asarray(A, float), np.asarray(B, float)
    df = len(a) + len(b) - 2
    pooled = math.sqrt(
        ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / df
    )
    se = pooled * math.sqrt(1 / len(a) + 1 / len(b))
    mdd = minimum_detectable_difference(A, B, alpha=0.05)
    crit = stats.t.ppf(0.975, df)
    power = stats.nct.sf(crit, df, mdd / se) + stats.nct.cdf(-crit, df, mdd / se)
    assert power == pytest.approx(0.8, abs=1e-3)


def test_runs_for_mdd_is_the_smallest_n_with_the_power():
    """The power analysis: n runs a side detect the MDD with >= 80 % power and n - 1
    do not (noncentral t, pooled two-sample test)."""

    def power(n: int, d: float) -> float:
        df, delta = 2 * n - 2, d * math.sqrt(n / 2)
        crit = stats.t.ppf(0.975, df)
        return stats.nct.sf(crit, df, delta) + stats.nct.cdf(-crit, df, delta)

    n = runs_for_mdd(sd=50.0, mdd=32.0, alpha=0.05)
    assert power(n, 32 / 50) >= 0.8 > power(n - 1, 32 / 50)


def test_bootstrap_is_seeded_and_covers_the_difference():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 30), rng.normal(1.5, 1, 30)
    mean = lambda x: np.mean(x, axis=1)  # noqa: E731
    first = bootstrap_difference(a, b, mean, n=2000, seed=0, confidence=0.95)
    assert first == bootstrap_difference(a, b, mean, n=2000, seed=0, confidence=0.95)
    point, low, high, p = first
    assert point == pytest.approx(a.mean() - b.mean())
    assert low < point < high < 0
    assert p < 0.01
    # failed runs as +inf: a median copes, the interval stays finite
    point, low, high, _ = bootstrap_difference(
        np.r_[a, [np.inf] * 3],
        b,
        lambda x: np.median(x, axis=1),
        n=500,
        seed=0,
        confidence=0.95,
    )
    assert math.isfinite(low) and math.isfinite(high)


def test_bootstrap_interval_agrees_with_scipy_bootstrap():
    """The own two-sample percentile bootstrap against scipy.stats.bootstrap on the
    same data and statistic: different resampling streams, so the bounds agree within
    Monte Carlo error (a few hundredths of the difference's spread at 20,000
    resamples), not to the digit."""
    rng = np.random.default_rng(7)
    a, b = rng.normal(300, 50, 10), rng.normal(330, 40, 10)
    _, low, high, _ = bootstrap_difference(
        a, b, lambda x: np.mean(x, axis=1), n=20_000, seed=0, confidence=0.95
    )
    ref = stats.bootstrap(
        (a, b),
        lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        n_resamples=20_000,
        method="percentile",
        confidence_level=0.95,
        rng=np.random.default_rng(1),
    ).confidence_interval
    spread = ref.high - ref.low
    assert low == pytest.approx(ref.low, abs=0.03 * spread)
    assert high == pytest.approx(ref.high, abs=0.03 * spread)
