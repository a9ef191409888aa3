"""Seed intervals that stay inside the metric's range: the percentile bootstrap.

The confirmation has few seeds (3 to 10), and the metrics are bounded: FID is never
below 0, the modes covered of a 2-D mixture lie in [0, K] (K = 8 for ``ring8``, 25 for
``grid25``). A Student-t interval, mean ± t·s/√n, ignores the bounds and, with n = 3 and
a large spread, crosses them (``[-474.60, 8912.83]`` for an FID). The interval here is
the **percentile bootstrap** of the seed mean: 10,000 resamples with replacement
(``scipy.stats.bootstrap``, ``method="percentile"``), NumPy's ``default_rng(0)``, so the
same seeds always give the same interval. A resampled mean lies between the smallest
and the largest seed value, so the interval never leaves the range the values lie in;
it is clipped to the metric's range as well, which only matters for values that are
themselves out of range (bad input). With fewer than two finite values there is no
interval (:data:`NO_INTERVAL`). With few seeds the percentile bootstrap is narrow (it
approaches the range of the seed values, e.g. n = 3): read it as a description of the
seeds, not as a guarantee of coverage.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cggan.registry import GRID25, RING8

__all__ = [
    "CI_METHOD",
    "NO_INTERVAL",
    "N_MODES",
    "N_RESAMPLES",
    "RNG_SEED",
    "bootstrap_interval",
    "bounds_of",
    "metric_range",
    "n_modes_of",
]

N_RESAMPLES = 10_000
RNG_SEED = 0
CI_METHOD = f"percentile bootstrap ({N_RESAMPLES} resamples, default_rng({RNG_SEED}))"
NO_INTERVAL = "n<2: no interval"

#: Modes of the 2-D mixtures of :mod:`cggan.data.mixture2d` (its means: 8 on a ring, a
#: 5 × 5 grid); kept here so that aggregation does not import torch (a test checks them
#: against ``mixture_params``).
N_MODES = {RING8: 8, GRID25: 25}
#: Bounds of each metric; ``None`` for the modes' upper bound = the dataset's K.
_RANGES: dict[str, tuple[float, float | None]] = {
    "fid": (0.0, math.inf),
    "modes": (0.0, None),
    "high_quality": (0.0, 1.0),
}


def n_modes_of(*names: Any) -> int | None:
    """K of the first name that is a known mixture (dataset, experiment), or None."""
    for name in names:
        if isinstance(name, str) and name in N_MODES:
            return N_MODES[name]
    return None


def metric_range(metric: Any, n_modes: Any = None) -> tuple[float, float]:
    """``(low, high)`` a metric's values lie in; unknown metrics are unbounded.

    Args:
        metric: ``"fid"``, ``"modes"``, ``"high_quality"`` or anything else.
        n_modes: K for ``"modes"``; without it the upper bound is open.
    """
    low, high = _RANGES.get(str(metric), (-math.inf, math.inf))
    if high is None:
        try:
            high = float(n_modes) if n_modes is not None else math.inf
        except (TypeError, ValueError):
            high = math.inf
        if not high >= 0:  # NaN or negative K: bad input, keep the bound open
            high = math.inf
    return low, high


def bounds_of(runs: pd.DataFrame, metric: Any) -> tuple[float, float]:
    """The metric's range for one setting's runs (K from the runs or their dataset)."""

    def first(column: str) -> Any:
        values = runs[column].dropna() if column in runs else []
        return values.iloc[0] if len(values) else None

    k = first("n_modes")
    if k is None:
        k = n_modes_of(first("dataset"), first("experiment"))
    return metric_range(metric, k)


def _finite(values: Sequence[Any]) -> np.ndarray:
    out = []
    for value in values:
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(value):
            out.append(value)
    return np.asarray(out, dtype=float)


def bootstrap_interval(
    values: Sequence[Any],
    confidence: float,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> tuple[float, float]:
    """Percentile-bootstrap interval of the mean, clipped to ``bounds``.

    Args:
        values: one value per seed; None, NaN and text are left out.
        confidence: the interval's level, in (0, 1).
        bounds: the metric's range (:func:`metric_range`).

    Returns:
        ``(low, high)``; ``(nan, nan)`` for fewer than two finite values.

    Raises:
        ValueError: a confidence outside (0, 1).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(
            f"Invalid confidence: {confidence} (allowed: 0 < confidence < 1)"
        )
    arr = _finite(values)
    if len(arr) < 2:
        return math.nan, math.nan
    if np.ptp(arr) == 0.0:  # every resample has the same mean
        low = high = float(arr[0])
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap(
                (arr,),
                np.mean,
                n_resamples=N_RESAMPLES,
                method="percentile",
                confidence_level=confidence,
                rng=np.random.default_rng(RNG_SEED),
            )
        low = float(result.confidence_interval.low)
        high = float(result.confidence_interval.high)
    lo, hi = bounds
    return float(np.clip(low, lo, hi)), float(np.clip(high, lo, hi))
