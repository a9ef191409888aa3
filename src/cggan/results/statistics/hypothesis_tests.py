"""The statistics of the claims check (docs/statistics.md explains each one).

Two-sample comparisons of fresh-seed runs (Welch's t, a Hodges–Lehmann shift with its
distribution-free interval, a one-sided Mann–Whitney U, TOST equivalence and the minimum
detectable difference), a seeded bootstrap for statistics of whole learning-rate grids,
and Holm's step-down adjustment over a declared family. Torch-free; scipy for the
distributions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats

__all__ = [
    "Welch",
    "bootstrap_difference",
    "hodges_lehmann",
    "holm",
    "mann_whitney_p",
    "minimum_detectable_difference",
    "runs_for_mdd",
    "standardized_mdd",
    "tost_p",
    "welch",
]


class Welch(dict):
    """``diff`` (mean a - mean b), ``se``, ``df``, ``p`` (two-sided), ``ci_low``,
    ``ci_high`` (the interval at ``confidence``)."""


def _clean(values: Sequence[float]) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    return arr[np.isfinite(arr)]


def welch(
    a: Sequence[float], b: Sequence[float], confidence: float | None = None
) -> Welch:
    """Welch's unequal-variance t test of mean(a) = mean(b), two-sided, and the
    ``confidence`` interval of the difference (None: no interval, NaN bounds).

    NaN everywhere with fewer than two values a side. With no spread on either side the
    difference is exact: p = 0 when the means differ, 1 when they do not.
    """
    a, b = _clean(a), _clean(b)
    if len(a) < 2 or len(b) < 2:
        return Welch(
            diff=math.nan,
            se=math.nan,
            df=math.nan,
            p=math.nan,
            ci_low=math.nan,
            ci_high=math.nan,
        )
    diff = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = float(math.sqrt(va + vb))
    if se == 0.0:
        p = 0.0 if diff != 0.0 else 1.0
        return Welch(diff=diff, se=0.0, df=math.inf, p=p, ci_low=diff, ci_high=diff)
    df = float((va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)))
    p = float(2.0 * stats.t.sf(abs(diff) / se, df))
    if confidence is None:
        half = math.nan
    else:
        half = float(stats.t.ppf(0.5 + confidence / 2.0, df)) * se
    return Welch(diff=diff, se=se, df=df, p=p, ci_low=diff - half, ci_high=diff + half)


def tost_p(a: Sequence[float], b: Sequence[float], margin: float) -> float:
    """Two one-sided Welch tests of equivalence: H0 is |mean(a) - mean(b)| >= margin;
    the p value is the larger of the two one-sided p values (Schuirmann 1987;
    statsmodels' ``ttost_ind`` with unequal variances)."""
    from statsmodels.stats.weightstats import ttost_ind

    w = welch(a, b)
    if not math.isfinite(w["diff"]) or margin <= 0:
        return math.nan
    if w["se"] == 0.0:
        return 0.0 if abs(w["diff"]) < margin else 1.0
    p, _, _ = ttost_ind(_clean(a), _clean(b), -margin, margin, usevar="unequal")
    return float(p)


def hodges_lehmann(
    a: Sequence[float], b: Sequence[float], confidence: float
) -> tuple[float, float, float]:
    """The Hodges–Lehmann shift (median of all differences a_i - b_j) and its
    distribution-free interval from the Mann–Whitney distribution (normal
    approximation of the rank of the bounds; Hollander & Wolfe, ch. 4)."""
    a, b = _clean(a), _clean(b)
    if not len(a) or not len(b):
        return math.nan, math.nan, math.nan
    d = np.sort(np.subtract.outer(a, b).ravel())
    n = len(d)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    k = int(
        math.floor(
            n / 2.0 - z * math.sqrt(len(a) * len(b) * (len(a) + len(b) + 1) / 12.0)
        )
    )
    k = min(max(k, 0), (n - 1) // 2)
    return float(np.median(d)), float(d[k]), float(d[n - 1 - k])


def mann_whitney_p(a: Sequence[float], b: Sequence[float], a_lower: bool) -> float:
    """One-sided Mann–Whitney U p value that a's values are lower (``a_lower``) or
    higher than b's; NaN without values."""
    a, b = _clean(a), _clean(b)
    if not len(a) or not len(b):
        return math.nan
    alternative = "less" if a_lower else "greater"
    return float(stats.mannwhitneyu(a, b, alternative=alternative).pvalue)


def minimum_detectable_difference(
    a: Sequence[float], b: Sequence[float], alpha: float, power: float = 0.8
) -> float:
    """The difference of means a two-sided two-sample t test at level ``alpha``
    detects with probability ``power``, at the observed sample sizes and the pooled
    seed spread: statsmodels' ``TTestIndPower`` solved for the standardised effect,
    times the pooled standard deviation."""
    a, b = _clean(a), _clean(b)
    if len(a) < 2 or len(b) < 2:
        return math.nan
    pooled = math.sqrt(
        ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1))
        / (len(a) + len(b) - 2)
    )
    if pooled == 0.0:
        return 0.0
    return standardized_mdd(len(a), len(b), alpha, power) * pooled


def standardized_mdd(n_a: int, n_b: int, alpha: float, power: float = 0.8) -> float:
    """Cohen's d that a two-sided two-sample t test with ``n_a`` and ``n_b`` runs
    detects at level ``alpha`` with probability ``power`` (``TTestIndPower``)."""
    from statsmodels.stats.power import TTestIndPower

    return float(
        TTestIndPower().solve_power(
            nobs1=n_a, ratio=n_b / n_a, alpha=alpha, power=power
        )
    )


def runs_for_mdd(sd: float, mdd: float, alpha: float, power: float = 0.8) -> int:
    """Runs a side (equal sides) for a two-sided t test at level ``alpha`` to detect
    a difference ``mdd`` with probability ``power`` at seed spread ``sd``
    (``TTestIndPower``; the power analysis of a study's confirmation seeds)."""
    from statsmodels.stats.power import TTestIndPower

    n = TTestIndPower().solve_power(effect_size=mdd / sd, alpha=alpha, power=power)
    return int(math.ceil(n))


def bootstrap_difference(
    a: Sequence[float],
    b: Sequence[float],
    statistic: Callable[[np.ndarray], np.ndarray],
    *,
    n: int,
    seed: int = 0,
    confidence: float,
) -> tuple[float, float, float, float]:
    """``statistic(a) - statistic(b)`` with a percentile bootstrap interval and a
    two-sided bootstrap p value (twice the smaller share of resampled differences on
    either side of zero), each side resampled with replacement on its own
    (``numpy.random.default_rng(seed)``: repeatable).

    ``statistic`` maps a 2-D array (one sample per row) to one value per row, e.g.
    ``lambda x: np.median(x, axis=1)``. Values may be infinite (a failed run ranked
    worst); the statistic must cope.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if not len(a) or not len(b):
        return math.nan, math.nan, math.nan, math.nan
    point = float(statistic(a[None, :])[0] - statistic(b[None, :])[0])
    rng = np.random.default_rng(seed)
    resampled_a = a[rng.integers(0, len(a), size=(n, len(a)))]
    resampled_b = b[rng.integers(0, len(b), size=(n, len(b)))]
    with np.errstate(invalid="ignore"):
        diffs = statistic(resampled_a) - statistic(resampled_b)
    diffs = diffs[np.isfinite(diffs)]
    if not len(diffs):
        return point, math.nan, math.nan, math.nan
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(diffs, [tail, 1.0 - tail])
    p = float(min(1.0, 2.0 * min((diffs <= 0).mean(), (diffs >= 0).mean())))
    return point, float(low), float(high), p


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p values (Holm 1979); NaN stays NaN and is not
    counted in the family's size. Rejecting where adjusted p < alpha controls the
    family-wise error rate at alpha."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(len(p), math.nan)
    finite = np.flatnonzero(np.isfinite(p))
    if len(finite):
        out[finite] = multipletests(p[finite], method="holm")[1]
    return out.tolist()
