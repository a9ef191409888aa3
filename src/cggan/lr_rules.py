"""Learning-rate rules, one ``LambdaLR`` per player.

With base learning rate ``a`` (the optimizer's ``lr``) and ``n`` the number of scheduler
steps taken so far (the trainer steps once per iteration, after the G step):

- ``constant``: ``a``                                   (the CG paper's constant rule)
- ``sqrt``:     ``a / √(n+1)``                          (the paper's diminishing rule)
- ``power``:    ``a · (n+1)^(−η)``, ``η = eta_g`` for G and ``eta_d`` for D (the paper's
  third rule ``a_n = n^{−η_a}, b_n = n^{−η_b}``; the released code's only instance, η = 0.75
  for both, was never executed)
- ``step``:     ``a · gamma^⌊n / step_size⌋``           (the released code's "DL" sweeps)

Unlike the released code (``shared/reference/cg_paper.md`` §2.2) each player's scheduler is
built on that player's own optimizer, and every rule is reachable by its name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

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
        LRRule("constant", "a"),
        LRRule("sqrt", "a / sqrt(n + 1)"),
        LRRule("power", "a * (n + 1) ** (-eta_player)", {"eta_g": 0.75, "eta_d": 0.75}),
        LRRule(
            "step", "a * gamma ** (n // step_size)", {"step_size": 10000, "gamma": 0.9}
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


def _positive(name: str, value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid {name}: {value!r} (allowed: a number > 0)") from None
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"Invalid {name}: {value} (allowed: a finite number > 0)")
    return value


def lr_factor(rule: str, player: str, **kwargs) -> Callable[[int], float]:
    """The multiplier ``n -> lr_n / a`` of ``rule`` for ``player`` ("g" or "d").

    Raises:
        ValueError: unknown rule or player, unknown keyword, or a bad value.
    """
    spec = _get_rule(rule)
    if player not in PLAYERS:
        raise ValueError(f"Invalid player: {player!r} (allowed: g, d)")
    unknown = sorted(set(kwargs) - set(spec.params))
    if unknown:
        raise ValueError(
            f"Invalid lr rule argument for {rule}: {', '.join(unknown)} "
            f"(allowed: {', '.join(spec.params) or 'none'})"
        )
    args = {**spec.params, **kwargs}
    if rule == "constant":
        return lambda n: 1.0
    if rule == "sqrt":
        return lambda n: 1.0 / math.sqrt(n + 1)
    if rule == "power":
        eta = _positive(f"eta_{player}", args[f"eta_{player}"])
        _positive(
            "eta_g" if player == "d" else "eta_d",
            args["eta_g" if player == "d" else "eta_d"],
        )
        return lambda n: (n + 1) ** (-eta)
    if rule == "step":
        step_size = args["step_size"]
        if isinstance(step_size, bool) or int(step_size) != step_size or step_size < 1:
            raise ValueError(f"Invalid step_size: {step_size} (allowed: integer >= 1)")
        step_size = int(step_size)
        gamma = _positive("gamma", args["gamma"])
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
        **kwargs: the rule's arguments (see :func:`rule_params`); both players may be given
            the same dict.

    Raises:
        ValueError: unknown rule or player, unknown or bad argument.
    """
    return LambdaLR(optimizer, lr_factor(rule, player, **kwargs))
