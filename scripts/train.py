"""Train runs of the grid: ``python scripts/train.py --spec JSON --out RUN_DIR [...]``.

Thin CLI over :class:`cggan.train.Trainer`. ``--spec`` is a JSON file (or an inline JSON
object). Several ``--spec``/``--out`` pairs train several runs one after the other in one
process (the workflow's ``seeds_per_job``: on a laptop the interpreter and torch start-up
cost more than a small run); every run still has its own directory and its own seed, and is
exactly the run a single invocation would produce.
Exit codes: 0 finished or diverged (see summary.json), 2 bad input (invalid spec, mismatched
FID statistics, a corrupted checkpoint or one of another spec: one ``error:`` line on
stderr, nothing written), ``--failure-exit-code`` (default 1) when the run failed while
training (summary.json then has status "failed" with the error and traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, action="append",
                        help="run spec: a JSON file, or a JSON object given inline "
                             "(repeat together with --out to train several runs)")
    parser.add_argument("--out", required=True, type=Path, action="append",
                        help="run directory (one per --spec)")
    parser.add_argument("--fid-stats", type=Path, default=None,
                        help="reference statistics .npz (required when eval.metric is fid)")
    parser.add_argument("--inception-weights", type=Path, default=None,
                        help="pytorch-fid Inception weights (statistics computed with Inception; "
                             "default $CGGAN_INCEPTION_WEIGHTS, then the torch hub cache)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    parser.add_argument("--fresh", action="store_true",
                        help="delete the run directory's outputs and checkpoint, start over")
    parser.add_argument("--failure-exit-code", type=int, default=1,
                        help="exit code of a failed run (default 1; the workflow passes 0)")
    return parser


def _load_spec(text: str) -> dict:
    source = text
    if not text.lstrip().startswith("{"):
        path = Path(text)
        if not path.is_file():
            raise ValueError(f"Invalid --spec: {text} (no such file, and not a JSON object)")
        source = path.read_text(encoding="utf-8")
    try:
        spec = json.loads(source)
    except json.JSONDecodeError as exc:
        raise ValueError(f"Invalid --spec: {text} is not valid JSON ({exc})") from None
    return spec


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.threads < 1:
            raise ValueError(f"Invalid --threads: {args.threads} (allowed: >= 1)")
        if len(args.spec) != len(args.out):
            raise ValueError(f"Invalid --out: {len(args.out)} given for {len(args.spec)} "
                             "--spec (allowed: one --out per --spec)")
        specs = [_load_spec(text) for text in args.spec]
        from cggan.train import Trainer, validate_spec  # torch only past argument parsing

        for spec in specs:  # every spec is checked before the first run starts
            validate_spec(spec)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    exit_code = 0
    for spec, out in zip(specs, args.out):
        code = _train_one(Trainer, spec, out, args)
        exit_code = exit_code or code
    return exit_code


def _train_one(trainer_class, spec: dict, out: Path, args: argparse.Namespace) -> int:
    try:
        trainer = trainer_class(spec, out, fid_stats=args.fid_stats,
                                inception_weights=args.inception_weights,
                                threads=args.threads, device=args.device, fresh=args.fresh)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        summary = trainer.execute()
    except Exception:  # recorded in summary.json as status "failed"
        traceback.print_exc()
        print(f"error: run failed; see {out / 'summary.json'}", file=sys.stderr)
        return args.failure_exit_code
    print(f"{summary['status']}: {out} ({summary['metric_name']} best "
          f"{summary['best_metric']} at {summary['best_iteration']}, final "
          f"{summary['final_metric']})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
