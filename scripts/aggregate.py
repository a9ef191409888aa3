"""Aggregate a study's runs into tables, plots and ``metrics.json``.

Thin CLI over ``cggan.results.aggregate``. The workflow names its study::

    python scripts/aggregate.py --study-config config.json \
        --selection-dir results/selection/default --out-dir results

and the runs are exactly the study's sweep runs plus the confirmation runs of each
experiment's selection file (``cggan.results.aggregate.study_run_dirs``); each FID
experiment's calibration (real floor, noise ceiling) is read from
``<results-root>/calibration/`` (``Study.calibration_path``; missing = "not
measured"). ``--runs-dir`` instead reads every run found under a directory (for ad-hoc
use; no calibration). An unreadable ``summary.json``, ``metrics.csv`` or calibration
file stops with ``error: <file>: <reason>`` (exit 2).
Toy-game tables and figures are drawn by ``scripts/toy_report.py``; ``--toy-dir`` is
only checked to exist.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    runs = parser.add_mutually_exclusive_group(required=True)
    runs.add_argument(
        "--study-config",
        metavar="FILE_OR_JSON",
        help="the resolved study config (JSON text or a JSON file)",
    )
    runs.add_argument(
        "--runs-dir",
        type=Path,
        help="results/runs/<study>: every run found there (ad hoc)",
    )
    parser.add_argument(
        "--selection-dir",
        type=Path,
        default=None,
        help="results/selection/<study> (needed with --study-config; "
        "else default none: each method x rule's best sweep setting "
        "is selected here)",
    )
    parser.add_argument(
        "--results-root",
        default="results",
        help="root of the study's run directories (default: results)",
    )
    parser.add_argument("--toy-dir", type=Path, help="results/toy (checked only)")
    parser.add_argument(
        "--out-dir",
        type=Path,
        required=True,
        help="where tables/, plots/ and metrics.json go",
    )
    parser.add_argument(
        "--top-k", type=int, help="k of the Top-k mean (default: the config's, else 10)"
    )
    parser.add_argument(
        "--confidence",
        type=float,
        help="level of the seeds' percentile-bootstrap interval "
        "(default: the config's, else 0.95)",
    )
    parser.add_argument(
        "--rank-by",
        choices=("final", "best"),
        help="rank sweep runs by their final or best-over-training "
        "metric (default: the config's selection.by, else final)",
    )
    parser.add_argument(
        "--no-plots", action="store_true", help="write tables and plot data only"
    )
    return parser  # fmt: skip


def run(args: argparse.Namespace):
    if args.toy_dir is not None and not args.toy_dir.is_dir():
        raise ValueError(f"Invalid --toy-dir: {args.toy_dir} (not a directory)")
    # imported after parsing: --help stays cheap
    from cggan.results import aggregate as agg
    from cggan.results.runs import find_run_dirs, load_selections

    options = {"top_k": args.top_k, "confidence": args.confidence,
               "rank_by": args.rank_by, "plots": not args.no_plots}  # fmt: skip
    if args.study_config is not None:
        if args.selection_dir is None:
            raise ValueError(
                "Invalid --selection-dir: missing (--study-config needs it)"
            )
        config = agg.read_study_config(args.study_config)
        return agg.aggregate_study(config, args.selection_dir, args.out_dir,
                                   results=args.results_root, **options)  # fmt: skip
    defaults = {"top_k": 10, "confidence": 0.95, "rank_by": "final"}
    options = {k: defaults.get(k) if v is None else v for k, v in options.items()}
    run_dirs = find_run_dirs(args.runs_dir)
    selections = load_selections(args.selection_dir)
    return agg.aggregate(run_dirs, selections, args.out_dir, **options)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = run(args)
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
