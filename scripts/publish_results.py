"""Copy a finished study's tables, plots and metrics.json into the
repository, with provenance.

Thin CLI over ``cggan.provenance`` (``make laptop`` calls it)::

    python scripts/publish_results.py --config config/laptop.yaml \\
        --dest docs/results/laptop --started <unix time> --cores 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", type=Path, required=True, help="the study's config file")
    p.add_argument("--dest", type=Path, required=True, help="e.g. docs/results/laptop")
    p.add_argument(
        "--started", type=float, required=True, help="unix time of the start"
    )
    p.add_argument("--cores", type=int, required=True, help="snakemake --cores")
    p.add_argument(
        "--git-revision",
        default=None,
        help="the code's revision when not run in a git checkout",
    )
    args = p.parse_args(argv)
    import yaml
    from snakemake.utils import validate

    from cggan.io import atomic_write_json
    from cggan.provenance import provenance, publish_outputs
    from cggan.study import Study

    config = yaml.safe_load(args.config.read_text())
    validate(
        config, str(Path(__file__).parents[1] / "workflow/schemas/config.schema.yaml")
    )
    study = Study(config)
    args.dest.mkdir(parents=True, exist_ok=True)
    copied = publish_outputs(study.out_dir, args.dest)
    if not copied:
        print(f"error: nothing to publish under {study.out_dir}", file=sys.stderr)
        return 2
    record = provenance(
        args.config,
        cores=args.cores,
        wall_time_s=time.time() - args.started,
        command=f"make laptop CONFIG={args.config}",
    )
    record["git_revision"] = args.git_revision or record["git_revision"]
    record["files"] = copied
    atomic_write_json(args.dest / "provenance.json", record)
    print(f"published {len(copied)} files to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
