"""Helpers that test modules of several packages share.

Importable as ``helpers``: ``tests/`` is on ``sys.path`` (the folder of the rootdir's
``conftest.py`` under pytest's default ``prepend`` import mode, as for
``pipeline.conftest``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

#: The repository's root.
REPO = Path(__file__).resolve().parents[1]


def load_script(path: str | Path, name: str) -> ModuleType:
    """Import a script (``scripts/*.py``, ``benchmarks/*.py``) as the module ``name``,
    without running its ``main``: the scripts are not a package."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
