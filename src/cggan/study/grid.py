"""A study config's sweep grid: per experiment x method x learning-rate rule, the
settings its lists expand to (the configured grid; extension rounds add to it,
:mod:`cggan.study.grid_extension`). Torch-free.

Learning-rate lists take precedence in this order: the method's own lists, then the
experiment's grid for the rule (datasets need different scales), then the rule's grid.
A grid is a ``product`` (every lr_D with every lr_G) or ``paired`` (the i-th with the
i-th: one line in log space); the method's swept hyperparameters multiply either.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from cggan.checks import invalid as _invalid
from cggan.study.layout import Setting

__all__ = ["configured_grid", "grid_shape"]

#: (experiment, method, lr_rule) -> {setting id: setting}
Grid = dict[tuple[str, str, str], dict[str, Setting]]


def grid_shape(config: Mapping[str, Any], exp: str, rule: str) -> str:
    """``product`` or ``paired``: the experiment's grid for the rule, else the
    rule's."""
    grid = (config["experiments"][exp].get("lr_grid") or {}).get(rule) or {}
    return grid.get("shape") or config["lr_rules"][rule].get("shape", "product")


def configured_grid(
    config: Mapping[str, Any],
    methods_of: Callable[[str], list[str]],
    rules_of: Callable[[str], list[str]],
) -> Grid:
    """The configured settings of every experiment x method x rule of a config
    (``methods_of`` and ``rules_of``: an experiment's methods and rules).

    Raises:
        ValueError: an experiment's ``lr_grid`` for a rule it does not run, ``paired``
            lists of different lengths, or a grid without runs (one line).
    """
    grid: Grid = {}
    for exp, e in config["experiments"].items():
        unknown = set(e.get("lr_grid") or {}) - set(rules_of(exp))
        if unknown:
            raise _invalid(
                f"experiments.{exp}.lr_grid",
                sorted(unknown),
                f"rules of this experiment: {rules_of(exp)}",
            )
    for exp in config["experiments"]:
        for method in methods_of(exp):
            for rule in rules_of(exp):
                settings = _expand(config, exp, method, rule)
                grid[(exp, method, rule)] = {s.id: s for s in settings}
    if not sum(len(s) for s in grid.values()):
        raise _invalid(
            "experiments",
            list(config["experiments"]),
            "a grid with at least one run (check methods, lr_rules, lr lists)",
        )
    return grid


def _expand(config: Mapping[str, Any], exp: str, method: str, rule: str) -> list:
    method_cfg = dict(config["methods"][method] or {})
    rule_cfg = dict(config["lr_rules"][rule])
    rule_cfg.update((config["experiments"][exp].get("lr_grid") or {}).get(rule) or {})
    lr_d = method_cfg.pop("lr_d", None) or rule_cfg["lr_d"]
    lr_g = method_cfg.pop("lr_g", None) or rule_cfg["lr_g"]
    shape = grid_shape(config, exp, rule)
    if shape == "paired" and len(lr_d) != len(lr_g):
        raise _invalid(
            f"lr_d / lr_g of {method} under {rule}",
            f"{len(lr_d)} / {len(lr_g)} values",
            "lists of equal length (the rule's grid shape is 'paired')",
        )
    pairs = zip(lr_d, lr_g) if shape == "paired" else itertools.product(lr_d, lr_g)
    names = sorted(method_cfg)
    out = []
    for ld, lg in pairs:
        for values in itertools.product(*(method_cfg[n] for n in names)):
            out.append(Setting(float(ld), float(lg), dict(zip(names, values))))
    return out
