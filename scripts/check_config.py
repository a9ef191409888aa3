"""Read a study config the way the project does before Snakemake reads it::

    python scripts/check_config.py config/primary.yaml

Snakemake's own message for a config that does not parse names neither the file nor the
line; the Makefile runs this first, so a missing file, a YAML syntax error or tab, an
empty file or a file that is not a mapping is one ``error:`` line naming the file (and
the line, where there is one), exit 2, before any job.
"""

from __future__ import annotations

import sys


def check(path: str) -> None:
    """Raise ValueError (one line) unless ``path`` holds a YAML mapping."""
    from cggan.io import load_yaml

    data = load_yaml(path)  # unreadable, not YAML (with its line), duplicated keys
    if data is None:
        raise ValueError(f"Invalid {path}: empty (a study config is a YAML mapping)")
    if not isinstance(data, dict):
        raise ValueError(
            f"Invalid {path}: a {type(data).__name__}, not a mapping of config keys"
        )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        # --help is asked for: stdout; a wrong call: stderr, exit 2
        asked = bool(args) and args[0] in ("-h", "--help")
        out = sys.stdout if asked else sys.stderr
        print(__doc__.split("\n\n")[0].rstrip(":"), file=out)
        print("usage: python scripts/check_config.py CONFIG", file=out)
        return 0 if asked else 2
    try:
        check(args[0])
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
