"""The code fingerprint of a training run: which code (and which torch/numpy) made it.

A run's numbers depend on the library code its training process executes, so each run
records a fingerprint of that code in ``summary.json`` and in its checkpoint; at
planning, a run whose fingerprint differs from the current code's is *stale*
(:mod:`cggan.study.existing_runs`), and a checkpoint of other code is never resumed.

What is fingerprinted (:data:`TRAINING_CODE`): every module of the packages and the
modules a training run imports or executes: ``cggan.train`` (the loop, checkpoints,
evaluation, outputs), ``cggan.optim`` (the optimizers, loaded by dotted path from the
method registry), ``cggan.games`` (update schemes), ``cggan.models``, ``cggan.data``
(loaded by name from the dataset registry), ``cggan.metrics`` (FID/KID/modes
evaluated during training), and the modules ``cggan`` (its ``__init__``),
``cggan.gan``, ``cggan.methods``, ``cggan.convergence``, ``cggan.lr_rules``,
``cggan.spec``, ``cggan.fid_protocol``, ``cggan.runtime``, ``cggan.registry``,
``cggan.checks``. Not
fingerprinted: what only plans, aggregates or reports (the ``cggan.study`` package,
``cggan.results``, ``cggan.toy``, ...), ``cggan.io`` (atomic file writes: bytes on
disk, never a number) and this module, so that changing them
re-aggregates without retraining.
``tests/test_fingerprint.py`` checks that every ``cggan`` module training imports
(statically, and the registries' dotted paths) is fingerprinted or listed in
:data:`NOT_NUMERICAL`.

Each module's source is normalised before hashing: parsed with :mod:`ast`, docstrings
removed, and written back with :func:`ast.unparse`, so comments, docstrings and
formatting do not count; any change of the code itself does. The versions of torch
and numpy (read with :mod:`importlib.metadata`: this module imports neither) are part
of the fingerprint too. Torch-free and cheap (about 50 small files, each parsed once
per process and file version).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import io
import json
import tokenize
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "NOT_NUMERICAL",
    "TRAINING_CODE",
    "changed_modules",
    "code_fingerprint",
    "describe_change",
    "module_files",
    "normalised_source",
    "source_fingerprint",
    "workflow_fingerprint",
]

#: Packages (every module below them) and modules whose code a training run executes.
TRAINING_CODE = (
    "cggan",  # the package's __init__ only
    "cggan.checks",
    "cggan.convergence",  # summary.json's convergence diagnostic
    "cggan.data.*",
    "cggan.fid_protocol",  # the FID protocol a run checks its statistics against
    "cggan.games.*",
    "cggan.gan",
    "cggan.lr_rules",
    "cggan.methods",
    "cggan.metrics.*",
    "cggan.models.*",
    "cggan.optim.*",
    "cggan.registry",
    "cggan.runtime",
    "cggan.spec",
    "cggan.train.*",
)
#: Modules a training run imports that cannot change a number it computes (left out
#: of the fingerprint even inside a package of :data:`TRAINING_CODE`).
NOT_NUMERICAL = (
    "cggan.fingerprint",
    "cggan.io",
    "cggan.hparams",  # refuses bad hyperparameter values; never changes a kept one
    # event files of what a run computed, never a number it reports (metrics.csv and
    # summary.json are the same with logging off or on: tests/train/test_tensorboard.py)
    "cggan.train.tensorboard",
)
#: Third-party packages whose version is part of the fingerprint.
VERSIONED = ("torch", "numpy")
_PACKAGE_ROOT = Path(__file__).resolve().parent
_HASH_CHARS = 16  # per module: 64 bits tell two versions of one file apart


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if not isinstance(
            node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
        ):
            continue
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return tree


def normalised_source(text: str) -> str:
    """The source without comments, docstrings and formatting (``ast.unparse``)."""
    return ast.unparse(_strip_docstrings(ast.parse(text)))


def module_files(root: str | Path | None = None) -> dict[str, Path]:
    """``{module name: file}`` of :data:`TRAINING_CODE` under a ``cggan`` package dir.

    Args:
        root: the ``cggan`` package directory (default: this module's).
    """
    root = Path(root) if root is not None else _PACKAGE_ROOT
    files: dict[str, Path] = {}
    for entry in TRAINING_CODE:
        parts = entry.split(".")[1:]
        if parts and parts[-1] == "*":
            folder = root.joinpath(*parts[:-1])
            for path in sorted(folder.rglob("*.py")):
                rel = path.relative_to(root).with_suffix("")
                names = ["cggan", *rel.parts]
                if names[-1] == "__init__":
                    names.pop()
                name = ".".join(names)
                if name not in NOT_NUMERICAL:  # e.g. cggan.train.tensorboard
                    files[name] = path
        elif parts:
            files[entry] = root.joinpath(*parts).with_suffix(".py")
        else:
            files[entry] = root / "__init__.py"
    return dict(sorted(files.items()))


def _module_hash(path: Path) -> str:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return "missing"
    return _hash_source(str(path), stat.st_mtime_ns, stat.st_size)


@functools.cache
def _hash_source(path: str, mtime_ns: int, size: int) -> str:
    # parsed once per file version and process (mtime and size are the cache key)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return "missing"
    try:
        norm = normalised_source(text)
    except SyntaxError:
        norm = text  # not ours to judge here: the import will fail with the details
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:_HASH_CHARS]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def code_fingerprint(root: str | Path | None = None) -> dict[str, Any]:
    """The fingerprint of the training code as it is on disk now.

    Args:
        root: the ``cggan`` package directory (default: this module's).

    Returns:
        ``{"fingerprint": <sha256 hex of all below>, "modules": {module: <16 hex>},
        "versions": {"torch": ..., "numpy": ...}}`` (plain JSON).
    """
    root = Path(root).resolve() if root is not None else _PACKAGE_ROOT
    modules = {name: _module_hash(path) for name, path in module_files(root).items()}
    versions = {package: _version(package) for package in VERSIONED}
    body = json.dumps({"modules": modules, "versions": versions}, sort_keys=True)
    return {
        "fingerprint": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "modules": modules,
        "versions": versions,
    }


def changed_modules(stored: Any, current: dict[str, Any]) -> list[str] | None:
    """What differs between a stored fingerprint and the current one.

    Returns:
        None when they are equal; else the changed, added or removed module names and
        ``"torch x -> y"``-style version changes, sorted; ``["no fingerprint"]`` for a
        run made before fingerprints were recorded (or an unreadable record).
    """
    if not isinstance(stored, dict) or not isinstance(stored.get("modules"), dict):
        return ["no fingerprint"]
    if stored.get("fingerprint") == current["fingerprint"]:
        return None
    old, new = stored["modules"], current["modules"]
    names = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    old_v = stored.get("versions") if isinstance(stored.get("versions"), dict) else {}
    for package, version in current["versions"].items():
        if old_v.get(package) != version:
            names.append(f"{package} {old_v.get(package)} -> {version}")
    return names or ["fingerprint"]


def describe_change(changes: list[str], limit: int = 6) -> str:
    """``cggan.optim.cg, cggan.train.loop``: at most ``limit`` names, then +N more."""
    shown = ", ".join(changes[:limit])
    return shown + (f" +{len(changes) - limit} more" if len(changes) > limit else "")


def source_fingerprint(
    *extra: str | Path, root: str | Path | None = None, base: str | Path = "."
) -> str:
    """SHA-256 (hex) of the normalised source of the whole ``cggan`` package and of
    ``extra`` files (scripts, named as given and read relative to ``base``).

    The workflow gives it to its cheap jobs that run library code outside training
    (aggregation, toy games) as a param, so that Snakemake reruns them when that code
    changes (a change of a comment or docstring does not count).
    """
    root = Path(root) if root is not None else _PACKAGE_ROOT
    files = {str(p.relative_to(root)): p for p in sorted(root.rglob("*.py"))}
    files.update((str(p), Path(base) / p) for p in extra)
    digest = hashlib.sha256()
    for name, path in files.items():
        digest.update(f"{name}:{_module_hash(path)}\n".encode())
    return digest.hexdigest()


def _workflow_file_hash(path: Path) -> str:
    if path.name == "Snakefile" or path.suffix == ".smk":
        # Snakemake's syntax is Python's at the level of tokens: compare the tokens,
        # without comments, blank lines and the width of indentation
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
        kept = [
            (
                tok.type,
                "" if tok.type in (tokenize.INDENT, tokenize.DEDENT) else tok.string,
            )
            for tok in tokens
            if tok.type not in (tokenize.COMMENT, tokenize.NL)
        ]
        body = json.dumps(kept)
    elif path.suffix in (".yaml", ".yml"):  # the config schema: its content, parsed
        import yaml

        body = json.dumps(yaml.safe_load(path.read_text("utf-8")), sort_keys=True)
    else:  # report captions and anything else: every byte is content
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def workflow_fingerprint(workflow: str | Path = "workflow") -> str:
    """SHA-256 (hex) of a Snakemake workflow directory, comments not counted.

    The Snakefile and the ``*.smk`` rule files count by their tokens (a comment, a
    blank line or re-indentation does not count; any other change does), YAML files
    (the config schema) by their parsed content, every other file (the report's
    captions) byte for byte. ``dvc.yaml``'s stages depend on it
    (``scripts/code_fingerprint.py``) rather than on the directory's bytes.
    """
    root = Path(workflow)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts or path.suffix in (".pyc", ".tmp"):
            continue
        rel = path.relative_to(root).as_posix()
        digest.update(f"{rel}:{_workflow_file_hash(path)}\n".encode())
    return digest.hexdigest()
