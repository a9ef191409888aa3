"""β diagnostics of the conjugate-gradient methods: ``metrics.csv`` columns and the
run averages of ``summary.json``.

Each player has its own optimizer (:func:`cggan.methods.build_method`); a CG optimizer
(:class:`cggan.optim.ConjugateGradient`) accumulates its β statistics on the device at
every step. At every metrics row the trainer reads them once per player with
``beta_stats(reset=True)`` (one host sync per player and row, never one per step), so a
row holds the averages over the iterations since the previous row. The accumulators are
part of the optimizers' ``state_dict``, so a resumed run writes the same rows.

The six columns exist in every run's ``metrics.csv`` (one header per metric, whatever
the method, so that all ``metrics.csv`` of a study line up); their cells are empty for
a method without β, and at iteration 0 (no step yet).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["BETA_COLUMNS", "BETA_KEYS", "beta_row", "beta_summary", "has_beta"]

_STATISTICS = ("beta_mean", "beta_capped", "beta_zero")
_PLAYERS = ("g", "d")
#: metrics.csv columns, in order: ``<statistic>_<player>``.
BETA_COLUMNS = tuple(f"{s}_{p}" for s in _STATISTICS for p in _PLAYERS)
#: summary.json ``"beta"`` keys, one per column (``mean_g`` for ``beta_mean_g``).
BETA_KEYS = tuple(column[len("beta_") :] for column in BETA_COLUMNS)


def _stats_of(optimizer: Any) -> dict[str, float] | None:
    read = getattr(optimizer, "beta_stats", None)
    return read(reset=True) if callable(read) else None


def has_beta(method: Any) -> bool:
    """Whether either player's optimizer records β (a conjugate-gradient method)."""
    return any(
        callable(getattr(opt, "beta_stats", None))
        for opt in (method.opt_g, method.opt_d)
    )


def beta_row(method: Any) -> dict[str, float | None]:
    """The six β cells of a metrics row; resets the players' sums.

    Args:
        method: the built :class:`cggan.methods.Method` (``opt_g``, ``opt_d``).

    Returns:
        ``{column: value}``; None (an empty cell) for a player whose optimizer has no β
        or made no β step since the last row.
    """
    row: dict[str, float | None] = {}
    for player, optimizer in zip(_PLAYERS, (method.opt_g, method.opt_d)):
        stats = _stats_of(optimizer)
        for name in _STATISTICS:
            row[f"{name}_{player}"] = None if stats is None else float(stats[name])
    return row


def beta_summary(rows: Sequence[dict], cg: bool) -> dict[str, float | None] | None:
    """The run averages of the β columns, for ``summary.json``'s ``"beta"``.

    Each row's value weighs as many iterations as the row covers (its iteration minus
    the previous row's), which is each player's number of steps up to a constant
    factor (``n_critic`` D steps per iteration).

    Args:
        rows: the run's metrics rows so far.
        cg: whether the method records β.

    Returns:
        None for a method without β; else ``{"mean_g", "mean_d", "capped_g",
        "capped_d", "zero_g", "zero_d"}``, each None when no row has a finite value.
    """
    if not cg:
        return None
    out: dict[str, float | None] = {}
    for column, key in zip(BETA_COLUMNS, BETA_KEYS):
        total = weight = 0.0
        previous = 0
        for row in rows:
            iteration = int(row["iteration"])
            value = row.get(column)
            span, previous = iteration - previous, iteration
            if value is None or not math.isfinite(value) or span <= 0:
                continue
            total += span * value
            weight += span
        out[key] = total / weight if weight else None
    return out
