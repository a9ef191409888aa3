#!/usr/bin/env python
"""Theory table and CG-paper figure from the toy trajectories.

Reads ``<toy-dir>/<game>/<run_id>.csv`` for every run of
``cggan.toy.default_toy_runs()`` and writes (``cggan.results.toy_report``):

- the table of predicted against measured per-step contraction rates on the bilinear
  and quadratic games (Liang & Stokes 2019: SGA's expansion, OMD/PM/CO/IU at the
  theorems' step sizes, SGA's Corollary-1 lower bound), as Markdown and CSV;
- the figure of the CG paper's toy game f(x, y) = (1 + x²)(100 − y²): objective,
  distance to the equilibrium and the x–y path, one line per method.

Example:
    python scripts/toy_report.py --toy-dir results/toy \\
        --out-table results/tables/toy_theory.md \\
        --out-table-csv results/tables/toy_theory.csv \\
        --out-figure results/plots/toy_cg_paper.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    def error(
        self, message
    ):  # one line on stderr, exit code 2 (project CLI convention)
        sys.stderr.write(f"error: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--toy-dir", required=True, help="directory of the toy CSVs")
    parser.add_argument(
        "--out-table",
        required=True,
        help="Markdown table path; the CSV goes next to it with suffix .csv unless "
        "--out-table-csv is given",
    )
    parser.add_argument(
        "--out-table-csv", help="CSV table path (default: --out-table with .csv)"
    )
    parser.add_argument("--out-figure", required=True, help="PNG figure path")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    md = Path(args.out_table)
    if md.suffix == ".csv":
        md = md.with_suffix(".md")
    csv_path = (
        Path(args.out_table_csv) if args.out_table_csv else md.with_suffix(".csv")
    )
    if md.suffix != ".md":
        md = md.with_suffix(".md")
    try:
        from cggan.results.toy_report import build_report

        rows = build_report(
            args.toy_dir,
            out_table_md=md,
            out_table_csv=csv_path,
            out_figure=args.out_figure,
        )
    except (ValueError, FileNotFoundError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    failed = [f"{r['game']}/{r['method']}" for r in rows if not r["holds"]]
    if failed:
        sys.stderr.write(f"warning: theory bound violated for {', '.join(failed)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
