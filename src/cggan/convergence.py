"""Has a run stopped improving? The convergence diagnostic of ``summary.json``.

A run is trained for a fixed number of iterations; whether that was long enough is
measured, not assumed. The diagnostic compares the mean of the metric over the
evaluations of the final quarter of training, ``(3T/4, T]``, with its mean over the
quarter before, ``(T/2, 3T/4]``:

    change = (mean_final_quarter - mean_third_quarter) / |mean_third_quarter|

signed, so that for FID (lower is better) a run still improving has a negative change.
Means over a quarter rather than two single evaluations, because one evaluation of FID
on a few hundred samples moves by several per cent from one point to the next.

``improvement = -change`` for a metric to minimise (``+change`` to maximise). One run
is ``converged`` when ``|improvement| <= tolerance`` (config ``convergence.tolerance``),
``degrading`` when it got worse by more than that (``improvement < -tolerance``: an
oscillation or a collapse is never "converged"), and ``improving`` otherwise.

A run's diagnostic is one noisy number; the seeds of one setting are replicates, so the
verdict of record is the pool's (:func:`pool_convergence`): the pool has converged when
the confidence interval of its runs' mean improvement lies inside ``±tolerance``.

The same quarters give the number the claims compare (:func:`final_quarter_mean`): the
mean of the metric over the final quarter's evaluations, at the run's end or at any
earlier budget read from the same curve.

Torch-free: training writes it, the tables read it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from cggan.registry import FINAL, FINAL_QUARTER, MINIMIZE

__all__ = [
    "CONVERGED",
    "DEGRADING",
    "IMPROVING",
    "UNDECIDED",
    "convergence_diagnostic",
    "final_quarter_mean",
    "value_at_budget",
    "is_converged",
    "pool_convergence",
    "run_state",
]

CONVERGED, IMPROVING, DEGRADING, UNDECIDED = (
    "converged",
    "improving",
    "degrading",
    "undecided",
)


def _finite(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def convergence_diagnostic(
    rows: Sequence[Mapping[str, Any]], metric: str, mode: str
) -> dict[str, Any] | None:
    """The diagnostic of one run from its metrics rows.

    Args:
        rows: the rows of ``metrics.csv`` (``iteration`` and the metric column; rows
            without a finite metric are skipped).
        metric: the metric column (``fid``, ``modes``).
        mode: ``"min"`` or ``"max"``: the metric's better direction.

    Returns:
        ``{"change_last_quarter", "improvement_last_quarter", "n_third", "n_final"}``
        (the two means' evaluation counts), or None without evaluations after
        iteration 0.
    """
    points = _points(rows, metric)
    if not points:
        return None
    last = max(i for i, _ in points)
    third = [v for i, v in points if last / 2 < i <= 3 * last / 4]
    final = [v for i, v in points if 3 * last / 4 < i <= last]
    change = None
    if third and final:
        before, after = sum(third) / len(third), sum(final) / len(final)
        change = (after - before) / abs(before) if before else None
    improvement = None if change is None else (-change if mode == "min" else change)
    return {
        "change_last_quarter": change,
        "improvement_last_quarter": improvement,
        "n_third": len(third),
        "n_final": len(final),
    }


def _points(rows: Sequence[Mapping[str, Any]], metric: str) -> list[tuple[int, float]]:
    return [
        (int(r["iteration"]), v)
        for r in rows
        if (v := _finite(r.get(metric))) is not None and int(r["iteration"]) > 0
    ]


def final_quarter_mean(
    rows: Sequence[Mapping[str, Any]], metric: str, length: int | None = None
) -> float | None:
    """The mean of the metric over the evaluations in ``(3L/4, L]``.

    Args:
        rows: a run's metrics rows (as :func:`convergence_diagnostic`).
        metric: the metric column.
        length: the budget L in iterations; the run's last evaluation when None. A run
            read at a budget it never reached (it stopped earlier) has no value.

    Returns:
        The mean, or None when the quarter holds no evaluation.
    """
    points = _points(rows, metric)
    if not points:
        return None
    last = max(i for i, _ in points)
    if length is None:
        length = last
    if length > last:
        return None
    values = [v for i, v in points if 3 * length / 4 < i <= length]
    return sum(values) / len(values) if values else None


def value_at_budget(
    rows: Sequence[Mapping[str, Any]],
    metric: str,
    mode: str,
    by: str,
    length: int,
) -> float | None:
    """The number a run scores at a budget of ``length`` iterations, read off its
    curve: the last evaluation at or before ``length`` (``by="final"``), the best one
    up to it (``"best"``) or the final quarter's mean (``"final_quarter"``,
    :func:`final_quarter_mean`). None when the run stopped before ``length`` or has no
    evaluation there."""
    if by == FINAL_QUARTER:
        return final_quarter_mean(rows, metric, length)
    points = _points(rows, metric)
    if not points or max(i for i, _ in points) < length:
        return None
    upto = [v for i, v in points if i <= length]
    if not upto:
        return None
    if by == FINAL:
        return upto[-1]
    return min(upto) if mode == MINIMIZE else max(upto)


def is_converged(improvement: float | None, tolerance: float) -> bool | None:
    """``|improvement| <= tolerance``; None when the improvement is unknown. A run that
    got worse by more than the tolerance is degrading, not converged."""
    value = _finite(improvement)
    return None if value is None else abs(value) <= tolerance


def run_state(improvement: float | None, tolerance: float) -> str:
    """One run's state: converged, improving, degrading (or undecided: unknown)."""
    value = _finite(improvement)
    if value is None:
        return UNDECIDED
    if value < -tolerance:
        return DEGRADING
    return CONVERGED if value <= tolerance else IMPROVING


def pool_convergence(
    improvements: Sequence[float], tolerance: float, confidence: float = 0.95
) -> dict[str, Any]:
    """The convergence of a pool of replicate runs (one setting, several seeds).

    The runs' last-quarter improvements are replicates; Student's t interval of their
    mean at ``confidence`` decides:

    * ``converged``: the interval lies inside ``[-tolerance, tolerance]``;
    * ``improving``: the interval lies above ``tolerance`` (still getting better);
    * ``degrading``: the interval lies below ``-tolerance`` (getting worse);
    * ``undecided``: the interval straddles a bound (too few or too noisy runs).

    Returns:
        ``{"state", "mean", "ci_low", "ci_high", "n"}`` (NaN bounds below 2 runs).
    """
    from scipy import stats

    values = [v for v in (_finite(x) for x in improvements) if v is not None]
    n = len(values)
    out: dict[str, Any] = {"state": UNDECIDED, "n": n}
    if n < 2:
        mean = values[0] if values else math.nan
        return {**out, "mean": mean, "ci_low": math.nan, "ci_high": math.nan}
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    low, high = mean - half, mean + half
    if -tolerance <= low and high <= tolerance:
        state = CONVERGED
    elif low > tolerance:
        state = IMPROVING
    elif high < -tolerance:
        state = DEGRADING
    else:
        state = UNDECIDED
    return {**out, "state": state, "mean": mean, "ci_low": low, "ci_high": high}
