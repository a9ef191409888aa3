"""Put back the runs of a study that a run set aside as stale (``*.<digest>.stale``).

A run made by other training code is set aside before it is trained again
(``stale_runs: retrain``, the default). To keep such runs instead, set
``stale_runs: keep`` in the config and run ``python scripts/restore_stale.py CONFIG``:
each run whose retraining has not begun (no new summary or checkpoint) gets its latest
set-aside files back under their names. One line says how many; the next planning
reports them as stale and keeps them. Refused while a workflow of this directory runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SCHEMA = Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path, help="the study's config (YAML)")
    args = parser.parse_args(argv)
    from cggan.locks import live_holder
    from cggan.study.config_file import read_config_file
    from cggan.study.existing_runs import check_existing_runs, restore_stale
    from cggan.study.study import Study

    running = live_holder(".")
    if running:
        print(
            f"error: a workflow is running here ({running}): wait for it",
            file=sys.stderr,
        )
        return 3
    try:
        config = read_config_file(args.config, SCHEMA)
        study = Study(config)
        check = check_existing_runs(study)
    except (ValueError, OSError) as exc:
        print(f"error: {args.config}: {exc}", file=sys.stderr)
        return 2
    restored = [d for d in check.restorable if restore_stale(d)]
    keep = config.get("stale_runs") == "keep"
    advice = "" if keep else "; set stale_runs: keep, or the next run sets them aside"
    print(f"study {study.name!r}: {len(restored)} stale run(s) put back{advice}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
