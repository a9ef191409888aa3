"""cggan.fingerprint: what a run's code fingerprint covers, and what does not count."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import cggan
from cggan import fingerprint as fp

PACKAGE = Path(cggan.__file__).resolve().parent


def _copy_package(tmp_path: Path) -> Path:
    root = tmp_path / "cggan"
    shutil.copytree(PACKAGE, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_comments_docstrings_and_formatting_do_not_count_code_does(tmp_path):
    root = _copy_package(tmp_path)
    before = fp.code_fingerprint(root)
    cg = root / "optim" / "cg.py"
    text = cg.read_text()
    tree = ast.parse(text)
    doc = ast.get_docstring(tree, clean=False)
    assert doc and doc in text
    edited = text.replace(doc, "Another docstring.", 1)
    edited = edited.replace("\n\n\n", "\n\n\n# a comment\n\n", 1)
    cg.write_text("# a leading comment\n" + edited)
    assert fp.code_fingerprint(root) == before
    assert fp.changed_modules(before, fp.code_fingerprint(root)) is None
    # a semantic edit: one more statement at module level
    cg.write_text(text + "\n_UNUSED_CONSTANT = 1\n")
    after = fp.code_fingerprint(root)
    assert after["fingerprint"] != before["fingerprint"]
    assert fp.changed_modules(before, after) == ["cggan.optim.cg"]


def test_aggregation_and_planning_code_is_not_fingerprinted(tmp_path):
    root = _copy_package(tmp_path)
    before = fp.code_fingerprint(root)
    for rel in (
        "results/figures/curves.py",
        "study/study.py",
        "study/selection.py",
        "io.py",
    ):
        path = root / rel
        path.write_text(path.read_text() + "\n_UNUSED_CONSTANT = 1\n")
    assert fp.code_fingerprint(root) == before


def test_a_run_without_fingerprint_and_a_version_change_are_named():
    current = fp.code_fingerprint()
    assert fp.changed_modules(None, current) == ["no fingerprint"]
    old = dict(current, fingerprint="0" * 64, versions={"torch": "1.0", "numpy": "1.0"})
    changes = fp.changed_modules(old, current)
    assert changes and all(
        c.startswith(("torch 1.0 -> ", "numpy 1.0 -> ")) for c in changes
    )
    assert (
        fp.describe_change([f"m{i}" for i in range(8)], limit=3) == "m0, m1, m2 +5 more"
    )


def _module_file(name: str) -> Path | None:
    parts = name.split(".")[1:]
    base = PACKAGE.joinpath(*parts)
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _imports(name: str) -> set[str]:
    path = _module_file(name)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m.split(".")[0] == "cggan" and _module_file(m)}


def test_every_module_training_executes_is_fingerprinted_or_declared_harmless():
    # The static import closure of cggan.train plus what the registries import by
    # dotted path (optimizers, dataset loaders).
    from cggan.methods import METHODS
    from cggan.registry import DATASET_FACTS

    todo = ["cggan.train"]
    dotted = [m.optimizer.rpartition(".")[0] for m in METHODS.values()]
    dotted += [facts.module for facts in DATASET_FACTS.values()]
    todo += [m for m in dotted if m.split(".")[0] == "cggan"]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += sorted(_imports(name))
    covered = set(fp.module_files()) | set(fp.NOT_NUMERICAL)
    assert "cggan.optim.cg" in seen and "cggan.train.loop" in seen
    assert sorted(seen - covered) == []


def test_the_fingerprint_module_imports_neither_torch_nor_numpy():
    code = (
        "import sys; import cggan.fingerprint as f; f.code_fingerprint(); "
        "print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_comment_in_the_workflow_does_not_count_a_rule_does(tmp_path):
    workflow = tmp_path / "workflow"
    repo_workflow = Path(__file__).resolve().parents[1] / "workflow"
    shutil.copytree(
        repo_workflow, workflow, ignore=shutil.ignore_patterns("__pycache__")
    )
    before = fp.workflow_fingerprint(workflow)
    rules = workflow / "rules" / "train.smk"
    text = rules.read_text()
    assert "--failure-exit-code 0" in text
    rules.write_text(
        "# a comment\n\n" + text.replace("\n\n\n", "\n\n\n# another\n\n\n", 1)
    )
    schema = workflow / "schemas" / "config.schema.yaml"
    schema_text = schema.read_text()
    schema.write_text("# a comment\n" + schema_text)
    assert fp.workflow_fingerprint(workflow) == before
    # the last occurrence is a rule's shell command (the first one, a comment)
    head, flag, tail = text.rpartition("--failure-exit-code 0")
    assert head.rpartition("\n")[2].lstrip().startswith('"')
    rules.write_text(head + flag.replace("0", "1") + tail)
    changed = fp.workflow_fingerprint(workflow)
    assert changed != before
    rules.write_text(text)
    caption = workflow / "report" / "summary.rst"
    caption.write_text(caption.read_text() + "\nOne more sentence.\n")
    assert fp.workflow_fingerprint(workflow) not in (before, changed)
