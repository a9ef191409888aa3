"""Aggregate a study's runs into tables, plots and ``metrics.json``.

Thin CLI over ``cggan.results.aggregate.cli_aggregate``. The workflow names its study::

    python scripts/aggregate.py --study-config config.json \\
        --selection-dir results/selection/default --out-dir results

and the runs are exactly the study's sweep runs plus the confirmation runs of each
experiment's selection file; each FID experiment's calibration is read from
``<results-root>/calibration/`` (missing = "not measured"). ``--runs-dir`` instead reads
every run found under a directory (ad hoc; no calibration), with the config schema's
defaults for the options not given. Bad input or an unreadable file stops with
``error: <file>: <reason>`` (exit 2). Toy-game tables and figures are drawn by
``scripts/toy_report.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SCHEMA = Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml"


def build_parser() -> argparse.ArgumentParser:
    from cggan.registry import SELECTION_BY  # torch-free: --help stays cheap

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    runs = parser.add_mutually_exclusive_group(required=True)
    runs.add_argument("--study-config", metavar="FILE_OR_JSON", help="resolved config")
    runs.add_argument("--runs-dir", type=Path, help="every run found there (ad hoc)")
    add("--selection-dir", type=Path, help="results/selection/<study> (with a config)")
    add("--results-root", default="results", help="root of the run directories")
    add("--out-dir", type=Path, required=True, help="for tables/, plots/, metrics.json")
    # with --runs-dir only (default: the schema's); a study config carries its own
    add("--top-k", type=int, help="k of the Top-k mean (--runs-dir)")
    add("--confidence", type=float, help="of the seed intervals (--runs-dir)")
    add("--rank-by", choices=SELECTION_BY, help="the number ranked (--runs-dir)")
    add("--no-plots", action="store_true", help="write tables and plot data only")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from cggan.results.aggregate import cli_aggregate  # after parsing: cheap --help
    from cggan.study.config_file import schema_defaults

    return cli_aggregate(**vars(args), defaults=schema_defaults(SCHEMA))


if __name__ == "__main__":
    sys.exit(main())
