"""The toy games' report: the theory-check table and the CG paper's toy figure.

- :func:`theory_rows` / :func:`write_theory_table` compare the per-step contraction
  rates that Liang & Stokes' theorems (AISTATS 2019; :mod:`cggan.games.theory`) predict
  with the rates measured on the trajectories of :func:`cggan.toy.default_toy_runs`.
- :func:`plot_cg_paper` draws objective, distance and the x–y path of every method on
  the toy game ``f(x, y) = (1 + x²)(100 − y²)`` of Naganuma & Iiduka (AISTATS 2023).
- :func:`build_report` writes both for the runs of a config's ``toy:`` section
  (:func:`cggan.toy.toy_runs`); :func:`cli_toy_report` is ``scripts/toy_report.py``.
"""

from __future__ import annotations

import csv
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cggan.games.theory import (
    measured_rate,
    one_step_operator,
    spectrum,
    theory_bounds,
)
from cggan.io import atomic_open, atomic_write_text
from cggan.toy.runner import Trajectory, read_trajectory_csv
from cggan.toy.runs import ToyRun, default_toy_runs, read_toy_config, toy_runs

__all__ = [
    "build_report",
    "cli_toy_report",
    "plot_cg_paper",
    "theory_rows",
    "write_theory_table",
]

_TOLERANCE = 1e-9  # relative slack of a bound: float64 rounding over 100 steps


def _theory_row(run: ToyRun, traj: Trajectory) -> dict[str, Any]:
    C = (run.coupling if run.coupling is not None else 1.0) * np.eye(run.dim or 1)
    args = (run.game, run.method, C, run.lr_g, run.gamma)
    lower, upper, statement = theory_bounds(*args)
    operator = one_step_operator(*args)
    measured = measured_rate(traj.dist)
    holds = (lower is None or measured >= lower * (1 - _TOLERANCE)) and (
        upper is None or measured <= upper * (1 + _TOLERANCE)
    )
    lam_min, lam_max = spectrum(C)
    return {
        "game": run.game,
        "method": run.run_id,
        "lr": run.lr_g,
        "gamma": run.gamma,
        "sigma_min": math.sqrt(lam_min),
        "sigma_max": math.sqrt(lam_max),
        "steps": traj.steps,
        "theory": statement,
        "lower_bound": lower,
        "upper_bound": upper,
        "operator_rate": float(np.abs(np.linalg.eigvals(operator)).max()),
        "measured_rate": measured,
        "holds": bool(holds),
    }


def theory_rows(
    toy_dir: str | os.PathLike, runs: Sequence[ToyRun] | None = None
) -> list[dict[str, Any]]:
    """Predicted against measured per-step rates for the theory runs in ``toy_dir``."""
    runs = default_toy_runs() if runs is None else runs
    return [
        _theory_row(run, read_trajectory_csv(Path(toy_dir) / run.relpath))
        for run in runs
        if run.purpose == "theory"
    ]


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_theory_table(
    rows: Sequence[dict[str, Any]],
    md_path: str | os.PathLike,
    csv_path: str | os.PathLike,
) -> None:
    """Write the theory table as Markdown and CSV (atomically)."""
    keys = list(rows[0]) if rows else ["game", "method"]
    with atomic_open(csv_path, "w") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(keys)
        for row in rows:
            writer.writerow(["" if row[k] is None else row[k] for k in keys])
    lines = [
        (
            "Per-step contraction rate of ‖z_t − z*‖: theory (Liang & Stokes 2019) "
            "against the measured geometric mean of successive distance ratios. "
            "operator_rate = spectral radius of the exact one-step map."
        ),
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ]
    lines += ["| " + " | ".join(_fmt(row[k]) for k in keys) + " |" for row in rows]
    atomic_write_text(md_path, "\n".join(lines) + "\n")


def _label_axes(axes) -> None:
    axes[0].axhline(100.0, color="k", lw=0.6, ls=":")
    axes[0].set(xlabel="step", ylabel="f(x, y)", title="objective (saddle value 100)")
    axes[1].set(
        xlabel="step", ylabel="‖(x, y) − (0, 0)‖", title="distance to the equilibrium"
    )
    axes[1].set_yscale("log")
    axes[2].plot([0.0], [0.0], "k*", ms=12, label="equilibrium (0, 0)")
    axes[2].plot([2.0], [-4.0], "ko", ms=6, label="start (2, −4)")
    axes[2].set(xlabel="x (minimizes)", ylabel="y (maximizes)", title="path")


def plot_cg_paper(trajectories: dict[str, Trajectory], out: str | os.PathLike) -> None:
    """Objective, distance to (0, 0) and the x–y path of each method on ``f(x, y)``."""
    import matplotlib

    matplotlib.use("Agg")  # headless: the workflow and CI have no display
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(17, 5.2))
    cmap = plt.get_cmap("tab20")
    styles = ["-", "--", ":", "-."]
    for i, (name, traj) in enumerate(trajectories.items()):
        kw = {
            "color": cmap(i % 20),
            "linestyle": styles[(i // 20) % len(styles)],
            "lw": 1.2,
            "label": name,
        }
        steps = np.arange(traj.steps + 1)
        axes[0].plot(steps, traj.objective, **kw)
        axes[1].plot(steps, traj.dist, **kw)
        axes[2].plot(traj.theta[:, 0], traj.omega[:, 0], **kw)
    _label_axes(axes)
    handles, labels = axes[2].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=7, ncol=1, frameon=False)
    fig.suptitle(
        "f(x, y) = (1 + x²)(100 − y²): every method at one common learning rate"
    )
    fig.tight_layout(rect=(0, 0, 0.86, 0.95))
    with atomic_open(out, "wb") as fh:
        fig.savefig(fh, format="png", dpi=120)
    plt.close(fig)


def build_report(
    toy_dir: str | os.PathLike,
    *,
    out_table_md: str | os.PathLike,
    out_table_csv: str | os.PathLike,
    out_figure: str | os.PathLike,
    runs: Sequence[ToyRun] | None = None,
) -> list[dict[str, Any]]:
    """Write the theory table and the CG-paper figure from the CSVs in ``toy_dir``.

    Args:
        toy_dir: ``results/toy``, holding ``<game>/<run_id>.csv`` of every run.
        out_table_md, out_table_csv, out_figure: the outputs.
        runs: the toy runs (:func:`cggan.toy.toy_runs`; default:
            :func:`cggan.toy.default_toy_runs`).

    Returns:
        The theory table's rows.

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


def _table_paths(
    out_table: str | os.PathLike, out_table_csv: str | os.PathLike | None
) -> tuple[Path, Path]:
    """``(md, csv)``: the CSV defaults to the Markdown path with suffix ``.csv``."""
    md = Path(out_table)
    if md.suffix == ".csv":
        md = md.with_suffix(".md")
    csv_path = Path(out_table_csv) if out_table_csv else md.with_suffix(".csv")
    if md.suffix != ".md":
        md = md.with_suffix(".md")
    return md, csv_path


def cli_toy_report(
    *,
    toy_dir: str | os.PathLike,
    out_table: str | os.PathLike,
    out_figure: str | os.PathLike,
    out_table_csv: str | os.PathLike | None = None,
    toy_config: str | None = None,
) -> int:
    """:func:`build_report` as a command: the exit code (0, or 2 with one error line).

    Args:
        toy_dir, out_figure: as in :func:`build_report`.
        out_table, out_table_csv: the Markdown and CSV tables (default CSV path: the
            Markdown path with suffix ``.csv``).
        toy_config: a ``toy:`` section as JSON text or file (default: the default toy
            study, :func:`cggan.toy.default_toy_runs`).

    A violated theory bound is a ``warning:`` line on stderr, not an error.
    """
    md, csv_path = _table_paths(out_table, out_table_csv)
    try:
        runs = None
        if toy_config is not None:
            runs = toy_runs(read_toy_config(toy_config))
        rows = build_report(
            toy_dir,
            out_table_md=md,
            out_table_csv=csv_path,
            out_figure=out_figure,
            runs=runs,
        )
    except (ValueError, FileNotFoundError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    failed = [f"{r['game']}/{r['method']}" for r in rows if not r["holds"]]
    if failed:
        sys.stderr.write(f"warning: theory bound violated for {', '.join(failed)}\n")
    return 0
