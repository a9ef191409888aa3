"""Train runs of the grid: ``python scripts/train.py --spec JSON --out RUN_DIR [...]``.

``--spec`` is a run spec (``cggan.spec.RunSpec`` as JSON: what ``Study.run_spec``
returns), a JSON file or an inline JSON object. Several ``--spec``/``--out`` pairs
train several runs one after the other in one process (the workflow's ``group_seeds``),
each exactly the run a job of its own would make; ``--receipt`` then records them (a
sweep chunk, ``cggan.study.chunks``). Exit codes: 0 finished or diverged,
``--failure-exit-code`` a run failed by itself (recorded in summary.json), 2 bad input
(also a model larger than the machine's whole memory), 75 an environment failure (full
disk, no memory: no summary, retry), 143/130 SIGTERM/SIGINT (checkpoint written, no
summary, rerun resumes); see docs/training.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add(
        "--spec",
        required=True,
        action="append",
        help="run spec (cggan.spec.RunSpec as JSON): a JSON file or an inline JSON "
        "object (repeat with --out)",
    )
    add(
        "--out",
        required=True,
        type=Path,
        action="append",
        help="run directory (one per --spec)",
    )
    add(
        "--fid-stats",
        type=Path,
        default=None,
        help="reference statistics .npz (required when eval.metric is fid)",
    )
    add(
        "--inception-weights",
        type=Path,
        default=None,
        help="pytorch-fid Inception weights (default $CGGAN_INCEPTION_WEIGHTS, "
        "then the torch hub cache)",
    )
    add("--threads", type=int, default=1, help="torch threads (default 1)")
    add("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    add(
        "--fresh",
        action="store_true",
        help="delete the run directory's outputs and checkpoints, start over",
    )
    add(
        "--receipt",
        type=Path,
        default=None,
        help="after every run is done (exit 0), write this JSON listing the runs and "
        "their summaries' SHA-256 (a sweep chunk's output: cggan.study.chunks)",
    )
    add(
        "--failure-exit-code",
        type=int,
        default=1,
        help="exit code of a failed run (default 1; the workflow passes 0)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from cggan.runtime import allocation_beyond_memory
    from cggan.train import train_runs  # torch only past argument parsing

    try:
        code = train_runs(
            args.spec,
            args.out,
            failure_exit_code=args.failure_exit_code,
            fid_stats=args.fid_stats,
            inception_weights=args.inception_weights,
            threads=args.threads,
            device=args.device,
            fresh=args.fresh,
        )
    except Exception as exc:
        # A model or batch larger than the machine's whole memory fails on every
        # attempt: bad input (exit 2, never retried), not an environment failure (75).
        message = allocation_beyond_memory(exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2
    if code == 0 and args.receipt is not None:
        from cggan.study.chunks import write_receipt

        write_receipt(args.receipt, args.out)
    return code


if __name__ == "__main__":
    sys.exit(main())
