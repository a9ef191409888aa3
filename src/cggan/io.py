"""Atomic file writes (a killed job never leaves a half-written file under its final
name), and the one YAML loader of the project (:func:`load_yaml`).

Every writer goes through a temporary file in the destination's directory (same file
system, so ``os.replace`` is atomic), is flushed and fsynced, and is renamed only when
complete; the directory is fsynced after the rename, so the new name
survives a power cut too. :func:`atomic_file_set` writes a whole set of files (a
study's tables and plots) so that none of them changes before all of the new ones are
complete.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "FileSet",
    "atomic_file_set",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "atomic_torch_save",
    "load_yaml",
    "sha256_file",
]


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; rename it to ``path`` only on success.

    Args:
        path: final destination. Parent directories are created.
        mode: ``"w"`` (text) or ``"wb"`` (binary).

    Yields:
        The open temporary file. If the block raises, the temporary file is removed and
        ``path`` is left untouched.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"Invalid mode: {mode!r} (allowed: 'w', 'wb')")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600 files; give the result the permissions open() would have.
        os.chmod(tmp, 0o666 & ~_current_umask())
        with os.fdopen(
            fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})
        ) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: the directory entry must reach the disk too (POSIX)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # e.g. Windows cannot open directories; the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        # some file systems (e.g. certain network mounts) refuse fsync on directories
        pass
    finally:
        os.close(fd)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented, key-sorted JSON (NaN/inf are rejected: use None)."""
    atomic_write_text(
        path, json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n"
    )


def atomic_torch_save(path: str | os.PathLike, obj: Any) -> None:
    """``torch.save`` to ``path`` atomically."""
    import torch  # local import: keep this module importable without paying for torch

    with atomic_open(path, "wb") as fh:
        torch.save(obj, fh)


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


class FileSet:
    """The staging directory (``dir``) of :func:`atomic_file_set` and its target."""

    def __init__(self, staging: Path, out_dir: Path) -> None:
        self.dir = staging
        self.out_dir = out_dir

    def final(self, path: str | os.PathLike) -> Path:
        """Where a file written under :attr:`dir` lands once the set is complete."""
        return self.out_dir / Path(path).relative_to(self.dir)


@contextlib.contextmanager
def atomic_file_set(out_dir: str | os.PathLike, name: str = "set") -> Iterator[FileSet]:
    """Write a set of files under ``out_dir`` as one.

    The block writes its files under ``FileSet.dir`` (a hidden staging directory
    ``out_dir/.<name>.<random>.tmp``) at the paths they will have below ``out_dir``.
    Only when the block completes is each file renamed into place (``os.replace``: the
    old version of every file is kept until the whole new set is complete; the renames
    take milliseconds); then the staging directory is removed. If the block raises,
    nothing under ``out_dir`` changes. Temporaries left by a killed earlier write (a
    staging directory of the same ``name``, ``.<file>.*.tmp`` beside a file of the set)
    are removed on success; git and DVC ignore ``*.tmp``.

    Yields:
        The :class:`FileSet`; ``FileSet.final(path)`` maps a staged path to its place.
    """
    out_dir = Path(out_dir)
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir))
    try:
        try:
            yield FileSet(staging, out_dir)
        except BaseException:
            if created:  # a failed first write leaves no empty output directory
                shutil.rmtree(out_dir, ignore_errors=True)
            raise
        staged = sorted(p for p in staging.rglob("*") if p.is_file())
        folders = set()
        for path in staged:
            target = out_dir / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            folders.add(target.parent)
        for folder in sorted(folders):
            _fsync_dir(folder)
        for path in staged:  # leftovers of a killed write of one of these files
            target = out_dir / path.relative_to(staging)
            for stray in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
                with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                    stray.unlink()
        for stray in out_dir.glob(f".{glob.escape(name)}.*.tmp"):
            if stray != staging:
                shutil.rmtree(stray, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _unique_key_loader() -> type:
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        """``yaml.SafeLoader`` that refuses a key given twice in one mapping (YAML
        itself keeps the last value silently). Merge keys (``<<``) may still be
        overridden: only the keys written in the mapping itself are compared."""

        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                lines: dict[Any, int] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        first = lines.get(key)
                    except TypeError:  # an unhashable key: the base class says so
                        continue
                    line = key_node.start_mark.line + 1
                    if first is not None:
                        raise yaml.constructor.ConstructorError(
                            None,
                            None,
                            f"duplicated key {key!r} (lines {first} and {line}; YAML "
                            "would silently keep the last value)",
                            key_node.start_mark,
                        )
                    lines[key] = line
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def load_yaml(path: str | os.PathLike) -> Any:
    """Read a YAML file as ``yaml.safe_load`` does, refusing duplicated keys.

    Every config and YAML file the project reads goes through here (the workflow checks
    Snakemake's ``--configfile`` with it too), so that ``lr: 1`` followed later by
    ``lr: 2`` in the same mapping is an error, not a silent override.

    Raises:
        ValueError: one line, ``Invalid <path>: ...``: unreadable, not YAML, or a
            duplicated key (with its line numbers).
    """
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"Invalid {path}: unreadable ({exc})") from None
    try:
        return yaml.load(text, Loader=_unique_key_loader())  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark and "line" not in problem else ""
        raise ValueError(f"Invalid {path}: {' '.join(problem.split())}{at}") from None


def read_json_object(source: str | os.PathLike, flag: str) -> dict[str, Any]:
    """A JSON object given on a command line as its text (``{...}``) or as the path of
    a JSON file: a run spec (``--spec``), a study config (``--study-config``), a toy
    config (``--toy-config``).

    Raises:
        ValueError: one line naming the file (or ``flag`` for JSON text): unreadable,
            invalid JSON, or not a JSON object.
    """
    text, where = str(source), flag
    if not text.lstrip().startswith("{"):
        where = text
        try:
            text = Path(where).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{where}: unreadable ({exc})") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: invalid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{where}: not a JSON object")
    return value
