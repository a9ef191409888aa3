"""The import structure of src/cggan: no cycle between modules, every import going down
the layers of :data:`LAYERS`, no module of the study layer reaching its own package's
re-exports (``from cggan.study import ...`` inside cggan/study/ would make the
package's __init__ part of a cycle), and no module over :data:`MAX_LINES` lines.

Edges are every import statement of a file, wherever it stands: at module level, in a
function or method body, a class body, under ``if``/``try``/``with``, and under ``if
TYPE_CHECKING:`` (``import cggan.x``, ``from cggan.x import y``, ``from cggan.x import
submodule``, and relative imports resolved against the module's package), read with
``ast``. A deferred import (inside a function) still makes the module depend on what
it imports, so it counts like any other; loading by dotted path (``importlib``, the
registries) is not an import statement and is not read here.

Imports under ``if TYPE_CHECKING:`` are *type-only*: they never run. They count for the
layers (a lower layer whose annotations name a higher layer's type depends on it as
much as one that imports it, and ``typing.get_type_hints`` would import it), but not for
the cycle check, which is about what Python executes: a type-only back-reference inside
one package (``cggan.study.existing_runs`` annotating with ``cggan.study.study.Study``)
cannot create a runtime cycle, and one across packages is already refused by the
layers. The ``else:`` branch of ``if TYPE_CHECKING:`` runs, so it counts everywhere."""

from __future__ import annotations

import ast
import re
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


def _type_only_nodes(tree: ast.AST) -> set[int]:
    """The ids of the nodes under the body of an ``if TYPE_CHECKING:`` (never run)."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            ids |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return ids


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str | None:
    """The module a ``from ... import`` reads from (a relative one resolved)."""
    if not node.level:
        return node.module
    package = module.split(".") if is_package else module.split(".")[:-1]
    if node.level - 1 >= len(package):
        return None  # beyond the top package: Python refuses it too
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def module_imports(
    source: str, module: str, modules: set[str], is_package: bool = False
) -> tuple[set[str], set[str]]:
    """The modules of ``modules`` that ``source`` (the module ``module``) imports.

    Returns:
        ``(runtime, type_only)``: the modules imported by statements that may run (at
        module level, in any function, method or class body, under any ``if``/``try``,
        including the ``else:`` of ``if TYPE_CHECKING:``) and those imported only under
        ``if TYPE_CHECKING:``. A module imported both ways is in ``runtime`` only.
    """
    tree = ast.parse(source)
    type_only_nodes = _type_only_nodes(tree)
    runtime: set[str] = set()
    type_only: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            # `import a.b.c` binds `a` and runs a, a.b and a.b.c: the deepest known
            # module is the one the code uses
            edges = set()
            for alias in node.names:
                parts = alias.name.split(".")
                known = [
                    ".".join(parts[:i])
                    for i in range(len(parts), 0, -1)
                    if ".".join(parts[:i]) in modules
                ]
                edges |= set(known[:1])
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            if base is None:
                continue
            # `from pkg import submodule` runs pkg/__init__ before it, but takes
            # nothing from it: an edge to the submodule only
            subs = {f"{base}.{a.name}" for a in node.names}
            edges = subs & modules
            if base in modules and subs - modules:
                edges.add(base)
        else:
            continue
        (type_only if id(node) in type_only_nodes else runtime).update(edges)
    runtime.discard(module)
    type_only -= runtime | {module}
    return runtime, type_only


def import_graph(type_only: bool = True) -> dict[str, set[str]]:
    """``{module: the cggan modules it imports}`` for every module of the package.

    Args:
        type_only: with the imports under ``if TYPE_CHECKING:`` (False: only the
            imports that may run).
    """
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        runtime, typing_only = module_imports(
            path.read_text(encoding="utf-8"),
            name,
            set(paths),
            is_package=path.name == "__init__.py",
        )
        graph[name] = runtime | typing_only if type_only else runtime
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
    graph = import_graph(type_only=False)
    assert "cggan.study.study" in graph and graph["cggan.study"]  # the graph is read
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


_MODULES = {"cggan", "cggan.io", "cggan.data", "cggan.data.mnist", "cggan.results"}


def _imports(source: str, module: str = "cggan.x", is_package: bool = False):
    return module_imports(source, module, _MODULES | {module}, is_package)


def test_the_collector_sees_imports_inside_functions_and_methods():
    source = (
        "def f():\n"
        "    from cggan.io import atomic_write_json\n"
        "class C:\n"
        "    def m(self):\n"
        "        def inner():\n"
        "            import cggan.results\n"
        "        with open('x'):\n"
        "            try:\n"
        "                from cggan.data import mnist\n"
        "            except ImportError:\n"
        "                pass\n"
    )
    runtime, type_only = _imports(source)
    assert runtime == {"cggan.io", "cggan.results", "cggan.data.mnist"}
    assert type_only == set()


def test_the_collector_keeps_type_only_imports_apart():
    source = (
        "from typing import TYPE_CHECKING\n"
        "import typing\n"
        "if TYPE_CHECKING:\n"
        "    from cggan.results import Table\n"
        "else:\n"
        "    import cggan.io\n"
        "if typing.TYPE_CHECKING:\n"
        "    import cggan.data\n"
        "    import cggan.io\n"  # runs in the else: runtime wins
    )
    runtime, type_only = _imports(source)
    assert runtime == {"cggan.io"}
    assert type_only == {"cggan.results", "cggan.data"}


def test_the_collector_resolves_relative_imports():
    mnist = {"cggan.data.mnist"}
    assert _imports("from . import mnist", "cggan.data", True)[0] == mnist
    assert _imports("from .mnist import load", "cggan.data.x")[0] == mnist
    assert _imports("from ..io import f", "cggan.data.x")[0] == {"cggan.io"}
    assert _imports("import cggan")[0] == {"cggan"}


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
#: or its own top-level package (two packages of one layer import nothing of each
#: other). Below them all is the package's own ``__init__`` (``cggan``, the version),
#: which every ``import cggan.x`` runs first: it imports nothing of the package.
#: docs/architecture.md draws the same table.
LAYERS = {
    # primitives and the names: no cggan import at all
    "registry": 0,
    "checks": 0,
    "io": 0,
    "runtime": 0,
    "provenance": 0,
    "fingerprint": 0,
    # torch-free, on the primitives: values built on the names, the workflow's lock
    # (its holder record is written with io)
    "convergence": 1,
    "hparams": 1,
    "fid_protocol": 1,
    "lr_rules": 1,
    "locks": 1,
    # torch building blocks
    "data": 2,
    "models": 2,
    "optim": 2,
    "games": 2,
    # built from the blocks: the metrics (their references and calibration read the
    # datasets), a GAN, a method, a run spec
    "metrics": 3,
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
ROOT = "cggan"


def _top(module: str) -> str:
    return module.split(".")[1] if "." in module else ROOT


def _layer(top: str) -> int:
    return -1 if top == ROOT else LAYERS[top]


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """``a -> b`` for each import of ``graph`` that does not go down a layer."""
    return sorted(
        f"{a} -> {b}"
        for a, edges in graph.items()
        for b in edges
        if _top(a) != _top(b) and _layer(_top(b)) >= _layer(_top(a))
    )


def test_every_import_goes_down_the_layers():
    graph = import_graph()  # type-only imports too
    tops = {_top(m) for m in graph} - {ROOT}
    assert tops == set(LAYERS), "place every top-level module in LAYERS"
    upward = upward_imports(graph)
    assert not upward, "imports that do not go down a layer: " + ", ".join(upward)


def test_an_upward_import_inside_a_function_is_refused():
    modules = {"cggan", "cggan.io", "cggan.results", "cggan.data"}
    deferred = "def f():\n    from cggan.results import tables\n"
    graph = {
        "cggan.io": module_imports(deferred, "cggan.io", modules)[0],
        "cggan.data": module_imports("import cggan.io\n", "cggan.data", modules)[0],
        "cggan": module_imports("def v():\n    import cggan.io\n", "cggan", modules)[0],
    }
    assert upward_imports(graph) == ["cggan -> cggan.io", "cggan.io -> cggan.results"]


def test_the_architecture_doc_draws_the_same_layers():
    doc = PACKAGE.parents[1] / "docs" / "architecture.md"
    drawn = {}
    for line in doc.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if len(cells) == 3 and cells[0].isdigit():
            for name in re.findall(r"`([a-z_]+)`", cells[1]):
                drawn[name] = int(cells[0])
    assert drawn == LAYERS


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
