"""Release the working directory's Snakemake lock when no Snakemake process holds it.

``make run`` calls this first, so that a run killed with ``kill -9`` (or a power cut)
needs no manual ``snakemake --unlock``. A lock held by a live Snakemake
process is left alone.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=".", help="the workflow's directory")
    args = parser.parse_args(argv)
    from cggan.locks import release_stale_lock

    message = release_stale_lock(args.workdir)
    if message:
        print(f"cggan: {message}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
