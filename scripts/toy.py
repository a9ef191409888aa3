#!/usr/bin/env python
"""Run one registry method on one toy game and write its trajectory as CSV.

One row per step from step 0: ``step``, ``theta_0…``, ``omega_0…``, ``dist`` (Euclidean
distance of (θ, ω) to the equilibrium), ``objective`` (U at the point).

Example:
    python scripts/toy.py --game cg_paper --method cg_fr --lr 1e-3 --steps 400 \\
        --init=2,-4 --out results/toy/cg_paper/cg_fr.csv
"""

from __future__ import annotations

import argparse
import math
import sys

# Both are torch-free: --help and argument errors stay cheap.
from cggan.registry import METHODS
from cggan.toy import GAMES


class _Parser(argparse.ArgumentParser):
    def error(
        self, message
    ):  # one line on stderr, exit code 2 (project CLI convention)
        sys.stderr.write(f"error: {message}\n")
        sys.exit(2)


def _parse_init(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(
            f"Invalid init: {text!r} (allowed: comma-separated numbers)"
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"Invalid init: {text!r} (allowed: finite numbers)")
    return values


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        description=__doc__.split("\n\n")[0],
        epilog="Negative --init values need the '=' form: --init=2,-4. Methods: "
        + ", ".join(METHODS)
        + ".",
    )
    parser.add_argument("--game", required=True, choices=GAMES)
    parser.add_argument("--method", required=True, help="registry method name")
    parser.add_argument(
        "--scheme",
        choices=("simultaneous", "alternating"),
        help="override the method's update scheme (default: the method's own)",
    )
    parser.add_argument("--lr", type=float, help="learning rate of both players")
    parser.add_argument(
        "--lr-g", type=float, help="G's (θ's) learning rate (overrides --lr)"
    )
    parser.add_argument(
        "--lr-d", type=float, help="D's (ω's) learning rate (overrides --lr)"
    )
    parser.add_argument(
        "--gamma", type=float, help="γ of pm (extrapolation) and co (consensus)"
    )
    parser.add_argument(
        "--dim", type=int, help="size of θ and ω (bilinear, quadratic; default 1)"
    )
    parser.add_argument(
        "--coupling",
        type=float,
        help="C = coupling * I (bilinear, quadratic; default 1)",
    )
    parser.add_argument("--steps", type=int, required=True, help="number of steps")
    parser.add_argument(
        "--init",
        help="initial point theta...,omega... "
        "(default: ones; cg_paper 2,-4; dirac 1,1)",
    )
    parser.add_argument("--out", required=True, help="output CSV path")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        lr_g = args.lr_g if args.lr_g is not None else args.lr
        lr_d = args.lr_d if args.lr_d is not None else args.lr
        if lr_g is None or lr_d is None:
            raise ValueError(
                "Invalid lr: missing (give --lr, or both --lr-g and --lr-d)"
            )
        if args.steps < 0:
            raise ValueError(f"Invalid steps: {args.steps} (allowed: steps >= 0)")
        init = None if args.init is None else _parse_init(args.init)

        from cggan.runtime import set_threads
        from cggan.toy import run_toy, write_trajectory_csv

        set_threads(1)
        traj = run_toy(
            args.game,
            args.method,
            lr_g=lr_g,
            lr_d=lr_d,
            steps=args.steps,
            init=init,
            scheme=args.scheme,
            gamma=args.gamma,
            dim=args.dim,
            coupling=args.coupling,
        )
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    write_trajectory_csv(args.out, traj)
    if traj.stopped_at is not None:
        sys.stderr.write(
            f"warning: stopped at step {traj.stopped_at} ({traj.note}); "
            "later rows are NaN\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
