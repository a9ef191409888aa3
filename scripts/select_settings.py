"""Choose, per method x learning-rate rule, the sweep setting to
confirm with every seed.

Thin CLI over ``cggan.study.select_experiment`` (the workflow's ``select_settings``
checkpoint)::

    python scripts/select_settings.py --study-config study.json --experiment digits \\
        --out results/selection/default/digits.json

``--study-config`` is the study's resolved configuration as JSON (a file, or the JSON
text itself, as the workflow passes it). The sweep runs read are exactly those the
configuration names; finished runs with a finite metric compete, diverged and failed
runs are counted. An unreadable summary stops the selection with one line naming the
file. Writes the selection JSON atomically. Does not import torch.
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
    parser.add_argument(
        "--out", type=Path, required=True, help="selection JSON to write"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from cggan.io import atomic_write_json
    from cggan.study import load_experiment_study, select_experiment

    try:
        study = load_experiment_study(args.study_config, args.experiment)
        record = select_experiment(study, args.experiment)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    atomic_write_json(args.out, record)
    print(
        f"select: {len(record['selected'])}/{len(record['groups'])} "
        f"method x rule groups selected -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
