"""Toy-game runner: games by name, trajectories as CSV, and the workflow's run list.

- :func:`run_toy` runs one registry method on one toy game and returns its trajectory;
  :func:`write_trajectory_csv` writes it (one row per step from step 0: ``step``,
  ``theta_*``, ``omega_*``, ``dist`` to the equilibrium, ``objective`` U).
- :func:`default_toy_runs` lists the runs the workflow makes (:class:`ToyRun`, each with
  its ``scripts/toy.py`` arguments and output path): every registry method on the CG
  paper's game (Naganuma & Iiduka, AISTATS 2023) with one common learning rate, plus
  the theory runs of Liang & Stokes (AISTATS 2019) on the bilinear and quadratic games
  at the theorems' step sizes (:mod:`cggan.games.theory`).

The theory table and the CG-paper figure are drawn by :mod:`cggan.results.toy_report`.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "GAMES",
    "ToyRun",
    "Trajectory",
    "build_game",
    "default_toy_runs",
    "read_trajectory_csv",
    "run_toy",
    "write_trajectory_csv",
]

GAMES = ("bilinear", "quadratic", "cg_paper", "dirac")

#: The common learning rate of every method on the CG paper's game (not tuned).
CG_PAPER_LR = 1e-3
CG_PAPER_STEPS = 400
THEORY_STEPS = 100
THEORY_DIM = 2
THEORY_COUPLING = 1.0
THEORY_INIT = (1.0, 0.5, 0.25, -0.75)


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
        method, toy.params_g, toy.params_d, lr_g=lr_g, lr_d=lr_d, scheme=scheme,
        **hparams,
    )  # fmt: skip
    p = sum(t.numel() for t in toy.params_g)
    q = sum(t.numel() for t in toy.params_d)
    out = Trajectory(
        np.full((int(steps) + 1, p), np.nan), np.full((int(steps) + 1, q), np.nan),
        np.full(int(steps) + 1, np.nan), np.full(int(steps) + 1, np.nan),
    )  # fmt: skip
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


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class ToyRun:
    """One toy run of the workflow: ``results/toy/{game}/{run_id}.csv``.

    Attributes:
        game, method, lr_g, lr_d, steps, init, scheme, gamma, dim, coupling: the
            ``scripts/toy.py`` options.
        run_id: file stem (the method name, plus ``_<scheme>`` when the scheme is
            overridden).
        purpose: ``"figure"`` (CG paper's game) or ``"theory"``.
    """

    game: str
    method: str
    lr_g: float
    lr_d: float
    steps: int
    init: tuple[float, ...]
    scheme: str | None = None
    gamma: float | None = None
    dim: int | None = None
    coupling: float | None = None
    purpose: str = "figure"
    run_id: str = field(default="")

    def __post_init__(self):
        if not self.run_id:
            rid = self.method if self.scheme is None else f"{self.method}_{self.scheme}"
            object.__setattr__(self, "run_id", rid)

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
        args += [
            "--steps",
            str(self.steps),
            # "=" form: argparse would read a leading "-" as an option.
            "--init=" + ",".join(repr(float(v)) for v in self.init),
            "--out",
            str(out),
        ]
        return args

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


def default_toy_runs() -> list[ToyRun]:
    """Every toy run the workflow makes.

    - ``cg_paper``: every registry method from (2, −4), 400 steps, one common learning
      rate :data:`CG_PAPER_LR` for both players; pm and co use γ = η (classical
      extragradient; γ = 1 overshoots by orders of magnitude on this game, whose
      gradients are ~300).
    - ``bilinear`` (C = I₂): SGA (sgd, simultaneous) at η = 0.1, and omd, pm, co, iu at
      the step sizes of Liang & Stokes' Theorems 3–6 (γ = 1).
    - ``quadratic`` (C = I₂): SGA at Theorem 1's η = √α/β.
    """
    from cggan.games.theory import theory_step_size
    from cggan.methods import METHODS

    runs = [
        ToyRun(
            "cg_paper",
            name,
            CG_PAPER_LR,
            CG_PAPER_LR,
            CG_PAPER_STEPS,
            (2.0, -4.0),
            gamma=CG_PAPER_LR if METHODS[name].scheme_defaults.get("gamma") else None,
        )
        for name in METHODS
    ]
    c = THEORY_COUPLING * np.eye(THEORY_DIM)
    common = dict(
        steps=THEORY_STEPS,
        init=THEORY_INIT,
        dim=THEORY_DIM,
        coupling=THEORY_COUPLING,
        purpose="theory",
    )
    for game, method, scheme, gamma in (
        ("bilinear", "sgd", "simultaneous", None),
        ("bilinear", "omd", None, None),
        ("bilinear", "pm", None, 1.0),
        ("bilinear", "co", None, 1.0),
        ("bilinear", "iu", None, None),
        ("quadratic", "sgd", "simultaneous", None),
    ):
        lr = theory_step_size(game, method, c, gamma=gamma)
        runs.append(ToyRun(game, method, lr, lr, scheme=scheme, gamma=gamma, **common))
    return runs
