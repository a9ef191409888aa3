"""Sweep chunks: the configured grid's sweep runs of one pool, trained in jobs of up to
``sweep_chunk`` runs (config key; 1 = one job per run).

Why: a small CPU run trains in seconds, and a job of its own pays the interpreter and
torch start-up (a few seconds) every time; a chunk pays it once. Each run of a chunk is
still exactly the run a job of its own would make (its own directory, spec and seed).

How the workflow sees a chunk: one rule, ``train_chunk``, with the chunk as a wildcard
(``{experiment}/{method}/{lr_rule}/chunk{chunk}``). Snakemake cannot give one rule a
number of outputs that varies with a wildcard, so the job's output is a *receipt*: a
JSON file listing its runs and the SHA-256 of each ``summary.json`` it left. Whatever
reads the sweep (grid extension, selection, aggregation) depends on the receipts, and
the receipts are checked at planning (:func:`receipt_problems`): a receipt whose runs
are not the chunk's runs any more, or whose summaries were edited or deleted, is set
aside and its chunk's job runs again (:mod:`cggan.study.set_asides`), training exactly
its missing runs (a finished run of the same spec is returned from its summary without
training).

A chunk never mixes experiment x method x rule pools, and chunks are numbered within
their pool, so changing one pool's grid never renames another pool's chunks.
Torch-free.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cggan.checks import invalid
from cggan.io import atomic_write_json, sha256_file
from cggan.study.layout import summary_path

__all__ = [
    "SweepChunk",
    "sweep_chunks",
    "receipt_path",
    "receipt_problems",
    "sweep_targets",
    "write_receipt",
]


@dataclass(frozen=True)
class SweepChunk:
    """Up to ``sweep_chunk`` sweep runs of one pool, trained in one job."""

    experiment: str
    method: str
    lr_rule: str
    index: int
    run_dirs: tuple[str, ...]

    def wildcards(self) -> dict[str, str]:
        return {
            "experiment": self.experiment,
            "method": self.method,
            "lr_rule": self.lr_rule,
            "chunk": str(self.index),
        }


def receipt_path(study, chunk: SweepChunk) -> str:
    """A chunk's receipt (``study.paths.receipt()`` is `train_chunk`'s output)."""
    return study.paths.receipt(**chunk.wildcards())


def sweep_chunks(study, size: int) -> list[SweepChunk]:
    """The configured grid's sweep runs in chunks of up to ``size`` runs; none when
    ``size`` is 1 (every run is a job of its own, the ``train`` rule's).

    Grid-extension settings are not chunked: an extension round adds one or two
    settings to a pool, and they train as jobs of their own.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise invalid("sweep_chunk", size, "an integer >= 1")
    if size == 1:
        return []
    chunks = []
    for exp in study.experiments:
        for method, rule in study.groups(exp):
            dirs = [
                study.paths.run_dir(exp, method, rule, sid, seed)
                for sid in study.settings(exp, method, rule, rounds=0)
                for seed in study.sweep_seeds
            ]
            chunks += [
                SweepChunk(exp, method, rule, k, tuple(dirs[i : i + size]))
                for k, i in enumerate(range(0, len(dirs), size))
            ]
    return chunks


def sweep_targets(
    study, size: int, experiment: str | None = None, rounds: int | None = None
) -> list[str]:
    """The files that say the sweep runs are done: the chunks' receipts, and the
    ``summary.json`` of every sweep run outside a chunk (grid extensions up to
    ``rounds``, or every run when ``size`` is 1)."""
    chunks = [
        c for c in sweep_chunks(study, size) if experiment in (None, c.experiment)
    ]
    chunked = {d for c in chunks for d in c.run_dirs}
    return [receipt_path(study, c) for c in chunks] + [
        summary_path(d)
        for d in study.sweep_run_dirs(experiment, rounds=rounds)
        if d not in chunked
    ]


def write_receipt(path: str | os.PathLike, run_dirs: Iterable[str]) -> None:
    """Record that the runs in ``run_dirs`` are done: each with its summary's SHA-256.

    Raises:
        FileNotFoundError: a run has no summary.json (the job did not finish it).
    """
    runs = []
    for run_dir in run_dirs:
        summary = Path(run_dir) / "summary.json"
        if not summary.is_file():
            raise FileNotFoundError(f"{summary}: no summary, so no receipt for {path}")
        runs.append({"run_dir": str(run_dir), "summary_sha256": sha256_file(summary)})
    atomic_write_json(path, {"runs": runs})


def _receipt_problem(path: Path, chunk: SweepChunk) -> str | None:
    try:
        runs = json.loads(path.read_text())["runs"]
        listed = tuple(r["run_dir"] for r in runs)
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable"
    if listed != chunk.run_dirs:
        return "its runs are not the chunk's runs of this config"
    for run in runs:
        summary = Path(run["run_dir"]) / "summary.json"
        if not summary.is_file():
            return f"{summary} is missing"
        if sha256_file(summary) != run["summary_sha256"]:
            return f"{summary} changed after the job"
    return None


def receipt_problems(study, size: int) -> list[tuple[SweepChunk, str, str]]:
    """The existing receipts that no longer vouch for their chunk. Reads only.

    Returns:
        ``(chunk, receipt path, problem)`` per such receipt.
    """
    found = []
    for chunk in sweep_chunks(study, size):
        path = Path(receipt_path(study, chunk))
        if not path.exists():
            continue
        problem = _receipt_problem(path, chunk)
        if problem:
            found.append((chunk, str(path), problem))
    return found
