"""Toy-game runner: trajectories, the theory table and the CG paper's toy figure.

- :func:`run_toy` runs one registry method on one toy game and returns its trajectory;
  :func:`write_trajectory_csv` writes it (one row per step from step 0: ``step``,
  ``theta_*``, ``omega_*``, ``dist`` to the equilibrium, ``objective`` U).
- :func:`default_toy_runs` lists the runs the workflow makes (:class:`ToyRun`, each with its
  ``scripts/toy.py`` arguments and output path): every registry method on the CG paper's game
  with one common learning rate, plus the theory runs of Liang & Stokes (2019) on the
  bilinear and quadratic games at the theorems' step sizes.
- :func:`theory_rows` / :func:`write_theory_table` compare the per-step contraction
  rates the theorems predict with the measured ones; :func:`plot_cg_paper` draws objective,
  distance and the x–y path per method.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "GAMES",
    "ToyRun",
    "build_game",
    "run_toy",
    "write_trajectory_csv",
    "read_trajectory_csv",
    "default_toy_runs",
    "measured_rate",
    "one_step_operator",
    "theory_step_size",
    "theory_bounds",
    "theory_rows",
    "write_theory_table",
    "plot_cg_paper",
    "build_report",
]

GAMES = ("bilinear", "quadratic", "cg_paper", "dirac")

#: The common learning rate of every method on the CG paper's game (not tuned per method).
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
    import torch

    from cggan.methods import build_method

    if isinstance(steps, bool) or int(steps) != steps or steps < 0:
        raise ValueError(f"Invalid steps: {steps} (allowed: integer >= 0)")
    steps = int(steps)
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
    theta = np.full((steps + 1, p), np.nan)
    omega = np.full((steps + 1, q), np.nan)
    dist = np.full(steps + 1, np.nan)
    objective = np.full(steps + 1, np.nan)
    out = Trajectory(theta, omega, dist, objective)

    def record(t: int) -> bool:
        z = toy.point().numpy()
        theta[t], omega[t] = z[:p], z[p:]
        dist[t] = toy.distance()
        with torch.no_grad():
            objective[t] = float(toy.objective())
        return bool(np.isfinite(z).all())

    finite = record(0)
    for t in range(1, steps + 1):
        if not finite:
            out.stopped_at, out.note = t, "non-finite iterate"
            break
        try:
            built.step(toy)
        except RuntimeError as exc:  # implicit step without a fixed point
            out.stopped_at, out.note = t, str(exc)
            break
        finite = record(t)
    return out


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

    - ``cg_paper``: every registry method from (2, −4), 400 steps, one common learning rate
      :data:`CG_PAPER_LR` for both players; pm and co use γ = η (classical extragradient;
      γ = 1 overshoots by orders of magnitude on this game, whose gradients are ~300).
    - ``bilinear`` (C = I₂): SGA (sgd, simultaneous) at η = 0.1, and omd, pm, co, iu at the
      step sizes of Liang & Stokes' Theorems 3–6 (γ = 1).
    - ``quadratic`` (C = I₂): SGA at Theorem 1's η = √α/β.
    """
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


# --------------------------------------------------------------------------- theory

_SGA_BILINEAR_LR = 0.1  # any η > 0 diverges; a moderate value keeps 100 steps readable


def _spectrum(C) -> tuple[float, float]:
    s = np.linalg.svd(np.asarray(C, dtype=np.float64), compute_uv=False)
    return float(s.min() ** 2), float(s.max() ** 2)


def theory_step_size(game: str, method: str, C, *, gamma: float | None = None) -> float:
    """The step size of Liang & Stokes' theorem for ``method`` on ``game`` (p = q).

    bilinear: omd ``1/(2√(2λ_max))`` (Thm 3); pm, co ``γλ_min/(λ_max + γ²λ_max²)`` (Thms 4,
    6); iu ``1/√λ_max`` (Thm 5); sgd: 0.1 (diverges for every η). quadratic: sgd
    ``√α/β = 1/(1 + λ_max)`` (Thm 1 with A = B = I). λ are eigenvalues of ``CCᵀ``.
    """
    lam_min, lam_max = _spectrum(C)
    if game == "bilinear":
        if method == "sgd":
            return _SGA_BILINEAR_LR
        if method == "omd":
            return 1.0 / (2.0 * math.sqrt(2.0 * lam_max))
        if method in ("pm", "co"):
            if gamma is None:
                raise ValueError("Invalid gamma: None (pm and co need gamma > 0)")
            return gamma * lam_min / (lam_max + gamma**2 * lam_max**2)
        if method == "iu":
            return 1.0 / math.sqrt(lam_max)
    if game == "quadratic" and method == "sgd":
        return 1.0 / (1.0 + lam_max)
    raise ValueError(f"Invalid theory run: {game}/{method} (no theorem for it)")


def one_step_operator(game: str, method: str, C, lr: float, gamma: float | None = None):
    """The linear map of one step (SGD player optimizer, same η for both players).

    For omd this is the companion matrix of ``z_{t+1} = (I − 2ηM) z_t + ηM z_{t−1}`` acting
    on ``(z_t, z_{t−1})``. Its spectral radius is the asymptotic per-step rate.
    """
    C = np.asarray(C, dtype=np.float64)
    p, q = C.shape
    diag = np.eye(p + q) if game == "quadratic" else np.zeros((p + q, p + q))
    M = diag + np.block([[np.zeros((p, p)), C], [-C.T, np.zeros((q, q))]])
    eye = np.eye(p + q)
    if method == "sgd":
        return eye - lr * M
    if method == "omd":
        return np.block([[eye - 2 * lr * M, lr * M], [eye, np.zeros_like(eye)]])
    if method == "pm":
        return eye - lr * M @ (eye - gamma * M)
    if method == "co":
        # v + γ J^T v with J = M for an affine field.
        return eye - lr * (M + gamma * M.T @ M)
    if method == "iu":
        return np.linalg.inv(eye + lr * M)
    raise ValueError(
        f"Invalid method for the operator: {method!r} (allowed: sgd, omd, pm, co, iu)"
    )


def theory_bounds(game: str, method: str, C, lr: float, gamma: float | None = None):
    """``(lower, upper, statement)``: the theorems' bounds on the per-step rate.

    ``lower``/``upper`` are None where the theory gives none. Rates are per step on the
    joint norm ``‖z_t − z*‖``; OMD's is the rate of its envelope
    ``4√2 r exp(−t λ_min/(16 λ_max))``.
    """
    lam_min, lam_max = _spectrum(C)
    kappa = lam_max / lam_min
    if game == "bilinear" and method == "sgd":
        return (
            math.sqrt(1 + lr**2 * lam_min),
            None,
            "SGA: ‖z'‖² = ‖z‖² + η²(‖Cω‖²+‖Cᵀθ‖²)",
        )
    if game == "bilinear" and method == "omd":
        return (
            None,
            math.exp(-lam_min / (16 * lam_max)),
            "Thm 3: envelope exp(−λmin/(16λmax))",
        )
    if game == "bilinear" and method in ("pm", "co"):
        bound = math.sqrt(1 - gamma**2 * lam_min**2 / (gamma**2 * lam_max**2 + lam_max))
        return (
            None,
            bound,
            f"Thm {4 if method == 'pm' else 6}: √(1−γ²λmin²/(γ²λmax²+λmax))",
        )
    if game == "bilinear" and method == "iu":
        return None, 1 - (1 - 1 / math.sqrt(2)) / kappa, "Thm 5: 1 − (1 − 1/√2)/κ"
    if game == "quadratic" and method == "sgd":
        return (
            math.sqrt(lam_min / (1 + lam_min)),
            math.sqrt(
                lam_max / (1 + lam_max)
            ),  # Thm 1: √(1 − α/β), α = 1, β = 1 + λmax
            "Cor 1: ≥ √(λmin/(1+λmin)); Thm 1: ≤ √(1−α/β)",
        )
    raise ValueError(f"Invalid theory run: {game}/{method} (no theorem for it)")


def measured_rate(dist: np.ndarray) -> float:
    """Geometric mean of ``dist[t+1]/dist[t]`` over the finite, positive prefix."""
    dist = np.asarray(dist, dtype=np.float64)
    ok = np.isfinite(dist) & (dist > 0)
    last = len(dist) if ok.all() else int(np.argmin(ok))
    if last < 2:
        return float("nan")
    return float((dist[last - 1] / dist[0]) ** (1.0 / (last - 1)))


def theory_rows(
    toy_dir: str | Path, runs: Sequence[ToyRun] | None = None
) -> list[dict[str, Any]]:
    """Predicted against measured per-step rates for the theory runs in ``toy_dir``."""
    runs = default_toy_runs() if runs is None else runs
    rows = []
    for run in runs:
        if run.purpose != "theory":
            continue
        traj = read_trajectory_csv(Path(toy_dir) / run.relpath)
        C = (run.coupling if run.coupling is not None else 1.0) * np.eye(run.dim or 1)
        lower, upper, statement = theory_bounds(
            run.game, run.method, C, run.lr_g, run.gamma
        )
        operator = one_step_operator(run.game, run.method, C, run.lr_g, run.gamma)
        exact = float(np.abs(np.linalg.eigvals(operator)).max())
        measured = measured_rate(traj.dist)
        tol = 1e-9
        holds = (lower is None or measured >= lower * (1 - tol)) and (
            upper is None or measured <= upper * (1 + tol)
        )
        rows.append(
            {
                "game": run.game,
                "method": run.run_id,
                "lr": run.lr_g,
                "gamma": run.gamma,
                "sigma_min": math.sqrt(_spectrum(C)[0]),
                "sigma_max": math.sqrt(_spectrum(C)[1]),
                "steps": traj.steps,
                "theory": statement,
                "lower_bound": lower,
                "upper_bound": upper,
                "operator_rate": exact,
                "measured_rate": measured,
                "holds": bool(holds),
            }
        )
    return rows


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_theory_table(
    rows: Sequence[dict[str, Any]], md_path: str | Path, csv_path: str | Path
) -> None:
    """Write the theory table as Markdown and CSV (atomically)."""
    from cggan.io import atomic_open, atomic_write_text

    keys = list(rows[0]) if rows else ["game", "method"]
    for path in (md_path, csv_path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(csv_path, "w") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(keys)
        for row in rows:
            writer.writerow(["" if row[k] is None else row[k] for k in keys])
    lines = [
        "Per-step contraction rate of ‖z_t − z*‖: theory (Liang & Stokes 2019) against the "
        "measured geometric mean of successive distance ratios. operator_rate = spectral "
        "radius of the exact one-step map.",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ]
    lines += ["| " + " | ".join(_fmt(row[k]) for k in keys) + " |" for row in rows]
    atomic_write_text(md_path, "\n".join(lines) + "\n")


def plot_cg_paper(trajectories: dict[str, Trajectory], out: str | Path) -> None:
    """Objective, distance to (0, 0) and the x–y path of each method on ``f(x, y)``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cggan.io import atomic_open

    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2))
    cmap = plt.get_cmap("tab20")
    styles = ["-", "--", ":", "-."]
    for i, (name, traj) in enumerate(trajectories.items()):
        kw = dict(
            color=cmap(i % 20),
            linestyle=styles[(i // 20) % len(styles)],
            lw=1.2,
            label=name,
        )
        steps = np.arange(traj.steps + 1)
        axes[0].plot(steps, traj.objective, **kw)
        axes[1].plot(steps, traj.dist, **kw)
        axes[2].plot(traj.theta[:, 0], traj.omega[:, 0], **kw)
    axes[0].axhline(100.0, color="k", lw=0.6, ls=":")
    axes[0].set(xlabel="step", ylabel="f(x, y)", title="objective (saddle value 100)")
    axes[1].set(
        xlabel="step", ylabel="‖(x, y) − (0, 0)‖", title="distance to the equilibrium"
    )
    axes[1].set_yscale("log")
    axes[2].plot([0.0], [0.0], "k*", ms=12, label="equilibrium (0, 0)")
    axes[2].plot([2.0], [-4.0], "ko", ms=6, label="start (2, −4)")
    axes[2].set(xlabel="x (minimizes)", ylabel="y (maximizes)", title="path")
    handles, labels = axes[2].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=7, ncol=1, frameon=False)
    fig.suptitle(
        "f(x, y) = (1 + x²)(100 − y²): every method at one common learning rate"
    )
    fig.tight_layout(rect=(0, 0, 0.86, 0.95))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(out, "wb") as fh:
        fig.savefig(fh, format="png", dpi=120)
    plt.close(fig)


def build_report(
    toy_dir: str | Path,
    *,
    out_table_md: str | Path,
    out_table_csv: str | Path,
    out_figure: str | Path,
    runs: Sequence[ToyRun] | None = None,
) -> list[dict[str, Any]]:
    """Write the theory table and the CG-paper figure from the CSVs in ``toy_dir``.

    Raises:
        FileNotFoundError: a run's CSV is missing.
    """
    runs = default_toy_runs() if runs is None else list(runs)
    missing = [r.relpath for r in runs if not (Path(toy_dir) / r.relpath).is_file()]
    if missing:
        raise FileNotFoundError(
            f"missing toy trajectories in {toy_dir}: {', '.join(missing)}"
        )
    rows = theory_rows(toy_dir, runs)
    write_theory_table(rows, out_table_md, out_table_csv)
    figure_runs = {
        r.run_id: read_trajectory_csv(Path(toy_dir) / r.relpath)
        for r in runs
        if r.game == "cg_paper"
    }
    plot_cg_paper(figure_runs, out_figure)
    return rows
