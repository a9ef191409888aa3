"""Plan one round of learning-rate grid extension for an experiment.

Thin CLI over ``cggan.study.selection.extension_round`` (the workflow's ``extend_grid``
checkpoint)::

    python scripts/extend_grid.py --study-config study.json --experiment mnist \\
        --round 1 --out results/selection/laptop/mnist/extension1.json

Every pool (method x rule x value of its swept hyperparameters) whose best finished
setting over the configured grid and the earlier rounds lies on an edge of its lr grid
gets the settings one step past that edge (``cggan.study.grid_extension``); the
workflow then trains them at the sweep seed. An unreadable summary stops it with one
line naming the file. Writes the JSON atomically. Does not import torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--study-config",
        required=True,
        help="the study's configuration: a JSON file or JSON text",
    )
    parser.add_argument("--experiment", required=True, help="experiment name")
    parser.add_argument("--round", type=int, required=True, help="round (1, 2, ...)")
    parser.add_argument("--out", type=Path, required=True, help="JSON to write")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from cggan.io import atomic_write_json
    from cggan.study import extension_round, load_experiment_study

    try:
        study = load_experiment_study(args.study_config, args.experiment)
        record = extension_round(study, args.experiment, args.round)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    atomic_write_json(args.out, record)
    on_edge = sum(bool(p["edges"]) for p in record["pools"])
    print(
        f"extend_grid round {args.round}: {on_edge}/{len(record['pools'])} pools on an "
        f"edge, {len(record['added'])} settings added -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
