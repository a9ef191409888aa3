"""Toy games by name, one run of a method on a game, and trajectories as CSV.

- :func:`build_game` builds a game of :mod:`cggan.games.toys` by name.
- :func:`run_toy` runs one registry method on one toy game and returns its trajectory;
  :func:`write_trajectory_csv` writes it (one row per step from step 0: ``step``,
  ``theta_*``, ``omega_*``, ``dist`` to the equilibrium, ``objective`` U) and
  :func:`read_trajectory_csv` reads it back.

Torch is imported only when a game is built.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "GAMES",
    "Trajectory",
    "build_game",
    "read_trajectory_csv",
    "run_toy",
    "write_trajectory_csv",
]

GAMES = ("bilinear", "quadratic", "cg_paper", "dirac")


def build_game(
    name: str,
    *,
    dim: int | None = None,
    coupling: float | None = None,
    init: Sequence[float] | None = None,
):
    """Build a toy game by name at the initial point ``init = (θ..., ω...)``.

    Args:
        name: one of :data:`GAMES`.
        dim: size of θ and ω (bilinear, quadratic; default 1).
        coupling: C = coupling · I (bilinear, quadratic; default 1).
        init: the initial point; default ones (bilinear, quadratic), (2, −4) (cg_paper),
            (1, 1) (dirac).

    Raises:
        ValueError: unknown game, option not used by the game, wrong ``init`` length.
    """
    from cggan.games import BilinearGame, CGPaperGame, DiracGAN, QuadraticGame

    if name not in GAMES:
        raise ValueError(f"Invalid game: {name!r} (allowed: {', '.join(GAMES)})")
    if name in ("bilinear", "quadratic"):
        dim = 1 if dim is None else dim
        if isinstance(dim, bool) or int(dim) != dim or dim < 1:
            raise ValueError(f"Invalid dim: {dim} (allowed: integer >= 1)")
        dim = int(dim)
        coupling = 1.0 if coupling is None else coupling
        init = [1.0] * (2 * dim) if init is None else list(init)
        if len(init) != 2 * dim:
            raise ValueError(
                f"Invalid init: {len(init)} values (expected 2 * dim = {2 * dim})"
            )
        cls = BilinearGame if name == "bilinear" else QuadraticGame
        return cls(dim=dim, coupling=coupling, theta=init[:dim], omega=init[dim:])
    if dim not in (None, 1):
        raise ValueError(f"Invalid dim: {dim} (game {name} is 1-D: allowed 1)")
    if coupling is not None:
        raise ValueError(f"Invalid coupling: {coupling} (game {name} has no coupling)")
    if init is not None and len(init) != 2:
        raise ValueError(f"Invalid init: {len(init)} values (expected 2)")
    if name == "cg_paper":
        return CGPaperGame(*init) if init is not None else CGPaperGame()
    return DiracGAN(*init) if init is not None else DiracGAN()


@dataclass
class Trajectory:
    """A toy run's trajectory: ``theta``/``omega`` are (steps+1)×p / ×q arrays."""

    theta: np.ndarray
    omega: np.ndarray
    dist: np.ndarray
    objective: np.ndarray
    stopped_at: int | None = (
        None  # first step that could not be taken (non-finite, no fixed point)
    )
    note: str = ""

    @property
    def steps(self) -> int:
        return len(self.dist) - 1


def run_toy(
    game: str,
    method: str,
    *,
    lr_g: float,
    lr_d: float,
    steps: int,
    init: Sequence[float] | None = None,
    scheme: str | None = None,
    gamma: float | None = None,
    dim: int | None = None,
    coupling: float | None = None,
) -> Trajectory:
    """Run ``method`` on ``game`` for ``steps`` steps (float64, deterministic).

    Once the iterate is no longer finite, or an implicit step finds no fixed point, the
    run stops and the remaining rows are NaN (``stopped_at`` says where).

    Raises:
        ValueError: bad game/method/scheme/hyperparameter/learning rate/steps/init.
    """
    from cggan.methods import build_method

    if isinstance(steps, bool) or int(steps) != steps or steps < 0:
        raise ValueError(f"Invalid steps: {steps} (allowed: integer >= 0)")
    toy = build_game(game, dim=dim, coupling=coupling, init=init)
    hparams = {} if gamma is None else {"gamma": gamma}
    built = build_method(
        method,
        toy.params_g,
        toy.params_d,
        lr_g=lr_g,
        lr_d=lr_d,
        scheme=scheme,
        **hparams,
    )
    p = sum(t.numel() for t in toy.params_g)
    q = sum(t.numel() for t in toy.params_d)
    out = Trajectory(
        np.full((int(steps) + 1, p), np.nan),
        np.full((int(steps) + 1, q), np.nan),
        np.full(int(steps) + 1, np.nan),
        np.full(int(steps) + 1, np.nan),
    )
    finite = _record(out, toy, 0)
    for t in range(1, int(steps) + 1):
        if not finite:
            out.stopped_at, out.note = t, "non-finite iterate"
            break
        try:
            built.step(toy)
        except RuntimeError as exc:  # implicit step without a fixed point
            out.stopped_at, out.note = t, str(exc)
            break
        finite = _record(out, toy, t)
    return out


def _record(out: Trajectory, toy, t: int) -> bool:
    """Store the game's point at step ``t``; False once it is no longer finite."""
    import torch

    z = toy.point().numpy()
    p = out.theta.shape[1]
    out.theta[t], out.omega[t] = z[:p], z[p:]
    out.dist[t] = toy.distance()
    with torch.no_grad():
        out.objective[t] = float(toy.objective())
    return bool(np.isfinite(z).all())


def _columns(traj: Trajectory) -> list[str]:
    return (
        ["step"]
        + [f"theta_{i}" for i in range(traj.theta.shape[1])]
        + [f"omega_{i}" for i in range(traj.omega.shape[1])]
        + ["dist", "objective"]
    )


def write_trajectory_csv(path: str | Path, traj: Trajectory) -> None:
    """Write ``traj`` atomically as CSV (full float64 precision)."""
    from cggan.io import atomic_open

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "w") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(_columns(traj))
        for t in range(traj.steps + 1):
            values = [*traj.theta[t], *traj.omega[t], traj.dist[t], traj.objective[t]]
            writer.writerow([t] + [repr(float(v)) for v in values])


def read_trajectory_csv(path: str | Path) -> Trajectory:
    """Read a CSV written by :func:`write_trajectory_csv`."""
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        data = np.array([[float(v) for v in row] for row in reader], dtype=np.float64)
    data = data.reshape(-1, len(header))
    col = {name: i for i, name in enumerate(header)}
    th = [col[h] for h in header if h.startswith("theta_")]
    om = [col[h] for h in header if h.startswith("omega_")]
    return Trajectory(
        data[:, th], data[:, om], data[:, col["dist"]], data[:, col["objective"]]
    )
