"""Run toy-game trajectories and write them as CSV (cggan.toy.cli.cli_toy).

Every run of a config's toy: section (the toy_games job), or one method on one game:
a CSV row per step from 0 (step, theta_0..., omega_0..., dist to the equilibrium, U).

Examples:
    python scripts/toy.py --toy-config '{"games": [...]}' --out-dir results/toy
    python scripts/toy.py --game cg_paper --method cg_fr --lr 1e-3 --steps 400 \\
        --init=2,-4 --out results/toy/cg_paper/cg_fr.csv
"""

from __future__ import annotations

import argparse
import sys

from cggan.registry import METHODS  # torch-free: --help and argument errors stay cheap
from cggan.toy import GAMES


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line on stderr, exit code 2 (project convention)
        sys.stderr.write(f"error: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        description=__doc__.split("\n\n")[0],
        epilog="Negative --init values "
        f"need the '=' form: --init=2,-4. Methods: {', '.join(METHODS)}.",
    )
    add = p.add_argument
    add("--toy-config", metavar="FILE_OR_JSON", help="a toy: section: run all its runs")
    add("--out-dir", help="where <game>/<run_id>.csv go (with --toy-config)")
    add("--game", choices=GAMES, help="one run: the game")
    add("--method", help="one run: the registry method name")
    schemes = ("simultaneous", "alternating")
    add("--scheme", choices=schemes, help="override the method's update scheme")
    add("--lr", type=float, help="learning rate of both players")
    add("--lr-g", type=float, help="G's (θ's) learning rate (overrides --lr)")
    add("--lr-d", type=float, help="D's (ω's) learning rate (overrides --lr)")
    add("--gamma", type=float, help="γ of pm (extrapolation) and co (consensus)")
    add("--dim", type=int, help="size of θ and ω (bilinear, quadratic; default 1)")
    add("--coupling", type=float, help="C = coupling * I (bilinear, quadratic)")
    add("--steps", type=int, help="number of steps")
    add("--init", help="initial point theta...,omega... (default: the game's own)")
    add("--out", help="output CSV path (one run)")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from cggan.toy.cli import cli_toy  # imports torch

    return cli_toy(**vars(args))


if __name__ == "__main__":
    sys.exit(main())
