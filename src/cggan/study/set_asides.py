"""What planning finds must be made again, decided without touching the disk.

Planning a study reads its existing outputs and finds four kinds that cannot be used as
they are:

- a run whose ``summary.json`` is unreadable, or disagrees with its ``metrics.csv``
  (:func:`cggan.study.existing_runs.check_existing_runs`): reason ``unreadable``;
- a run made by other training code (config ``stale_runs: retrain``): ``stale``;
- a selection file that is not the selection of its sweep runs (edited by hand,
  :func:`cggan.study.selection.edited_selections`): ``edited``;
- a chunk receipt that no longer vouches for its runs
  (:func:`cggan.study.chunks.receipt_problems`): ``invalid``.

Planning only decides. Each finding becomes a *set-aside*: the name its file will have
once set aside, ``<file>.<digest>.<reason>`` (the first 12 hex digits of the file's
SHA-256, so that a file set aside again never meets an older one's name). The name says
everything :func:`set_aside` needs: a stale run's checkpoints go with its summary
(``checkpoint.pt.<digest>.stale``, ...), so that it is not resumed from the old code's.

The workflow's ``set_aside`` checkpoint has these names as outputs, and the job that
makes the output again (a run's training job, its chunk's job, the selection) waits for
it. So Snakemake itself plans the set-aside and then the job, says why (the rule and its
``reason`` wildcard), moves the files only in a real run, after it took the study's
lock, and only then plans the waiting job again, which now misses its output; the
confirmation runs of a selection being redone wait for the new selection.
``snakemake -n``, ``--dag``, ``--rulegraph``, ``--summary``, ``--lint`` and ``--unlock``
change nothing, a workflow refused by the lock changed nothing, and reverting a code
edit restores the previous plan.

Why not Snakemake's ``--rerun-triggers params`` with the code fingerprint as a rule
param: that trigger compares with the metadata in ``.snakemake/``, which a copied,
restored or freshly cloned study lacks; the fingerprint in a run's own ``summary.json``
travels with the run. Torch-free.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cggan.io import sha256_file
from cggan.study.chunks import receipt_problems
from cggan.study.existing_runs import STALE_FILES, RunCheck, stale_line
from cggan.study.selection import edited_selections

if TYPE_CHECKING:
    from cggan.study.study import Study

__all__ = [
    "REASONS",
    "SetAsides",
    "plan_set_asides",
    "set_aside",
    "set_aside_name",
    "set_aside_wildcards",
]

#: Why a file is set aside (the last part of its new name).
REASONS = ("stale", "unreadable", "edited", "invalid")
#: Hex digits of the SHA-256 in a set-aside name.
DIGEST_DIGITS = 12


def set_aside_name(path: str | os.PathLike, digest: str, reason: str) -> str:
    """``<path>.<digest>.<reason>``: where a file goes when it is set aside."""
    if reason not in REASONS:
        raise ValueError(f"Invalid set-aside reason: {reason!r} (allowed: {REASONS})")
    return f"{Path(path)}.{digest[:DIGEST_DIGITS]}.{reason}"


@dataclass
class SetAsides:
    """What planning decided; nothing of it is done until :func:`set_aside`.

    Attributes:
        lines: one line per finding, for the user (why its job is planned).
        markers: the output to make again (a run's ``summary.json``, a selection file,
            a receipt) -> the name its set-aside will have (the ``set_aside`` rule's
            output, and an input of the job that makes the output again).
    """

    lines: list[str] = field(default_factory=list)
    markers: dict[str, str] = field(default_factory=dict)

    def markers_for(self, outputs: Iterable[str | os.PathLike]) -> list[str]:
        """The planned set-asides of ``outputs`` (their job waits for them)."""
        keys = (str(Path(o)) for o in outputs)
        return [self.markers[k] for k in keys if k in self.markers]

    def add(self, output: str, reason: str, line: str | None) -> None:
        """Plan to set ``output`` aside, and say why in ``line`` (None: said once for
        many). An identical file set aside before for the same reason is not set aside
        again: one line says which file to delete for that."""
        output = str(Path(output))
        marker = set_aside_name(output, sha256_file(output), reason)
        if Path(marker).exists():
            self.lines.append(
                f"{output}: {reason}, and the same file was set aside before as "
                f"{Path(marker).name}: delete that copy to set this one aside"
            )
            return
        self.markers[output] = marker
        if line:
            self.lines.append(line)


def set_aside_wildcards(marker: str | os.PathLike) -> dict[str, str]:
    """The ``set_aside`` rule's wildcards (path, digest, reason) of a set-aside name."""
    output, digest, reason = _parse(marker)
    return {"path": str(output), "digest": digest, "reason": reason}


def _parse(marker: str | os.PathLike) -> tuple[Path, str, str]:
    """``<output>.<digest>.<reason>`` -> (output, digest, reason)."""
    output, digest, reason = str(marker).rsplit(".", 2)
    if reason not in REASONS or len(digest) != DIGEST_DIGITS:
        raise ValueError(f"Invalid set-aside: {marker} (<file>.<digest>.<reason>)")
    return Path(output), digest, reason


def set_aside(marker: str | os.PathLike) -> list[str]:
    """Set a file aside under the name planning gave it (the ``set_aside`` job, in a
    real run): ``<file>`` -> ``<file>.<digest>.<reason>``, and for a stale run each of
    :data:`cggan.study.existing_runs.STALE_FILES` beside it. Earlier set-asides of
    those files for the same reason are removed first, so that a run set aside again
    and again keeps one copy.

    Returns:
        The files moved, as ``source -> target`` lines.

    Raises:
        ValueError: ``marker`` is not a set-aside name, or the file is no longer the
            one planning saw (its digest differs: plan again).
    """
    output, digest, reason = _parse(marker)
    try:
        actual = sha256_file(output)[:DIGEST_DIGITS]
    except OSError as exc:
        raise ValueError(f"Invalid set-aside: {marker} ({exc})") from None
    if actual != digest:
        raise ValueError(
            f"Invalid set-aside: {marker} ({output.name} changed since planning; "
            "plan again)"
        )
    names = [output.name]
    if reason == "stale":
        names += [n for n in STALE_FILES if n != output.name]
    done = []
    for name in names:
        source = output.parent / name
        for earlier in source.parent.glob(f"{name}.*.{reason}"):
            if _is_set_aside(source, earlier):
                earlier.unlink()
        if source.exists():
            target = source.parent / f"{name}.{digest}.{reason}"
            os.replace(source, target)
            done.append(f"{source} -> {target}")
    return done


def _is_set_aside(output: Path, path: Path) -> bool:
    """Whether ``path`` is named as a set-aside of ``output``."""
    rest = path.name[len(output.name) + 1 :].split(".")
    if len(rest) != 2 or rest[1] not in REASONS or len(rest[0]) != DIGEST_DIGITS:
        return False
    return all(c in "0123456789abcdef" for c in rest[0])


def plan_set_asides(study: Study, check: RunCheck, chunk_size: int) -> SetAsides:
    """Decide what the study's existing outputs need, reading only.

    Args:
        study: the study being planned.
        check: what :func:`cggan.study.existing_runs.check_existing_runs` found.
        chunk_size: the config's ``sweep_chunk``.
    """
    out = SetAsides()
    for path, reason in check.unreadable:
        out.add(path, "unreadable", f"{reason}: set aside, then trained again")
    line = stale_line(check)
    if line:
        out.lines.append(line)
    if check.policy != "keep":
        for run_dir, _ in check.stale:
            out.add(str(Path(run_dir) / "summary.json"), "stale", None)
    for chunk, path, problem in receipt_problems(study, chunk_size):
        summaries = [f"{d}/summary.json" for d in chunk.run_dirs]
        if out.markers_for(summaries):
            continue  # the chunk's job runs again for its set-aside runs
        out.add(path, "invalid", f"{path}: {problem}; set aside, its chunk trains")
    for _, path, difference in edited_selections(study):
        out.add(
            path,
            "edited",
            f"{path} is not the selection of its sweep runs ({difference}); set "
            "aside, the selection is redone",
        )
    return out
