"""Choose, per method x learning-rate rule, the sweep setting to confirm with every seed.

Thin CLI over ``cggan.study.select_settings`` (the workflow's ``select_settings`` checkpoint)::

    python scripts/select_settings.py --study default --experiment digits --metric fid --by final \\
        --sweep-seed 0 --seeds 0 1 2 --summaries-file runs.txt \\
        --out results/selection/default/digits.json

Reads each sweep run's ``summary.json`` (paths given one per line in ``--summaries-file``, or
as arguments); finished runs with a finite metric compete, diverged and failed runs are
counted. Writes the selection JSON atomically. Does not import torch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("summaries", nargs="*", type=Path, help="sweep runs' summary.json files")
    parser.add_argument("--summaries-file", type=Path, default=None,
                        help="text file with one summary.json path per line")
    parser.add_argument("--study", required=True, help="study name")
    parser.add_argument("--experiment", required=True, help="experiment name")
    parser.add_argument("--metric", required=True, help="the experiment's metric (fid, modes)")
    parser.add_argument("--by", choices=("final", "best"), default="final",
                        help="rank by the final metric (default) or the best over the run")
    parser.add_argument("--sweep-seed", type=int, required=True, help="the sweep's seed")
    parser.add_argument("--seeds", type=int, nargs="+", required=True,
                        help="seeds of the confirmation runs")
    parser.add_argument("--out", type=Path, required=True, help="selection JSON to write")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from cggan.io import atomic_write_json
    from cggan.study import METRIC_DIRECTION, parse_run_dir, select_settings, selection_record

    try:
        if args.metric not in METRIC_DIRECTION:
            raise ValueError(f"Invalid --metric: {args.metric!r} "
                             f"(allowed: {', '.join(METRIC_DIRECTION)})")
        paths = list(args.summaries)
        if args.summaries_file is not None:
            paths += [Path(line) for line in args.summaries_file.read_text().split("\n")
                      if line.strip()]
        if not paths:
            raise ValueError("Invalid summaries: none given (allowed: summary.json paths)")
        records = []
        for path in paths:
            where = parse_run_dir(path)
            if where["experiment"] != args.experiment:
                raise ValueError(f"Invalid summary: {path} (not of experiment "
                                 f"{args.experiment!r})")
            summary = json.loads(path.read_text(encoding="utf-8"))
            records.append({**where, "summary": summary})
        direction = METRIC_DIRECTION[args.metric]
        groups = select_settings(records, by=args.by, direction=direction)
        record = selection_record(study=args.study, experiment=args.experiment,
                                  metric=args.metric, groups=groups, by=args.by,
                                  direction=direction, sweep_seed=args.sweep_seed,
                                  seeds=args.seeds)
    except (ValueError, OSError, json.JSONDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    atomic_write_json(args.out, record)
    chosen = len(record["selected"])
    print(f"select: {len(records)} sweep runs, {chosen}/{len(groups)} method x rule groups "
          f"selected -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
