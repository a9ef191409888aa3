"""Release the working directory's Snakemake lock when its holder is provably gone.

``make run`` calls this first, so that a run killed with ``kill -9`` (or a power cut)
needs no manual ``snakemake --unlock``. The workflow records the lock's holder (host,
pid, start time; ``cggan.locks``); the lock is removed only when that holder ran on
this host and is no longer alive. Otherwise one line says why the lock is kept and how
to unlock by hand. Exits 0, except when a workflow of this directory is running on
this host: then one ``error:`` line names it and says to wait (``--unlock`` would break
the running workflow), exit 3, so that ``make`` does not start a second one.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=".", help="the workflow's directory")
    args = parser.parse_args(argv)
    from cggan.locks import live_holder, release_stale_lock

    running = live_holder(args.workdir)
    if running:
        print(
            f"error: a workflow is running in this directory ({running}): wait for it "
            "to finish; do not --unlock a live workflow",
            file=sys.stderr,
        )
        return 3
    message = release_stale_lock(args.workdir)
    if message:
        print(f"cggan: {message}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
