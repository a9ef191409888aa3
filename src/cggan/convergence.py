"""Has a run stopped improving? The convergence diagnostic of ``summary.json``.

A run is trained for a fixed number of iterations; whether that was long enough is
measured, not assumed. The diagnostic compares the mean of the metric over the
evaluations of the final quarter of training, ``(3T/4, T]``, with its mean over the
quarter before, ``(T/2, 3T/4]``:

    change = (mean_final_quarter - mean_third_quarter) / |mean_third_quarter|

signed, so that for FID (lower is better) a run still improving has a negative change.
Means over a quarter rather than two single evaluations, because one evaluation of FID
on a few hundred samples moves by several per cent from one point to the next.

``improvement = -change`` for a metric to minimise (``+change`` to maximise), and a run
is ``converged`` when ``improvement <= tolerance`` (config ``convergence.tolerance``):
it no longer improves by more than that fraction per quarter of its training. A run
that gets worse over its final quarter (oscillation, collapse) is converged in this
sense - training it longer would not make it better - and its FID says how good it
is. Unknown (None) when either quarter holds no evaluation.

Torch-free: training writes it, the tables read it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["DEFAULT_TOLERANCE", "convergence_diagnostic", "is_converged"]

#: The documented default of ``convergence.tolerance`` (the schema holds it too).
DEFAULT_TOLERANCE = 0.05


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
    points = [
        (int(r["iteration"]), v)
        for r in rows
        if (v := _finite(r.get(metric))) is not None and int(r["iteration"]) > 0
    ]
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


def is_converged(improvement: float | None, tolerance: float) -> bool | None:
    """``improvement <= tolerance``; None when the improvement is unknown."""
    value = _finite(improvement)
    return None if value is None else value <= tolerance
