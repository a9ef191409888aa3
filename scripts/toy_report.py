"""Theory table and CG-paper figure from the toy trajectories.

Thin CLI over ``cggan.toy.report.cli_toy_report``. Reads
``<toy-dir>/<game>/<run_id>.csv`` of every run of the ``--toy-config`` section (default:
``cggan.toy.default_toy_runs()``) and writes:

- the table of predicted against measured per-step contraction rates of the runs whose
  purpose is theory (Liang & Stokes 2019: SGA's expansion, OMD/PM/CO/IU at the
  theorems' step sizes, SGA's Corollary-1 lower bound), as Markdown and CSV;
- the figure of the CG paper's toy game f(x, y) = (1 + x²)(100 − y²): objective,
  distance to the equilibrium and the x–y path, one line per cg_paper run.

Example:
    python scripts/toy_report.py --toy-dir results/toy \\
        --out-table results/tables/toy_theory.md \\
        --out-table-csv results/tables/toy_theory.csv \\
        --out-figure results/plots/toy_cg_paper.png
"""

from __future__ import annotations

import argparse
import sys


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line on stderr, exit code 2 (project convention)
        sys.stderr.write(f"error: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    add = parser.add_argument
    add("--toy-dir", required=True, help="directory of the toy CSVs")
    add("--toy-config", metavar="FILE_OR_JSON", help="a toy: section (or the default)")
    add("--out-table", required=True, help="Markdown table (CSV beside it, or:)")
    add("--out-table-csv", help="CSV table path (default: --out-table with .csv)")
    add("--out-figure", required=True, help="PNG figure path")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from cggan.toy.report import cli_toy_report  # imports numpy, torch

    return cli_toy_report(**vars(args))


if __name__ == "__main__":
    sys.exit(main())
