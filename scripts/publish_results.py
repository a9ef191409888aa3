"""Copy a finished study's tables, plots and metrics.json into the repository.

Writes provenance.json beside them. Thin CLI over ``cggan.provenance.publish_study``::

    python scripts/publish_results.py --config config/laptop.yaml \\
        --dest docs/results/laptop --started <unix time> --cores 2 [--readme README.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", type=Path, required=True, help="the study's config")
    p.add_argument("--dest", type=Path, required=True, help="e.g. docs/results/laptop")
    p.add_argument("--started", type=float, required=True, help="unix time, start")
    p.add_argument("--finished", type=float, default=None, help="unix time, end")
    p.add_argument("--cores", type=int, required=True, help="snakemake --cores")
    p.add_argument("--command", default="make laptop", help="what was run")
    p.add_argument("--git-revision", default=None, help="when not in a git checkout")
    p.add_argument("--note", default=None, help="anything a reader must know")
    p.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="rewrite this file's findings block from the published claims.csv",
    )
    args = p.parse_args(argv)
    from cggan.provenance import publish_study

    try:
        copied = publish_study(
            args.config,
            args.dest,
            started=args.started,
            finished=args.finished or time.time(),
            cores=args.cores,
            command=args.command,
            git_revision=args.git_revision,
            note=args.note,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"published {len(copied)} files to {args.dest}")
    if args.readme is not None:
        from cggan.results.findings import update_readme

        claims = args.dest / "tables" / "claims.csv"
        try:
            shown = Path(os.path.relpath(claims, args.readme.parent)).as_posix()
            update_readme(args.readme, claims, shown)
        except (ValueError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"{args.readme}: findings rewritten from {claims}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
