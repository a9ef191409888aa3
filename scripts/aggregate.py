"""Aggregate a study's runs into tables, plots and ``results/metrics.json``.

Thin CLI over ``cggan.aggregate.aggregate``::

    python scripts/aggregate.py --runs-dir results/runs/default \
        --selection-dir results/selection/default --out-dir results [--top-k 10]

Toy-game tables and figures are drawn by ``scripts/toy_report.py``; ``--toy-dir`` is only
checked to exist here, so that one command line can name all of a study's inputs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs-dir", type=Path, required=True, help="results/runs/<study>"
    )
    parser.add_argument(
        "--selection-dir",
        type=Path,
        default=None,
        help="results/selection/<study> (default: none; each method x rule's best sweep "
        "setting is selected here)",
    )
    parser.add_argument(
        "--toy-dir", type=Path, default=None, help="results/toy (checked only)"
    )
    parser.add_argument("--out-dir", type=Path, required=True, help="results")
    parser.add_argument(
        "--top-k", type=int, default=10, help="k of the Top-k mean (default: 10)"
    )
    parser.add_argument(
        "--confidence",
        type=float,
        default=0.95,
        help="level of the seed t-interval (default: 0.95)",
    )
    parser.add_argument(
        "--rank-by",
        choices=("final", "best"),
        default="final",
        help="rank sweep runs by their final (default) or best-over-training metric",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="write tables and plot data only"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.toy_dir is not None and not args.toy_dir.is_dir():
            raise ValueError(f"Invalid --toy-dir: {args.toy_dir} (not a directory)")
        from cggan.aggregate import aggregate  # after parsing: --help stays cheap

        result = aggregate(
            args.runs_dir,
            args.selection_dir,
            args.out_dir,
            top_k=args.top_k,
            confidence=args.confidence,
            rank_by=args.rank_by,
            plots=not args.no_plots,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n_runs = int(result.paper["n_runs"].sum()) if len(result.paper) else 0
    print(
        f"aggregate: {n_runs} sweep runs, {len(result.paths)} files written "
        f"under {args.out_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
