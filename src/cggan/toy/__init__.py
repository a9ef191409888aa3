"""Toy games: one run of a method on a game, and the toy study of a config.

- :mod:`cggan.toy.runner`: games by name (:func:`build_game`), one run
  (:func:`run_toy`) and its trajectory as CSV (:func:`write_trajectory_csv`,
  :func:`read_trajectory_csv`).
- :mod:`cggan.toy.runs`: the runs of a config's ``toy:`` section (:func:`toy_runs`,
  :class:`ToyRun`; :func:`toy_relpaths` for planning) and the default study
  (:data:`DEFAULT_TOY_GAMES`, :func:`default_toy_runs`).
- :mod:`cggan.toy.cli`: ``scripts/toy.py`` (imports torch; not imported here).
- :mod:`cggan.toy.report`: the theory table and the CG-paper figure of the toy runs,
  ``scripts/toy_report.py`` (not imported here).

Importing this package does not import torch.
"""

from cggan.toy.runner import (
    GAMES,
    Trajectory,
    build_game,
    read_trajectory_csv,
    run_toy,
    write_trajectory_csv,
)
from cggan.toy.runs import (
    DEFAULT_TOY_GAMES,
    ToyRun,
    default_toy_runs,
    read_toy_config,
    toy_relpaths,
    toy_runs,
)

__all__ = [
    "DEFAULT_TOY_GAMES",
    "GAMES",
    "ToyRun",
    "Trajectory",
    "build_game",
    "default_toy_runs",
    "read_toy_config",
    "read_trajectory_csv",
    "run_toy",
    "toy_relpaths",
    "toy_runs",
    "write_trajectory_csv",
]
