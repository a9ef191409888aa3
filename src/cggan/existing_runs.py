"""Existing run directories of a study, checked before its DAG is planned.

A run produced by a different config is refused (one line: the directory and the first
differing key); a run whose ``summary.json`` cannot be read, or whose ``metrics.csv`` no
longer matches the checksum the summary recorded, is set aside so that the workflow
trains it again. Torch-free.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cggan.spec import with_added_keys

if TYPE_CHECKING:
    from cggan.study import Study

__all__ = [
    "UNREADABLE_SUFFIX",
    "RunCheck",
    "first_difference",
    "check_existing_runs",
    "read_summary",
    "set_aside_unreadable",
]


def first_difference(a: Any, b: Any, prefix: str = "") -> str | None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for k in sorted(set(a) | set(b)):
            d = first_difference(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else k)
            if d:
                return d
        return None
    if a != b:
        return f"{prefix}: stored {json.dumps(a)} != configured {json.dumps(b)}"
    return None


UNREADABLE_SUFFIX = ".unreadable"


@dataclass
class RunCheck:
    """What :func:`check_existing_runs` found under a study's runs root.

    Attributes:
        checked: run directories whose stored spec equals the configured one.
        unreadable: ``(summary path, reason)`` of runs whose summary.json cannot be read
            or whose metrics.csv no longer matches the checksum the summary recorded.
    """

    checked: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def read_summary(path: str | os.PathLike) -> dict[str, Any]:
    """A run's summary.json, verified against the files it describes.

    Raises:
        ValueError: one line naming the file: unreadable JSON, not an object, or a
            metrics.csv whose SHA-256 differs from the one recorded in ``files``.
    """
    from cggan.io import sha256_file

    path = Path(path)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: unreadable run summary ({exc})") from None
    if not isinstance(summary, dict) or "status" not in summary:
        raise ValueError(f"{path}: unreadable run summary (no status)")
    for name, digest in (summary.get("files") or {}).items():
        target = path.parent / name
        try:
            actual = sha256_file(target)
        except OSError as exc:
            raise ValueError(f"{target}: unreadable run file ({exc})") from None
        if actual != digest:
            raise ValueError(
                f"{target}: checksum differs from {path.name} (edited or truncated)"
            )
    return summary


def check_existing_runs(
    study: Study, *, seeds: Iterable[int] | None = None
) -> RunCheck:
    """Check the existing run directories of a study before its DAG is planned.

    Walks only the directories that exist under the study's runs root, so it costs
    nothing on a fresh checkout. A directory of a setting the config no longer lists is
    left alone (it is not part of this study's DAG).

    Returns:
        The runs checked and the unreadable ones (see :func:`set_aside_unreadable`).

    Raises:
        ValueError: one line with the run directory and the first differing key, when a
            run was produced by a different config.
    """
    root = Path(study.runs_root())
    result = RunCheck()
    if not root.is_dir():
        return result
    seeds = set(seeds if seeds is not None else [study.sweep_seed, *study.seeds])
    for dirpath, dirnames, filenames in os.walk(root):
        if "summary.json" not in filenames:
            continue
        dirnames.clear()
        where = _configured_run(study, dirpath, seeds)
        if where is None:
            continue
        try:
            stored = read_summary(Path(dirpath) / "summary.json").get("spec")
        except ValueError as exc:
            result.unreadable.append((str(Path(dirpath) / "summary.json"), str(exc)))
            continue
        wanted = study.run_spec(
            where["experiment"],
            where["method"],
            where["lr_rule"],
            where["setting"],
            where["seed"],
        )
        wanted = json.loads(json.dumps(wanted))
        # a run written before keys were added to the spec format is still this config's
        diff = first_difference(with_added_keys(stored, wanted), wanted)
        result.checked += 1
        if diff:
            raise ValueError(
                f"Invalid study: {study.name!r}: {dirpath} was produced by a "
                f"different config ({diff}) (allowed: the same config, "
                "a new `study` name, or delete the run)"
            )
    return result


def _configured_run(
    study: Study, dirpath: str, seeds: set[int]
) -> dict[str, Any] | None:
    from cggan.study import parse_run_dir  # here: cggan.study re-exports this module

    try:
        where = parse_run_dir(dirpath)
    except ValueError:
        return None
    key = (where["experiment"], where["method"], where["lr_rule"])
    if (
        key not in study._settings
        or where["setting"] not in study._settings[key]
        or where["seed"] not in seeds
    ):
        return None
    return where


def set_aside_unreadable(unreadable: Iterable[tuple[str, str]]) -> list[str]:
    """Rename each unreadable ``summary.json`` to ``summary.json.unreadable``.

    Without its summary the run is incomplete, so the workflow plans it again (training
    resumes from its verified checkpoint or starts over); the bad file is kept for
    inspection, never deleted.

    Returns:
        One line per run set aside, for the user.
    """
    lines = []
    for path, reason in unreadable:
        os.replace(path, path + UNREADABLE_SUFFIX)
        lines.append(
            f"{reason}: kept as {Path(path).name}{UNREADABLE_SUFFIX}, retraining"
        )
    return lines
