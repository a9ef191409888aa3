"""What ``scripts/toy.py`` does once its arguments are parsed.

:func:`cli_toy` either runs every run of a config's ``toy:`` section into a directory
(the workflow's ``toy_games`` job: one process, one line per run on stdout with its time
and the equivalent single-run command) or runs one method on one game into one CSV.
Bad input prints one ``error:`` line on stderr and returns 2; a run that stops early
(non-finite iterate, no fixed point) prints a ``warning:`` line and keeps its NaN rows.
"""

from __future__ import annotations

import math
import shlex
import sys
import time
from pathlib import Path

from cggan.checks import check_lr
from cggan.runtime import set_threads
from cggan.toy.runner import Trajectory, run_toy, write_trajectory_csv
from cggan.toy.runs import read_toy_config, toy_runs

__all__ = ["cli_toy", "parse_init"]

_SINGLE_REQUIRED = ("game", "method", "steps", "out")
_MODES = "give --toy-config and --out-dir, or --game, --method, --steps and --out"


def parse_init(text: str) -> list[float]:
    """``"2,-4"`` -> ``[2.0, -4.0]``.

    Raises:
        ValueError: not comma-separated finite numbers.
    """
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(
            f"Invalid init: {text!r} (allowed: comma-separated numbers)"
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"Invalid init: {text!r} (allowed: finite numbers)")
    return values


def _warn_if_stopped(traj: Trajectory) -> None:
    if traj.stopped_at is not None:
        sys.stderr.write(
            f"warning: stopped at step {traj.stopped_at} ({traj.note}); "
            "later rows are NaN\n"
        )


def _run_configured(toy_config: str, out_dir: str) -> None:
    """Every run of the ``toy:`` section, each to ``<out_dir>/<game>/<run_id>.csv``."""
    runs = toy_runs(read_toy_config(toy_config))  # every run checked before the first
    set_threads(1)
    for run in runs:
        start = time.perf_counter()
        path = Path(out_dir) / run.relpath
        traj = run.run()
        write_trajectory_csv(path, traj)
        args = " ".join(shlex.quote(a) for a in run.cli_args(path))
        print(f"{time.perf_counter() - start:.3f}s  scripts/toy.py {args}", flush=True)
        _warn_if_stopped(traj)


def _run_one(options: dict) -> None:
    """One method on one game (the single-run options of ``scripts/toy.py``)."""
    lr = options.pop("lr")
    for key in ("lr_g", "lr_d"):
        options[key] = lr if options[key] is None else options[key]
    if options["lr_g"] is None or options["lr_d"] is None:
        raise ValueError("Invalid lr: missing (give --lr, or both --lr-g and --lr-d)")
    for key in ("lr_g", "lr_d"):
        check_lr(options[key], key)  # the command line is where this value enters
    if options["steps"] < 0:
        raise ValueError(f"Invalid steps: {options['steps']} (allowed: steps >= 0)")
    if options["init"] is not None:
        options["init"] = parse_init(options["init"])
    out = options.pop("out")
    set_threads(1)
    traj = run_toy(options.pop("game"), options.pop("method"), **options)
    write_trajectory_csv(out, traj)
    _warn_if_stopped(traj)


def _check_mode(toy_config: str | None, out_dir: str | None, single: dict) -> None:
    """Exactly one of the two modes, complete."""
    if toy_config is not None:
        given = [f"--{k.replace('_', '-')}" for k, v in single.items() if v is not None]
        if given or out_dir is None:
            what = ", ".join(given) if given else "--out-dir missing"
            raise ValueError(f"Invalid arguments: {what} ({_MODES})")
    elif out_dir is not None or None in [single[k] for k in _SINGLE_REQUIRED]:
        missing = [f"--{k}" for k in _SINGLE_REQUIRED if single[k] is None]
        what = ", ".join(missing) + " missing" if missing else "--out-dir"
        raise ValueError(f"Invalid arguments: {what} ({_MODES})")


def cli_toy(
    *,
    toy_config: str | None = None,
    out_dir: str | None = None,
    game: str | None = None,
    method: str | None = None,
    scheme: str | None = None,
    lr: float | None = None,
    lr_g: float | None = None,
    lr_d: float | None = None,
    gamma: float | None = None,
    dim: int | None = None,
    coupling: float | None = None,
    steps: int | None = None,
    init: str | None = None,
    out: str | None = None,
) -> int:
    """Run the configured toy study, or one run; the exit code (0, or 2: bad input).

    Args:
        toy_config, out_dir: a ``toy:`` section (JSON text or file) and where its CSVs
            go (:func:`cggan.toy.toy_runs`).
        game, method, scheme, lr, lr_g, lr_d, gamma, dim, coupling, steps, init, out:
            one run (:func:`cggan.toy.run_toy`); ``lr`` is both players' rate unless
            ``lr_g``/``lr_d`` are given, ``init`` is ``"v1,v2,..."``.
    """
    single = {
        "game": game,
        "method": method,
        "scheme": scheme,
        "lr": lr,
        "lr_g": lr_g,
        "lr_d": lr_d,
        "gamma": gamma,
        "dim": dim,
        "coupling": coupling,
        "steps": steps,
        "init": init,
        "out": out,
    }
    try:
        _check_mode(toy_config, out_dir, single)
        if toy_config is not None:
            _run_configured(toy_config, out_dir)
        else:
            _run_one(single)
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return 0
