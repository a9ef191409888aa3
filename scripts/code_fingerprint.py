"""Write the code fingerprints dvc.yaml's stages depend on (DVC's ``code`` stage runs
``python scripts/code_fingerprint.py OUT``).

OUT is a JSON object; the stages read its keys as DVC params, so that ``dvc.lock``
records the values and ``dvc status`` names a stage only when the semantics of its code
changed (a comment, a docstring or formatting never counts):

- ``training``: :func:`cggan.fingerprint.code_fingerprint` of ``src/cggan`` (the
  modules a training run executes, and the torch and numpy versions): the fingerprint
  every run records in its ``summary.json``; when it changes, Snakemake retrains the
  study's runs (they are stale).
- ``library``: :func:`cggan.fingerprint.source_fingerprint` of the whole ``src/cggan``
  package and ``scripts/*.py``: what the workflow's cheap jobs (selection, toy games,
  aggregation) record as their code param.
- ``workflow``: :func:`cggan.fingerprint.workflow_fingerprint` of ``workflow/``.
- ``scripts``: ``{script stem: hash}`` of each ``scripts/*.py``'s normalised source
  (``scripts.prepare_data`` as a DVC param: the data stage's own script).
- ``training_modules`` and ``versions``: the per-module hashes and the versions behind
  ``training``, for reading (``git diff`` names the module that changed).

The files of this repository (its ``src/cggan``, ``scripts`` and ``workflow``, wherever
the command runs) are hashed by this repository's :mod:`cggan.fingerprint` (its ``src``
comes first on ``sys.path``), whichever ``cggan`` is installed; the versions are those
of the interpreter that runs this script (the project's venv, like the training jobs).
A missing directory is one ``error:`` line, exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path("src/cggan")
SCRIPTS = Path("scripts")
WORKFLOW = Path("workflow")


def fingerprints(root: str | Path = ROOT) -> dict:
    """The fingerprints of the code under ``root`` (a checkout of this repository)."""
    import hashlib

    from cggan.fingerprint import (
        code_fingerprint,
        normalised_source,
        source_fingerprint,
        workflow_fingerprint,
    )

    root = Path(root)
    for folder in (PACKAGE, SCRIPTS, WORKFLOW):
        if not (root / folder).is_dir():
            raise ValueError(f"{root / folder}: no such directory")
    training = code_fingerprint(root / PACKAGE)
    # script names relative to root, so that the hash does not depend on where the
    # checkout lives
    scripts = sorted(p.relative_to(root) for p in (root / SCRIPTS).glob("*.py"))
    return {
        "training": training["fingerprint"],
        "library": source_fingerprint(*scripts, root=root / PACKAGE, base=root),
        "workflow": workflow_fingerprint(root / WORKFLOW),
        "scripts": {
            p.stem: hashlib.sha256(
                normalised_source((root / p).read_text("utf-8")).encode()
            ).hexdigest()[:16]
            for p in scripts
        },
        "training_modules": training["modules"],
        "versions": training["versions"],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path, help="the JSON file to write")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    from cggan.io import atomic_write_json

    try:
        record = fingerprints()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
