"""Learning-rate grids that bracket the optimum: edges and one-step extensions.

A pool (one method x rule x value of its swept hyperparameters, see
:func:`cggan.study.layout.pool_id`) whose selected setting lies on an edge of its
learning-rate grid has not shown that its optimum is inside the grid: the best value may
lie beyond it, and a comparison of methods then ranks where each grid was placed, not
the methods. The workflow extends such a grid one step past that edge, at the grid's own
log ratio there, and trains the new settings (Snakemake checkpoint ``extend_grid``,
``selection.max_grid_extensions`` rounds). A selection still on an edge after the last
round is flagged in the tables and the claims.

Grid shapes (``lr_rules.<rule>.shape``):
    ``product``: every lr_D with every lr_G. An edge is the largest or smallest lr_D
        (or lr_G) of the grid; the extension adds a whole new row (or column) at
        ``edge * edge / neighbour``.
    ``paired``: the i-th lr_D with the i-th lr_G, points on one line in log space
        (``lr_d == lr_g`` when both lists are equal). An edge is the first or last
        point; the extension adds one point past it on the same line.

The rounds a study has run so far are files (``StudyPaths.extension``):
:func:`extension_settings` reads them, :func:`read_extension` checks one.

Pure Python (no torch, no pandas): the Snakefile and ``scripts/extend_grid.py`` use it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

from cggan.checks import invalid as _invalid
from cggan.study.layout import Setting, StudyPaths

__all__ = [
    "GRID_SHAPES",
    "edges",
    "extend",
    "extension_settings",
    "read_extension",
    "round_lr",
]

GRID_SHAPES = ("product", "paired")


def round_lr(value: float) -> float:
    """A learning rate rounded to 4 significant digits, so that a step such as
    ``0.02 * 2.5`` names the directory ``lr_d~0.05``, not
    ``lr_d~0.05000000000000001``."""
    return float(f"{value:.4g}")


def _check_shape(shape: str) -> None:
    if shape not in GRID_SHAPES:
        raise _invalid("lr_rules.<rule>.shape", shape, ", ".join(GRID_SHAPES))


def _sorted_unique(values: Iterable[float]) -> list[float]:
    return sorted(set(float(v) for v in values))


def edges(settings: Sequence[Setting], selected: Setting, shape: str) -> list[str]:
    """The edges of a pool's learning-rate grid that its selected setting lies on.

    Args:
        settings: every setting of the pool (all rounds so far).
        selected: the pool's selected setting (one of ``settings``).
        shape: ``product`` or ``paired``.

    Returns:
        A sorted list of ``"lr_d max"``, ``"lr_d min"``, ``"lr_g max"``, ``"lr_g min"``
        (``product``) or ``"line max"``, ``"line min"`` (``paired``); empty when the
        selection is inside the grid on every axis. An axis with a single value has no
        inside: a selection there is on both of its edges.
    """
    _check_shape(shape)
    out = []
    if shape == "paired":
        line = _sorted_unique(s.lr_d for s in settings)
        if selected.lr_d == line[-1]:
            out.append("line max")
        if selected.lr_d == line[0]:
            out.append("line min")
        return sorted(out)
    for axis in ("lr_d", "lr_g"):
        values = _sorted_unique(getattr(s, axis) for s in settings)
        value = getattr(selected, axis)
        if value == values[-1]:
            out.append(f"{axis} max")
        if value == values[0]:
            out.append(f"{axis} min")
    return sorted(out)


def _step(values: list[float], side: str) -> float | None:
    """One step past the ``side`` ("max"/"min") end of sorted values, at the ratio of
    the two values at that end; None for a single value (no ratio to step by)."""
    if len(values) < 2:
        return None
    if side == "max":
        return round_lr(values[-1] * values[-1] / values[-2])
    return round_lr(values[0] * values[0] / values[1])


def extend(settings: Sequence[Setting], selected: Setting, shape: str) -> list[Setting]:
    """The settings one extension round adds to a pool whose selection is on an edge.

    Args:
        settings: every setting of the pool (all rounds so far).
        selected: the pool's selected setting.
        shape: ``product`` or ``paired``.

    Returns:
        New settings (none already in ``settings``), sorted by ``(lr_d, lr_g)``; empty
        when the selection is inside the grid, or the grid has a single value on the
        edge's axis (no ratio to step by).
    """
    on = edges(settings, selected, shape)
    kwargs = dict(selected.method_kwargs)
    known = {(s.lr_d, s.lr_g) for s in settings}
    new: set[tuple[float, float]] = set()
    if shape == "paired":
        line = sorted({(s.lr_d, s.lr_g) for s in settings})
        for edge in on:
            if len(line) < 2:
                continue
            (d0, g0), (d1, g1) = (
                (line[-1], line[-2]) if edge == "line max" else (line[0], line[1])
            )
            new.add((round_lr(d0 * d0 / d1), round_lr(g0 * g0 / g1)))
    else:
        lr_d = _sorted_unique(s.lr_d for s in settings)
        lr_g = _sorted_unique(s.lr_g for s in settings)
        new_d = [v for e in on if e.startswith("lr_d") for v in [_step(lr_d, e[5:])]]
        new_g = [v for e in on if e.startswith("lr_g") for v in [_step(lr_g, e[5:])]]
        new_d = [v for v in new_d if v is not None]
        new_g = [v for v in new_g if v is not None]
        all_d, all_g = lr_d + new_d, lr_g + new_g
        new |= {(d, g) for d in new_d for g in all_g}
        new |= {(d, g) for d in all_d for g in new_g}
    return [Setting(d, g, kwargs) for d, g in sorted(new - known)]


def read_extension(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The settings an extension-round file (``extend_grid``'s output) added.

    Raises:
        ValueError: one line naming the file, for unreadable JSON or an entry without
            ``method``, ``lr_rule``, positive ``lr_d`` / ``lr_g`` and ``method_kwargs``.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: unreadable grid extension ({exc})") from None
    added = data.get("added") if isinstance(data, dict) else None
    if not isinstance(added, list):
        raise ValueError(f"{path}: a grid extension without an 'added' list")
    for item in added:
        ok = (
            isinstance(item, dict)
            and isinstance(item.get("method"), str)
            and isinstance(item.get("lr_rule"), str)
            and isinstance(item.get("method_kwargs"), dict)
            and all(
                isinstance(item.get(k), (int, float)) and item[k] > 0
                for k in ("lr_d", "lr_g")
            )
        )
        if not ok:
            raise ValueError(f"{path}: invalid grid extension entry {item!r}")
    return added


def extension_settings(
    paths: StudyPaths, experiment: str, rounds: int
) -> dict[tuple[str, str], dict[str, tuple[int, Setting]]]:
    """The settings the extension rounds 1..``rounds`` of an experiment added, read
    from their files: ``{(method, rule): {setting id: (round, Setting)}}``.

    Rounds are read in order and stop at the first missing file (a round not run yet).

    Raises:
        ValueError: an unreadable or invalid round file (:func:`read_extension`).
    """
    out: dict[tuple[str, str], dict[str, tuple[int, Setting]]] = {}
    for round_ in range(1, rounds + 1):
        path = paths.extension(experiment, round_)
        if not os.path.isfile(path):
            break
        for item in read_extension(path):
            setting = Setting(
                float(item["lr_d"]), float(item["lr_g"]), item["method_kwargs"]
            )
            out.setdefault((item["method"], item["lr_rule"]), {})[setting.id] = (
                round_,
                setting,
            )
    return out
