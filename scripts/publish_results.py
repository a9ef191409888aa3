"""Copy a finished study's tables, plots and metrics.json into the repository, with
provenance.json beside them::

    python scripts/publish_results.py --config config/primary.yaml \\
        --dest docs/results/primary --started <unix time> --cores 2 \\
        [--rates-from results/runs/pilot] [--alongside nothing] [--readme README.md]

Refuses (one ``error:`` line, exit 2) a work tree with uncommitted changes (the
published code would not be a commit's; ``--allow-dirty`` for a throwaway copy) and a
study whose runs were made by different training code (``runs.csv``'s ``code``
column). provenance.json records the commit, the config's sha256, the machine, the
wall time, the training-code fingerprint with its per-module hashes, the speed the
study's own runs measured, what else ran meanwhile, and the cost it was planned with.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

SCHEMA = Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml"


def publish_study(
    config_path: str | os.PathLike,
    dest: str | os.PathLike,
    *,
    started: float,
    finished: float,
    cores: int,
    command: str,
    git_revision: str | None = None,
    note: str | None = None,
    alongside: str | None = None,
    rates_from: str | os.PathLike | None = None,
) -> list[str]:
    """Copy a finished study's outputs to ``dest`` and write ``dest/provenance.json``.

    Raises:
        ValueError: the config is invalid, the study wrote nothing to publish, or its
            runs come from more than one training code.
    """
    from cggan.fingerprint import code_fingerprint
    from cggan.io import atomic_write_json
    from cggan.provenance import provenance, publish_outputs
    from cggan.study.config_file import read_config_file
    from cggan.study.cost import rates_from_runs, study_cost
    from cggan.study.study import Study

    config = read_config_file(config_path, SCHEMA)
    study = Study(config)
    paths = study.paths
    codes = _run_codes(Path(paths.table("runs.csv")))
    if len(codes) > 1:
        raise ValueError(
            f"Invalid study: its runs come from {len(codes)} training codes "
            f"({', '.join(sorted(codes))}); retrain the stale runs first"
        )
    # recorded before the copy, which dirties the tree: the commit that made them
    record = provenance(
        config_path, cores=cores, wall_time_s=finished - started, command=command
    )
    Path(dest).mkdir(parents=True, exist_ok=True)
    copied = publish_outputs(paths.out_dir, dest)
    if not copied:
        raise ValueError(f"Invalid study: nothing to publish under {paths.out_dir}")
    record["git_revision"] = git_revision or record["git_revision"]
    # which training code made the runs (module by module), and the stale-run policy
    code = code_fingerprint()
    record["code_fingerprint"] = code["fingerprint"]
    record["code_modules"] = code["modules"]
    record["stale_runs"] = config.get("stale_runs", "retrain")
    record.update(_study_facts(Path(dest)))
    # the speed the study's own runs measured, what else ran on the machine meanwhile,
    # and the cost it was planned with
    try:
        record["measured_rates"] = rates_from_runs(paths.runs_root).to_dict()
    except ValueError:
        record["measured_rates"] = None
    record["alongside"] = alongside or "not recorded"
    if rates_from is not None:
        planned = study_cost(study, rates_from_runs(rates_from), cores)
        record["planned_cost"] = planned.line()
    if note:
        record["note"] = note
    record["files"] = copied
    atomic_write_json(Path(dest) / "provenance.json", record)
    return copied


def _run_codes(runs_csv: Path) -> set[str]:
    """The training-code fingerprints (12 hex digits) of a study's runs."""
    if not runs_csv.is_file():
        return set()
    with runs_csv.open(encoding="utf-8") as fh:
        return {row["code"] for row in csv.DictReader(fh) if row.get("code")}


def _study_facts(dest: Path) -> dict[str, Any]:
    """What a reader needs beside the tables: the analysis plan's sha256 (from
    metrics.json) and each FID experiment's classifier test accuracy (from
    calibration.csv; the scale of a classifier FID)."""
    facts: dict[str, Any] = {}
    metrics = dest / "metrics.json"
    if metrics.is_file():
        plan = json.loads(metrics.read_text(encoding="utf-8")).get(
            "analysis_plan_sha256"
        )
        if plan:
            facts["analysis_plan_sha256"] = plan
    calibration = dest / "tables" / "calibration.csv"
    if calibration.is_file():
        with calibration.open(encoding="utf-8") as fh:
            accuracy = {
                row["experiment"]: float(row["classifier_accuracy"])
                for row in csv.DictReader(fh)
                if row.get("classifier_accuracy")
            }
        if accuracy:
            facts["classifier_test_accuracy"] = accuracy
    return facts


def _dirty() -> bool:
    """Whether the work tree has uncommitted changes to tracked files."""
    import subprocess

    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False  # not a git checkout: --git-revision says which code
    return bool(out.strip())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", type=Path, required=True, help="the study's config")
    p.add_argument("--dest", type=Path, required=True, help="e.g. docs/results/primary")
    p.add_argument("--started", type=float, required=True, help="unix time, start")
    p.add_argument("--finished", type=float, default=None, help="unix time, end")
    p.add_argument("--cores", type=int, required=True, help="snakemake --cores")
    p.add_argument("--command", default="make primary", help="what was run")
    p.add_argument("--git-revision", default=None, help="when not in a git checkout")
    p.add_argument("--note", default=None, help="anything a reader must know")
    p.add_argument(
        "--alongside",
        default=None,
        help="what else ran on the machine while the study trained ('nothing')",
    )
    p.add_argument(
        "--rates-from",
        type=Path,
        default=None,
        help="the runs the study's cost was planned from (recorded beside the cost)",
    )
    p.add_argument(
        "--allow-dirty", action="store_true", help="publish from uncommitted code"
    )
    p.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="rewrite this file's findings block from the published claims.csv",
    )
    args = p.parse_args(argv)
    if not args.allow_dirty and _dirty():
        print(
            "error: the work tree has uncommitted changes: commit them (the published "
            "results must be a commit's code) or pass --allow-dirty",
            file=sys.stderr,
        )
        return 2
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
            alongside=args.alongside,
            rates_from=args.rates_from,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"published {len(copied)} files to {args.dest}")
    if args.readme is not None:
        from cggan.results.claims.readme_findings import update_readme

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
