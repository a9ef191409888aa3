"""No loader in the project can execute code from a file it reads."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "src").rglob("*.py"), *(ROOT / "scripts").glob("*.py")])


def _calls(name: str):
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "load"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == name
            ):
                yield path, node


def _keyword(node: ast.Call, key: str):
    for kw in node.keywords:
        if kw.arg == key and isinstance(kw.value, ast.Constant):
            return kw.value.value
    return None


def test_every_torch_load_is_weights_only():
    calls = list(_calls("torch"))
    assert calls, "expected torch.load calls in the project"
    for path, node in calls:
        assert _keyword(node, "weights_only") is True, f"{path}:{node.lineno}"


def test_every_numpy_load_refuses_pickles():
    for path, node in _calls("np"):
        assert _keyword(node, "allow_pickle") is False, f"{path}:{node.lineno}"
