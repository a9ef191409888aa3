"""State what a study costs before it trains (thin CLI over ``cggan.study.cost``)::

    python scripts/study_cost.py config/primary.yaml --rates-from results/runs/pilot

Prints one line: the planned runs and the wall time on ``--cores`` cores at the speeds
measured from the finished runs under ``--rates-from`` (a pilot or calibration study
trained on this machine). An invalid config or a directory without finished runs is one
``error:`` line, exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SCHEMA = Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("config", type=Path, help="the study's config (YAML)")
    p.add_argument("--rates-from", type=Path, required=True, help="a runs directory")
    p.add_argument("--cores", type=int, default=2, help="snakemake --cores")
    args = p.parse_args(argv)
    from cggan.study.config_file import read_config_file
    from cggan.study.cost import rates_from_runs, study_cost
    from cggan.study.study import Study

    try:
        config = read_config_file(args.config, SCHEMA)
        cost = study_cost(Study(config), rates_from_runs(args.rates_from), args.cores)
    except (ValueError, OSError) as exc:
        print(f"error: {args.config}: {exc}", file=sys.stderr)
        return 2
    print(f"{args.config}: {cost.line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
