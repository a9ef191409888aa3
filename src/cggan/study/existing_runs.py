"""Existing run directories of a study, checked before its DAG is planned.

A run produced by a different config is refused (one line: the directory and the first
differing key); a run whose ``summary.json`` cannot be read, whose ``metrics.csv`` no
longer matches the checksum the summary recorded, or whose summary numbers
(``final_metric``, ``best_metric``, ``best_iteration``) are not the ones its
``metrics.csv`` gives (a hand-edited summary) is set aside so that the workflow trains
it again. A run made by other training code (its code fingerprint,
:mod:`cggan.fingerprint`, differs from the current one, or it has none) is *stale*:
reported in one line per study naming the changed modules, and set aside and retrained
(config ``stale_runs: retrain``, the default) or kept (``stale_runs: keep``).

Nothing here writes: planning only finds and reports; what is set aside is decided by
:mod:`cggan.study.set_asides` and done by a real run after it took the study's lock.
The one writer, :func:`restore_stale`, is a user's explicit command
(``scripts/restore_stale.py``). Torch-free.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cggan.checks import differences
from cggan.registry import METRIC_DIRECTION
from cggan.spec import identity
from cggan.study.layout import parse_run_dir

if TYPE_CHECKING:
    from cggan.study.study import Study

__all__ = [
    "STALE_FILES",
    "RunCheck",
    "first_difference",
    "check_existing_runs",
    "read_summary",
    "restorable_line",
    "restore_stale",
    "stale_line",
]


def first_difference(
    a: Any,
    b: Any,
    prefix: str = "",
    *,
    against: str = "configured",
    into_lists: bool = False,
) -> str | None:
    """The first key (dotted path) where the stored ``a`` and ``b`` differ, as one
    phrase ``key: stored A != <against> B``; None when equal. A key one side lacks
    counts as null there (:func:`cggan.checks.differences`); with ``into_lists``, two
    lists of one length are compared element by element (``key[i]``). Each value is
    shortened to :data:`SHOWN_CHARS` characters, so the phrase stays one short line."""
    for key, va, vb in differences(a, b, prefix, missing=None):
        same_length = (
            isinstance(va, list) and isinstance(vb, list) and len(va) == len(vb)
        )
        if into_lists and same_length:  # the first differing element, by its index
            for i, (x, y) in enumerate(zip(va, vb)):
                if x != y:
                    inner = first_difference(
                        x, y, f"{key}[{i}]", against=against, into_lists=True
                    )
                    return (
                        inner
                        or f"{key}[{i}]: stored {_shown(x)} != {against} {_shown(y)}"
                    )
        return f"{key}: stored {_shown(va)} != {against} {_shown(vb)}"
    return None


#: The most characters of one value a difference shows.
SHOWN_CHARS = 60


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


#: What a stale run sets aside (``<name>.<digest>.stale``,
#: :mod:`cggan.study.set_asides`): its summary, so that the run is planned again, and
#: its checkpoints, so that it is not resumed from the old code's.
STALE_FILES = (
    "summary.json",
    "checkpoint.pt",
    "checkpoint.prev.pt",
    "checkpoint.sha256",
)


@dataclass
class RunCheck:
    """What :func:`check_existing_runs` found under a study's runs root.

    Attributes:
        checked: run directories whose stored spec equals the configured one.
        unreadable: ``(summary path, reason)`` of runs whose summary.json cannot be read
            or whose metrics.csv no longer matches the checksum the summary recorded.
        stale: ``(run directory, changes)`` of runs made by other training code
            (:func:`cggan.fingerprint.changed_modules`).
        restorable: run directories a real run set aside as stale (``*.stale``, no
            ``summary.json``) and whose retraining has not begun: planned as missing
            runs; :func:`restore_stale` puts one back.
        study: the study's name; policy: its ``stale_runs`` (``retrain`` or ``keep``).
    """

    checked: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    stale: list[tuple[str, list[str]]] = field(default_factory=list)
    restorable: list[str] = field(default_factory=list)
    study: str = ""
    policy: str = "retrain"


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
    if "metrics.csv" in (summary.get("files") or {}):
        _verify_numbers(path, summary)
    return summary


def _cell(value: str | None) -> float | None:
    if value is None or value.strip() == "":
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _verify_numbers(path: Path, summary: dict[str, Any]) -> None:
    """The summary's numbers must be the ones its (checksummed) metrics.csv gives.

    ``final_metric`` is the last row's metric (finished runs; else null),
    ``best_metric``/``best_iteration`` the first best finite value and its iteration,
    exactly as :class:`cggan.train.Trainer` computes them: a summary whose numbers were
    edited by hand cannot pass. Only the keys the summary has are checked.
    """
    metrics = path.parent / "metrics.csv"
    spec = summary.get("spec") if isinstance(summary.get("spec"), dict) else {}
    metric = summary.get("metric_name") or (spec.get("eval") or {}).get("metric")
    mode = summary.get("metric_mode") or METRIC_DIRECTION.get(metric)
    try:
        with open(metrics, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{metrics}: unreadable run file ({exc})") from None
    values = [(_cell(row.get("iteration")), _cell(row.get(metric))) for row in rows]
    expected: dict[str, Any] = {"final_metric": None}
    if summary.get("status") == "finished" and values and values[-1][1] is not None:
        last = values[-1][1]
        expected["final_metric"] = last if math.isfinite(last) else None
    best = best_at = None
    for at, value in values:
        if value is None or not math.isfinite(value):
            continue
        if best is None or (value < best if mode == "min" else value > best):
            best, best_at = value, at
    expected["best_metric"] = best
    expected["best_iteration"] = None if best_at is None else int(best_at)
    for key, value in expected.items():
        if key in summary and summary[key] != value:
            raise ValueError(
                f"{path}: {key} {json.dumps(summary[key])} is not the "
                f"{json.dumps(value)} of its metrics.csv (edited by hand?)"
            )


def check_existing_runs(
    study: Study, *, seeds: Iterable[int] | None = None
) -> RunCheck:
    """Check the existing run directories of a study before its DAG is planned.

    Walks only the directories that exist under the study's runs root, so it costs
    nothing on a fresh checkout. A directory of a setting the config no longer lists is
    left alone (it is not part of this study's DAG).

    Reads only: nothing is renamed or restored (see :mod:`cggan.study.set_asides`).

    Returns:
        The runs checked, the unreadable ones, the stale ones (see :func:`stale_line`)
        and the ones set aside as stale earlier that can be put back
        (:func:`restore_stale`).

    Raises:
        ValueError: one line with the run directory and the first differing key, when a
            run was produced by a different config.
    """
    from cggan.fingerprint import changed_modules, code_fingerprint

    root = Path(study.paths.runs_root)
    policy = study.config.get("stale_runs", "retrain")
    result = RunCheck(study=study.name, policy=policy)
    if not root.is_dir():
        return result
    current = code_fingerprint()
    seeds = set(seeds if seeds is not None else [*study.sweep_seeds, *study.seeds])
    grids: dict[str, dict] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        set_aside = _stale_summaries(filenames)
        if "summary.json" not in filenames and not set_aside:
            continue
        dirnames.clear()
        where = _configured_run(grids, study, dirpath, seeds)
        if where is None:
            continue
        if "summary.json" not in filenames:
            if _can_restore(filenames):
                result.restorable.append(dirpath)
            continue
        try:
            summary = read_summary(Path(dirpath) / "summary.json")
            stored = summary.get("spec")
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
        # where the data cache lives is not part of a run's identity
        diff = first_difference(identity(stored), identity(wanted))
        result.checked += 1
        if diff:
            raise ValueError(
                f"Invalid study: {study.name!r}: {dirpath} was produced by a "
                f"different config ({diff}) (allowed: the same config, "
                "a new `study` name, or delete the run)"
            )
        changes = changed_modules(summary.get("code"), current)
        if changes:
            result.stale.append((dirpath, changes))
    return result


def _stale_summaries(filenames: Iterable[str]) -> list[str]:
    """The summaries a real run set aside as stale: ``summary.json.<digest>.stale``
    (and ``summary.json.stale``, the name earlier versions used)."""
    return [
        n for n in filenames if n.startswith("summary.json.") and n.endswith(".stale")
    ]


def _can_restore(filenames: Iterable[str]) -> bool:
    """A run set aside as stale can be put back unless its retraining has begun."""
    names = set(filenames)
    return bool(_stale_summaries(names)) and not names & set(STALE_FILES)


def restore_stale(run_dir: str | os.PathLike) -> bool:
    """Put back the run's latest set-aside as stale (``<name>.<digest>.stale`` ->
    ``<name>`` for each of :data:`STALE_FILES`), unless its retraining has begun since
    (one of :data:`STALE_FILES` exists again).

    Returns:
        Whether the run was put back.
    """
    run_dir = Path(run_dir)
    names = [p.name for p in run_dir.iterdir()]
    if not _can_restore(names):
        return False
    latest = max(_stale_summaries(names), key=lambda n: (run_dir / n).stat().st_mtime)
    suffix = latest[len("summary.json") :]
    for name in STALE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.replace(run_dir / (name + suffix), run_dir / name)
    return True


def stale_line(check: RunCheck) -> str | None:
    """One line for the user on the study's stale runs and its ``stale_runs`` policy.

    ``retrain`` (the default): each stale run is planned again, and a real run sets its
    :data:`STALE_FILES` aside as ``<name>.stale`` (kept for inspection) before
    training it from scratch with the current code (:mod:`cggan.study.set_asides`).
    ``keep``: they stay (the study's tables then mix code versions;
    ``cggan.provenance`` records the policy).

    Returns:
        None when no run is stale; else one line naming the study, the number of
        stale runs, the changed modules and what is done.
    """
    if not check.stale:
        return None
    changes = sorted({c for _, cs in check.stale for c in cs})
    from cggan.fingerprint import describe_change

    head = (
        f"study {check.study!r}: {len(check.stale)} of {check.checked} run(s) were "
        f"made by other training code (changed: {describe_change(changes)})"
    )
    if check.policy == "keep":
        return f"{head}: kept (stale_runs: keep); the tables mix code versions"
    return (
        f"{head}: set aside as *.stale, then trained again (stale_runs: keep "
        "keeps them)"
    )


def restorable_line(check: RunCheck, config: str) -> str | None:
    """One line on the runs set aside as stale earlier: planned as missing, and the
    command that puts them back instead."""
    if not check.restorable:
        return None
    return (
        f"study {check.study!r}: {len(check.restorable)} run(s) set aside as "
        "*.stale earlier are trained again; to keep them instead: "
        f"python scripts/restore_stale.py {config}, with stale_runs: keep"
    )


def _configured_run(
    grids: dict[str, dict], study: Study, dirpath: str, seeds: set[int]
) -> dict[str, Any] | None:
    """The run directory's parts, if it is a run of the configured study (``grids``:
    each experiment's :meth:`Study.grid_rounds`, read once per planning)."""
    try:
        where = parse_run_dir(dirpath)
    except ValueError:
        return None
    exp = where["experiment"]
    if exp not in study.experiments or where["seed"] not in seeds:
        return None
    if exp not in grids:
        grids[exp] = study.grid_rounds(exp)
    if (where["method"], where["lr_rule"], where["setting"]) not in grids[exp]:
        return None
    return where
