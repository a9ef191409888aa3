"""The import structure of src/cggan: no cycle between modules, no module of the
study layer reaching its own package's re-exports (``from cggan.study import ...``
inside cggan/study/ would make the package's __init__ part of a cycle), and no module
over :data:`MAX_LINES` lines.

Edges are the module-level imports of each file (``import cggan.x``, ``from cggan.x
import y``, ``from cggan.x import submodule``), read with ``ast``; imports under
``if TYPE_CHECKING:`` and inside functions (deliberately deferred) are left out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "cggan"


def _module_name(path: Path) -> str:
    parts = ["cggan", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        body = list(ast.parse(path.read_text()).body)
        while body:
            node = body.pop(0)
            if isinstance(node, ast.If) and not _is_type_checking(node):
                body.extend(node.body + node.orelse)
            elif isinstance(node, ast.Try):
                body.extend(node.body + node.orelse + node.finalbody)
            elif isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from pkg import submodule` runs pkg/__init__ before it, but takes
                # nothing from it: an edge to the submodule only
                subs = {f"{node.module}.{a.name}" for a in node.names}
                edges |= subs & modules.keys()
                if node.module in modules and subs - modules.keys():
                    edges.add(node.module)
        edges.discard(name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_in_the_package():
    graph = import_graph()
    assert "cggan.study.study" in graph and graph["cggan.study"]  # the graph is read
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_study_layer_imports_names_from_their_modules_not_its_package():
    for path in (PACKAGE / "study").glob("*.py"):
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "cggan.study":
                raise AssertionError(f"{path.name}:{node.lineno} imports cggan.study")


#: The most lines a module of src/cggan may have (issue 19: one concept per module).
MAX_LINES = 400


def _module_params():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield pytest.param(path, id=path.relative_to(PACKAGE).as_posix())


@pytest.mark.parametrize("path", list(_module_params()))
def test_no_module_is_over_400_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{lines} lines (the bar is {MAX_LINES})"


#: The layers of the package, bottom to top: a module imports only from lower layers
#: (or its own package). docs/architecture.md draws the same table.
LAYERS = {
    # primitives and the names: no cggan import but each other's and the registry
    "registry": 0,
    "checks": 0,
    "io": 0,
    "locks": 0,
    "runtime": 0,
    "provenance": 0,
    "fingerprint": 0,
    "convergence": 1,
    "hparams": 1,
    # torch-free values built on the names
    "fid_protocol": 1,
    "lr_rules": 1,
    # torch building blocks
    "data": 2,
    "models": 2,
    "optim": 2,
    "games": 2,
    "metrics": 2,
    # a GAN, a method, a run spec
    "gan": 3,
    "methods": 3,
    "spec": 3,
    # running a study: training jobs, the study's grid, the toy games
    "train": 4,
    "study": 4,
    "toy": 4,
    # reading finished runs
    "results": 5,
}


def _top(module: str) -> str:
    return module.split(".")[1] if "." in module else "cggan"


def test_every_import_goes_down_the_layers():
    graph = import_graph()
    tops = {_top(m) for m in graph} - {"cggan"}
    assert tops == set(LAYERS), "place every top-level module in LAYERS"
    upward = [
        f"{a} -> {b}"
        for a, edges in graph.items()
        for b in edges
        if _top(a) != "cggan"
        and _top(a) != _top(b)
        and LAYERS[_top(b)] >= LAYERS[_top(a)]
    ]
    assert not upward, "imports that do not go down a layer: " + ", ".join(upward)


#: The subpackages of the results layer, bottom to top: each imports only from lower
#: ones (or itself); the two modules at the top of cggan.results compose them.
#: docs/architecture.md draws the same table.
RESULTS_LAYERS = {
    "runs": 0,  # reading a study's runs
    "statistics": 1,
    "tables": 2,
    "claims": 3,  # the claims check and its Markdown (tables' cells)
    "figures": 4,  # the figures (the claims' budget labels)
    "output_files": 5,  # writes a study's tables and figures
    "aggregate": 6,  # composes them all for one study
}


def _results_part(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "results" else None


def test_the_results_subpackages_import_down_their_layers():
    graph = import_graph()
    parts = {_results_part(m) for m in graph} - {None}
    assert parts == set(RESULTS_LAYERS), "place every part of cggan.results in the list"
    upward = [
        f"{a} -> {b}"
        for a, edges in graph.items()
        for b in edges
        if _results_part(a)
        and _results_part(b)
        and _results_part(a) != _results_part(b)
        and RESULTS_LAYERS[_results_part(b)] >= RESULTS_LAYERS[_results_part(a)]
    ]
    assert not upward, "imports that do not go down a layer: " + ", ".join(upward)
