"""Rank pools of equal size: one pool per value of a method's swept hyperparameters.

The paper ranks the Top-1/Top-k of a method over all its sweep runs. A method that
sweeps hyperparameters besides the learning rates (the CG β coefficient, momentum's
momentum, ...) then draws its Top-10 from more runs than one that does not: 75 runs (3
coefficients × 25 lr pairs) against 25, so CG's Top-10 is its best 13 %, a baseline's
its best 40 %. Here every pool is one value (one combination) of those hyperparameters
with the whole lr grid, so every pool has the grid's size. The published pooling (every
value of a method together) stays beside it, labelled ``pooled``.

A pool is named as the setting directories spell hyperparameters
(:func:`cggan.study.setting_id`), e.g. ``beta_coeff~0.5`` or ``momentum~0.25``;
:data:`LR_GRID` names the pool of a method without swept hyperparameters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd

from cggan.study.layout import setting_id

__all__ = ["LR_GRID", "pool_label", "pool_of_row", "split_pools"]

LR_GRID = "lr grid"
_SETTING = re.compile(r"^lr_d~[^_]+_lr_g~[^_]+(?:_(?P<hparams>.+))?$")
_PREFIX = setting_id(0.0, 0.0, {}) + "_"


def pool_label(method_kwargs: Any) -> str:
    """The pool of a method's hyperparameters (a dict or its JSON text)."""
    if isinstance(method_kwargs, str):
        try:
            method_kwargs = json.loads(method_kwargs)
        except json.JSONDecodeError:
            return method_kwargs or LR_GRID
    if not isinstance(method_kwargs, dict) or not method_kwargs:
        return LR_GRID
    try:
        return setting_id(0.0, 0.0, method_kwargs)[len(_PREFIX) :]
    except ValueError:  # a value the setting ids cannot spell
        return "_".join(f"{k}~{method_kwargs[k]}" for k in sorted(method_kwargs))


def pool_of_row(setting: Any, method_kwargs: Any) -> str:
    """A run's pool: from its setting directory, else from its method_kwargs.

    The directory name holds the hyperparameters even for a run without
    ``summary.json`` (whose method_kwargs are unknown).
    """
    match = _SETTING.match(str(setting))
    if match:
        return match.group("hparams") or LR_GRID
    return pool_label(method_kwargs)


def _sort_key(label: str) -> tuple:
    """Pools in the order of their values (numbers numerically)."""
    key = []
    for part in label.split("_"):
        _, _, value = part.partition("~")
        try:
            key.append((0, float(value), ""))
        except ValueError:
            key.append((1, 0.0, part))
    return tuple(key)


def split_pools(group: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """``(pool, runs)`` of one experiment × method × rule's sweep, in value order."""
    kwargs = group["method_kwargs"] if "method_kwargs" in group else [None] * len(group)
    labels = [pool_of_row(s, k) for s, k in zip(group["setting"], kwargs)]
    labels = pd.Series(labels, index=group.index)
    for label in sorted(set(labels), key=_sort_key):
        yield label, group[labels == label]
