"""Values of the methods' swept hyperparameters, checked without torch.

The optimizer and scheme constructors (:mod:`cggan.optim`, :mod:`cggan.games.schemes`,
``torch.optim``) check their arguments when a job builds them; a study is planned
without torch, so :func:`check_method_kwargs` applies the same rules (or stricter ones)
at planning time, one line naming the key. ``tests/reliability/test_planning.py``
holds the two in step: every value refused by a constructor is refused here.
Torch-free.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from cggan.checks import check_choice, check_interval, invalid, is_number

__all__ = ["SCOPES", "check_hparam", "check_method_kwargs"]

#: ``scope`` of CG, nSGDA and grafting (``cggan.optim.base.SCOPES``; a test keeps them
#: equal).
SCOPES = ("tensor", "player")


def _finite_non_negative(key: str, value: Any) -> None:
    if not is_number(value) or not (value >= 0 and math.isfinite(value)):
        raise invalid(key, value, "a finite number >= 0")


def _finite_positive(key: str, value: Any) -> None:
    if not is_number(value) or not (value > 0 and math.isfinite(value)):
        raise invalid(key, value, "a finite number > 0")


def _contraction(key: str, value: Any) -> None:
    check_interval(key, value, 0.0, 1.0)


def _betas(key: str, value: Any) -> None:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise invalid(key, value, "a pair [beta1, beta2], each in [0, 1)")
    for i, beta in enumerate(value):
        check_interval(f"{key}[{i}]", beta, 0.0, 1.0)


def _scope(key: str, value: Any) -> None:
    check_choice(key, value, SCOPES)


#: The domain of each swept hyperparameter (``cggan.registry.METHOD_HPARAMS``):
#: CG's ``beta_coeff`` c >= 0 (finite); heavy-ball and nSGDA ``momentum`` in [0, 1);
#: Adam's and grafting's ``betas`` a pair in [0, 1); ``scope`` tensor or player; the
#: extragradient and consensus ``gamma`` > 0 (finite).
HPARAM_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "beta_coeff": _finite_non_negative,
    "momentum": _contraction,
    "betas": _betas,
    "scope": _scope,
    "gamma": _finite_positive,
}


def check_hparam(key: str, name: str, value: Any) -> None:
    """Raise ``ValueError`` (one line naming ``key``) unless ``value`` is a valid
    ``name``; names without a known domain pass (their key is checked elsewhere)."""
    check = HPARAM_CHECKS.get(name)
    if check is not None:
        check(key, value)


def check_method_kwargs(method: str, kwargs: Mapping[str, Any], where: str) -> None:
    """Every value of one setting's method kwargs, reported as ``<where>.<name>``."""
    for name, value in kwargs.items():
        check_hparam(f"{where}.{name}", name, value)
