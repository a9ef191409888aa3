"""Set a file aside under the name planning gave it (the workflow's ``set_aside`` job).

``python scripts/set_aside.py <file>.<digest>.<reason>`` renames ``<file>`` to that
name (and, for a stale run, its checkpoints beside it), after checking that the file is
still the one planning saw (``cggan.study.set_asides``). One line per file moved; on bad
input one ``error:`` line and exit 2.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set_aside", help="<file>.<digest>.<reason>, as planned")
    args = parser.parse_args(argv)
    from cggan.study.set_asides import set_aside

    try:
        moved = set_aside(args.set_aside)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in moved:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
