"""The toy study from the config: which games, methods and step sizes run.

The ``toy:`` section of a study config lists, per game, its settings and groups of runs
(``workflow/schemas/config.schema.yaml``)::

    toy:
      enabled: true
      games:
        - game: bilinear              # one of cggan.toy.GAMES
          purpose: theory             # a row of the theory table (default: figure)
          dim: 2                      # size of θ and ω (bilinear, quadratic)
          coupling: 1.0               # C = coupling · I (bilinear, quadratic)
          steps: 100
          init: [1.0, 0.5, 0.25, -0.75]   # default: the game's own start
          runs:
            - {methods: [sgd], scheme: simultaneous, lr: theory}
            - {methods: [pm, co], lr: theory, gamma: 1.0}

Each method of a group is one run, ``<toy dir>/<game>/<run_id>.csv``: ``run_id`` is the
method, plus ``_<scheme>`` when the group overrides the method's update scheme.

- ``methods``: registry method names (the runs, and the figure's lines, in this order).
- ``lr``: both players' learning rate, or ``theory``: the step size of Liang & Stokes'
  theorem (AISTATS 2019) for the game and method at C = coupling · I_dim
  (:func:`cggan.games.theory.theory_step_size`).
- ``gamma``: γ of the methods that take one (pm, co); the other methods ignore it.

:data:`DEFAULT_TOY_GAMES` is the schema's default (a test keeps the two equal): every
registry method on the CG paper's game (Naganuma & Iiduka, AISTATS 2023) at one common
learning rate, and the theory runs on the bilinear and quadratic games.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cggan.checks import (
    check_choice,
    check_int_min,
    check_keys,
    check_positive,
    invalid,
    is_number,
)
from cggan.io import read_json_object
from cggan.registry import (
    BASELINE_METHODS,
    CG_RULES,
    CO,
    GAME_METHODS,
    IU,
    METHOD_HPARAMS,
    METHODS,
    OMD,
    PM,
    SGD,
    cg_method,
)
from cggan.toy.runner import GAMES, Trajectory, run_toy

__all__ = [
    "DEFAULT_TOY_GAMES",
    "ToyRun",
    "default_toy_runs",
    "read_toy_config",
    "toy_relpaths",
    "toy_runs",
]

PURPOSES = ("figure", "theory")
SCHEMES = ("simultaneous", "alternating")
_GAME_KEYS = ("game", "purpose", "dim", "coupling", "steps", "init", "runs")
_RUN_KEYS = ("methods", "lr", "gamma", "scheme")
_MATRIX_GAMES = ("bilinear", "quadratic")  # the games with dim and coupling
_THEORY_GAME = {"purpose": "theory", "dim": 2, "coupling": 1.0, "steps": 100,
                "init": [1.0, 0.5, 0.25, -0.75]}  # fmt: skip

#: Every registry method in the order of the toy figure's legend: the baselines, each
#: β rule's CG beside its released-code variant, the game optimizers.
_LEGEND_ORDER = [
    *BASELINE_METHODS,
    *(
        cg_method(rule, authors=authors)
        for rule in CG_RULES
        for authors in (False, True)
    ),
    *GAME_METHODS,
]
#: The toy study when a config names none (the schema's ``toy.games`` default): every
#: registry method on the CG paper's game, in the order of the figure's legend.
DEFAULT_TOY_GAMES: list[dict[str, Any]] = [
    # pm and co use γ = η (classical extragradient; γ = 1 overshoots by orders of
    # magnitude on this game, whose gradients are ~300).
    {"game": "cg_paper", "purpose": "figure", "steps": 400, "init": [2.0, -4.0],
     "runs": [{"methods": _LEGEND_ORDER, "lr": 0.001, "gamma": 0.001}]},
    # SGA (sgd, simultaneous) diverges at every η; omd, pm, co, iu at Theorems 3-6.
    {"game": "bilinear", **_THEORY_GAME, "runs": [
        {"methods": [SGD], "scheme": "simultaneous", "lr": "theory"},
        {"methods": [OMD], "lr": "theory"},
        {"methods": [PM, CO], "lr": "theory", "gamma": 1.0},
        {"methods": [IU], "lr": "theory"}]},
    # SGA at Theorem 1's η = √α/β.
    {"game": "quadratic", **_THEORY_GAME, "runs": [
        {"methods": [SGD], "scheme": "simultaneous", "lr": "theory"}]},
]  # fmt: skip


@dataclass(frozen=True)
class ToyRun:
    """One toy run of the workflow: ``results/toy/{game}/{run_id}.csv``.

    Attributes:
        game, method, lr_g, lr_d, steps, init, scheme, gamma, dim, coupling: the
            ``scripts/toy.py`` options (``init`` None: the game's own start).
        run_id: file stem (the method name, plus ``_<scheme>`` when the scheme is
            overridden).
        purpose: ``"figure"`` or ``"theory"`` (a row of the theory table).
    """

    game: str
    method: str
    lr_g: float
    lr_d: float
    steps: int
    init: tuple[float, ...] | None
    scheme: str | None = None
    gamma: float | None = None
    dim: int | None = None
    coupling: float | None = None
    purpose: str = "figure"
    run_id: str = field(default="")

    def __post_init__(self):
        if not self.run_id:
            object.__setattr__(self, "run_id", _run_id(self.method, self.scheme))

    @property
    def relpath(self) -> str:
        """Output path relative to the toy directory."""
        return f"{self.game}/{self.run_id}.csv"

    def cli_args(self, out: str | Path) -> list[str]:
        """The ``scripts/toy.py`` arguments that write this run to ``out``."""
        args = ["--game", self.game, "--method", self.method]
        if self.scheme is not None:
            args += ["--scheme", self.scheme]
        args += ["--lr-g", repr(self.lr_g), "--lr-d", repr(self.lr_d)]
        if self.gamma is not None:
            args += ["--gamma", repr(self.gamma)]
        if self.dim is not None:
            args += ["--dim", str(self.dim)]
        if self.coupling is not None:
            args += ["--coupling", repr(self.coupling)]
        args += ["--steps", str(self.steps)]
        if self.init is not None:
            # "=" form: argparse would read a leading "-" as an option.
            args.append("--init=" + ",".join(repr(float(v)) for v in self.init))
        return [*args, "--out", str(out)]

    def run(self) -> Trajectory:
        return run_toy(
            self.game,
            self.method,
            lr_g=self.lr_g,
            lr_d=self.lr_d,
            steps=self.steps,
            init=self.init,
            scheme=self.scheme,
            gamma=self.gamma,
            dim=self.dim,
            coupling=self.coupling,
        )


def _run_id(method: str, scheme: str | None) -> str:
    return method if scheme is None else f"{method}_{scheme}"


def _check_init(key: str, init: Any, dim: Any) -> None:
    size = 2 * (dim or 1)
    ok = isinstance(init, (list, tuple)) and len(init) == size
    if not ok or not all(is_number(v) and math.isfinite(v) for v in init):
        raise invalid(key, init, f"{size} finite numbers (θ..., ω...)")


def _check_game(key: str, entry: Any) -> None:
    if not isinstance(entry, Mapping):
        raise invalid(key, entry, "a mapping with game, steps and runs")
    check_keys(key, entry, _GAME_KEYS)
    for name in ("game", "steps", "runs"):
        if name not in entry:
            raise ValueError(f"Invalid {key}.{name}: missing")
    check_choice(f"{key}.game", entry["game"], GAMES)
    check_choice(f"{key}.purpose", entry.get("purpose", "figure"), PURPOSES)
    check_int_min(f"{key}.steps", entry["steps"], 0)
    for name in ("dim", "coupling"):
        if entry["game"] not in _MATRIX_GAMES and entry.get(name) is not None:
            raise invalid(f"{key}.{name}", entry[name], "only bilinear, quadratic")
    if entry.get("dim") is not None:
        check_int_min(f"{key}.dim", entry["dim"], 1)
    if entry.get("coupling") is not None:
        check_positive(f"{key}.coupling", entry["coupling"])
    if entry.get("init") is not None:
        _check_init(f"{key}.init", entry["init"], entry.get("dim"))
    if not isinstance(entry["runs"], list) or not entry["runs"]:
        raise invalid(f"{key}.runs", entry["runs"], "a non-empty list of run groups")


def _group_methods(key: str, group: Any) -> list[str]:
    """The methods of one run group, after checking the group."""
    if not isinstance(group, Mapping):
        raise invalid(key, group, "a mapping with methods and lr")
    check_keys(key, group, _RUN_KEYS)
    for name in ("methods", "lr"):
        if name not in group:
            raise ValueError(f"Invalid {key}.{name}: missing")
    if group["lr"] != "theory":
        check_positive(f"{key}.lr", group["lr"])
    if group.get("gamma") is not None:
        check_positive(f"{key}.gamma", group["gamma"])
    if group.get("scheme") is not None:
        check_choice(f"{key}.scheme", group["scheme"], SCHEMES)
    methods = group["methods"]
    if not isinstance(methods, list) or not methods:
        raise invalid(f"{key}.methods", methods, "a non-empty list of methods")
    for method in methods:
        check_choice(f"{key}.methods", method, METHODS)
    return list(methods)


def _expand(toy_config: Mapping[str, Any]) -> list[tuple[dict, dict, str]]:
    """``(game entry, run group, method)`` of every configured run, checked."""
    if not isinstance(toy_config, Mapping):
        raise invalid("toy", toy_config, "a mapping with enabled and games")
    check_keys("toy", toy_config, ("enabled", "games"))
    games = toy_config.get("games", DEFAULT_TOY_GAMES)
    if not isinstance(games, list) or not games:
        raise invalid("toy.games", games, "a non-empty list of games")
    expanded, seen = [], set()
    for i, entry in enumerate(games):
        _check_game(f"toy.games[{i}]", entry)
        for j, group in enumerate(entry["runs"]):
            for method in _group_methods(f"toy.games[{i}].runs[{j}]", group):
                relpath = f"{entry['game']}/{_run_id(method, group.get('scheme'))}.csv"
                if relpath in seen:
                    raise invalid("toy.games", relpath, "one run per output file")
                seen.add(relpath)
                expanded.append((entry, group, method))
    return expanded


def toy_relpaths(toy_config: Mapping[str, Any]) -> list[str]:
    """The output paths (relative to the toy directory) of the configured runs.

    Torch-free: the workflow plans with it.

    Raises:
        ValueError: an invalid ``toy:`` section (one line naming the key).
    """
    return [
        f"{entry['game']}/{_run_id(method, group.get('scheme'))}.csv"
        for entry, group, method in _expand(toy_config)
    ]


def _toy_run(entry: Mapping, group: Mapping, method: str) -> ToyRun:
    gamma = group.get("gamma") if "gamma" in METHOD_HPARAMS[method] else None
    dim, coupling = entry.get("dim"), entry.get("coupling")
    lr = group["lr"]
    if lr == "theory":
        import numpy as np

        from cggan.games.theory import theory_step_size

        C = (1.0 if coupling is None else coupling) * np.eye(dim or 1)
        lr = theory_step_size(entry["game"], method, C, gamma=gamma)
    init = entry.get("init")
    return ToyRun(
        entry["game"],
        method,
        float(lr),
        float(lr),
        int(entry["steps"]),
        None if init is None else tuple(float(v) for v in init),
        scheme=group.get("scheme"),
        gamma=None if gamma is None else float(gamma),
        dim=None if dim is None else int(dim),
        coupling=None if coupling is None else float(coupling),
        purpose=entry.get("purpose", "figure"),
    )


def toy_runs(toy_config: Mapping[str, Any]) -> list[ToyRun]:
    """Every run of a ``toy:`` section (without ``games``: :data:`DEFAULT_TOY_GAMES`).

    ``lr: theory`` is resolved here (this imports :mod:`cggan.games`, and torch).

    Raises:
        ValueError: an invalid section, or ``lr: theory`` where no theorem applies.
    """
    return [_toy_run(*spec) for spec in _expand(toy_config)]


def default_toy_runs() -> list[ToyRun]:
    """The runs of the default toy study (:data:`DEFAULT_TOY_GAMES`)."""
    return toy_runs({"games": DEFAULT_TOY_GAMES})


def read_toy_config(file_or_json: str) -> dict[str, Any]:
    """A ``toy:`` section from JSON text (``{...}``) or a JSON file's path.

    Raises:
        ValueError: an unreadable file, invalid JSON or not a JSON object (one line).
    """
    return read_json_object(file_or_json, "--toy-config")
