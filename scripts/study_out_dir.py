"""Print the out dir of a config's study: ``python scripts/study_out_dir.py CONFIG``.

``results`` for the study named ``default``, ``results/studies/<study>`` otherwise
(``cggan.study.StudyPaths.out_dir``); ``make report`` writes the study's report there
and compares it with that study's ``metrics.json``. Reads only the ``study`` key (the
schema's default is ``default``); an unreadable file or an invalid name is one
``error:`` line, exit 2.
"""

from __future__ import annotations

import re
import sys

#: The schema's pattern of a study name (one path component).
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def out_dir(config: str, results: str = "results") -> str:
    """The out dir of the study named in ``config`` (a YAML file)."""
    from cggan.io import load_yaml
    from cggan.study import DEFAULT_STUDY, StudyPaths

    data = load_yaml(config) or {}  # ValueError: one line (duplicated keys refused)
    name = data.get("study", DEFAULT_STUDY) if isinstance(data, dict) else None
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"{config}: invalid study name {name!r}")
    # the study's paths need its name only: the rest of the config is not validated
    return StudyPaths(name, results).out_dir


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args in (["-h"], ["--help"]):
        print(__doc__.split("\n\n")[0])
        return 0
    if len(args) != 1:
        print("usage: python scripts/study_out_dir.py CONFIG", file=sys.stderr)
        return 2
    try:
        print(out_dir(args[0]))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
