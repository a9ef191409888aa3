"""Compare a study's fresh outputs with its published copy (``make verify``)::

    python scripts/compare_results.py --published docs/results/default \\
        --fresh /tmp/x/results

Every table under ``tables/`` and ``metrics.json`` must be byte-identical, except the
columns that hold what cannot repeat on another run of the same code: ``runs.csv``'s
``code`` and ``stale`` (the fingerprint of the code that made the runs, which a
published study must match anyway: tests/test_published_code.py). Plots are compared by
their CSV data (``plots/data/``), not their PNG bytes. Prints one line per difference
(the file, and the first differing row and column) and exits 1 if there is any, 0 if
none.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

#: Columns whose value names the code, not a result: ignored in the comparison.
IGNORED_COLUMNS = {"runs.csv": ("code", "stale")}


def _rows(text: str, ignored: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        {k: v for k, v in row.items() if k not in ignored}
        for row in csv.DictReader(io.StringIO(text))
    ]


def compare_file(published: Path, fresh: Path) -> str | None:
    """None when the two files agree, else one line saying where they differ."""
    if not fresh.is_file():
        return f"{fresh}: missing (published: {published})"
    a, b = published.read_bytes(), fresh.read_bytes()
    if a == b:
        return None
    ignored = IGNORED_COLUMNS.get(published.name)
    if ignored:
        rows_a = _rows(a.decode("utf-8"), ignored)
        rows_b = _rows(b.decode("utf-8"), ignored)
        if rows_a == rows_b:
            return None
        for i, (ra, rb) in enumerate(zip(rows_a, rows_b), start=2):
            for column in ra:
                if ra.get(column) != rb.get(column):
                    return (
                        f"{published.name}: line {i}, column {column}: "
                        f"{ra.get(column)!r} published, {rb.get(column)!r} fresh"
                    )
        return f"{published.name}: {len(rows_a)} rows published, {len(rows_b)} fresh"
    lines_a, lines_b = a.decode("utf-8", "replace"), b.decode("utf-8", "replace")
    for i, (la, lb) in enumerate(zip(lines_a.splitlines(), lines_b.splitlines()), 1):
        if la != lb:
            return f"{published.name}: line {i} differs: {la[:80]!r} vs {lb[:80]!r}"
    return f"{published.name}: differs in length"


def compare(published: Path, fresh: Path) -> list[str]:
    """Every difference between the published tables, plot data and metrics.json and
    the fresh ones."""
    names = [
        p.relative_to(published)
        for p in sorted(published.rglob("*"))
        if p.is_file()
        and (
            p.parts[-2] == "tables"
            or p.parent.name == "data"
            or p.name == "metrics.json"
        )
    ]
    out = []
    for name in names:
        line = compare_file(published / name, fresh / name)
        if line:
            out.append(line)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--published", type=Path, required=True)
    p.add_argument("--fresh", type=Path, required=True)
    args = p.parse_args(argv)
    differences = compare(args.published, args.fresh)
    for line in differences:
        print(f"differs: {line}")
    if differences:
        print(f"verify: {len(differences)} files differ from {args.published}")
        return 1
    print(
        f"verify: every table, plot data file and metrics.json equals {args.published}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
