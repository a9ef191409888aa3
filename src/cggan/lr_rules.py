"""Learning-rate rules, one ``LambdaLR`` per player.

With base learning rate ``a`` (the optimizer's ``lr``) and ``n`` the number of scheduler
steps taken so far (the trainer steps once per iteration, after the G step):

- ``constant``: ``a``                                   (the CG paper's constant rule)
- ``sqrt``:     ``a / √(n+1)``                          (the paper's diminishing rule)
- ``power``:    ``a · (n+1)^(−η)``, ``η = eta_g`` for G and ``eta_d`` for D (the paper's
  third rule ``a_n = n^{−η_a}, b_n = n^{−η_b}``; the released code's only instance,
  η = 0.75 for both, was never executed)
- ``step``:     ``a · gamma^⌊n / step_size⌋`` for both players (a textbook step decay)
- ``step_authors``: D ``a · gamma^⌊n / step_size⌋``, G ``a`` (constant): what the
  released code's "DL" runs did. Its scheduler decayed D by 0.9 twice per 10K iterations
  (two ``StepLR(γ=0.9)`` stepped on D's optimizer, G's attached to D's by mistake), i.e.
  D by 0.81 every 10K iterations and G never: ``gamma: 0.81, step_size: 10000``.

Unlike the released code (Naganuma & Iiduka's GitHub repository, ``main.py``) each
player's scheduler is built on that player's own optimizer, and every rule is reachable
by its name; ``step_authors`` reproduces the released behaviour on
purpose, under its own name.

The factors are pure Python (no torch import), so a study's rule kwargs are checked with
:func:`lr_factor` when the study is planned.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cggan.checks import check_interval, check_positive, invalid
from cggan.registry import (
    LR_CONSTANT,
    LR_POWER,
    LR_SQRT,
    LR_STEP,
    LR_STEP_AUTHORS,
)

if TYPE_CHECKING:
    from torch.optim import Optimizer
    from torch.optim.lr_scheduler import LambdaLR

__all__ = ["RULES", "LRRule", "rule_params", "build_scheduler", "lr_factor"]

PLAYERS = ("g", "d")


@dataclass(frozen=True)
class LRRule:
    """A named rule: its keyword arguments (with defaults) and a description."""

    name: str
    description: str
    params: dict[str, float] = field(default_factory=dict)


RULES: dict[str, LRRule] = {
    rule.name: rule
    for rule in (
        LRRule(LR_CONSTANT, "a"),
        LRRule(LR_SQRT, "a / sqrt(n + 1)"),
        LRRule(
            LR_POWER, "a * (n + 1) ** (-eta_player)", {"eta_g": 0.75, "eta_d": 0.75}
        ),
        LRRule(
            LR_STEP, "a * gamma ** (n // step_size)", {"step_size": 10000, "gamma": 0.9}
        ),
        LRRule(
            LR_STEP_AUTHORS,
            "D: a * gamma ** (n // step_size); G: a",
            {"step_size": 10000, "gamma": 0.81},
        ),
    )
}


def rule_params(rule: str) -> dict[str, float]:
    """The keyword arguments of ``rule`` with their defaults.

    Raises:
        ValueError: unknown rule.
    """
    return dict(_get_rule(rule).params)


def _get_rule(rule: str) -> LRRule:
    if rule not in RULES:
        raise ValueError(f"Invalid lr rule: {rule!r} (allowed: {', '.join(RULES)})")
    return RULES[rule]


def _step_size(value) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or int(value) != value
        or value < 1
    ):
        raise invalid("step_size", value, "an integer >= 1")
    return int(value)


def _decay(args: dict) -> tuple[int, float]:
    step_size = _step_size(args["step_size"])
    check_interval("gamma", args["gamma"], 0.0, 1.0, closed_low=False, closed_high=True)
    return step_size, float(args["gamma"])


def lr_factor(rule: str, player: str, **kwargs) -> Callable[[int], float]:
    """The multiplier ``n -> lr_n / a`` of ``rule`` for ``player`` ("g" or "d").

    Raises:
        ValueError: unknown rule or player, unknown keyword, or a bad value (``eta`` in
            (0, 1], ``gamma`` in (0, 1], ``step_size`` an integer >= 1).
    """
    spec = _get_rule(rule)
    if player not in PLAYERS:
        raise invalid("player", player, "g, d")
    unknown = sorted(set(kwargs) - set(spec.params))
    if unknown:
        raise invalid(
            f"lr rule argument for {rule}",
            ", ".join(unknown),
            ", ".join(spec.params) or "none",
        )
    args = {**spec.params, **kwargs}
    if rule == LR_CONSTANT:
        return lambda n: 1.0
    if rule == LR_SQRT:
        return lambda n: 1.0 / math.sqrt(n + 1)
    if rule == LR_POWER:
        for name in (
            "eta_g",
            "eta_d",
        ):  # both, so a bad one is refused for either player
            check_positive(name, args[name])
            check_interval(
                name, args[name], 0.0, 1.0, closed_low=False, closed_high=True
            )
        eta = float(args[f"eta_{player}"])
        return lambda n: (n + 1) ** (-eta)
    if rule in (LR_STEP, LR_STEP_AUTHORS):
        step_size, gamma = _decay(args)
        if rule == LR_STEP_AUTHORS and player == "g":
            return lambda n: 1.0
        return lambda n: gamma ** (n // step_size)
    raise AssertionError(
        f"rule {rule} has no factor"
    )  # every RULES entry is handled above


def build_scheduler(optimizer: Optimizer, rule: str, player: str, **kwargs) -> LambdaLR:
    """A ``LambdaLR`` applying ``rule`` to ``optimizer``, the optimizer of ``player``.

    Args:
        optimizer: the player's own optimizer (its ``lr`` is the base rate ``a``).
        rule: one of ``RULES``.
        player: ``"g"`` or ``"d"``; selects ``eta_g`` / ``eta_d`` of the ``power`` rule.
        **kwargs: the rule's arguments (see :func:`rule_params`); both players may be
            given the same dict.

    Raises:
        ValueError: unknown rule or player, unknown or bad argument.
    """
    from torch.optim.lr_scheduler import LambdaLR  # here: the factors stay torch-free

    return LambdaLR(optimizer, lr_factor(rule, player, **kwargs))
