"""Entry points: :func:`run` (one run, for Python callers) and :func:`train_runs` (the
runs of one job, one after the other, with the exit code of ``scripts/train.py``).

Exit codes of :func:`train_runs` (see ``docs/training.md``):

* 0: every run finished or diverged (its summary.json says which); also a failed run
  when ``failure_exit_code`` is 0.
* ``failure_exit_code`` (default 1): a run failed by itself (an exception from a method
  or model, recorded in summary.json with status ``failed``). The next runs still train.
* 2: bad input (invalid spec, mismatched FID statistics, no intact checkpoint or one of
  another spec, an allocation larger than the device's whole memory while training):
  one ``error:`` line on stderr, nothing written for that run. The job stops.
* 75 (``EX_TEMPFAIL``): an environment failure (a full disk, an I/O error, no memory,
  CUDA out of memory): no summary.json, so the next workflow run retries it. The job
  stops; runs it finished keep their summaries.
* 143 / 130: SIGTERM / SIGINT (128 + the signal's number, as a shell reports a process
  killed by it): the run in progress saved a checkpoint at the end of its iteration and
  has no summary.json; rerunning resumes it. The job stops; runs it finished keep their
  summaries.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

from cggan.io import read_json_object
from cggan.runtime import (
    StopRequest,
    allocation_beyond_memory,
    is_environment_failure,
    stop_signals,
)
from cggan.spec import RunSpec
from cggan.train.interrupted import Interrupted
from cggan.train.loop import Trainer

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_ENVIRONMENT",
    "load_spec",
    "run",
    "train_runs",
]

EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 75  # EX_TEMPFAIL of sysexits.h: "try again later"


def run(spec: RunSpec | dict, run_dir: str | os.PathLike, **options: Any) -> dict:
    """Train one run of the grid and return its summary.

    Args:
        spec: the run spec (:class:`cggan.spec.RunSpec`, or its JSON object); its
            JSON form is stored in summary.json.
        run_dir: output directory (created).
        **options: :class:`cggan.train.Trainer`'s keyword arguments, passed through:
            ``fid_stats``, ``inception_weights``, ``threads``, ``device``, ``resume``,
            ``fresh`` (documented there).

    Returns:
        The summary (also written last, atomically, to ``run_dir/summary.json``):
        status (``finished``, ``diverged``, ``failed``), diverged_at, error, traceback,
        metric_name (``fid`` or ``modes``), metric_mode (``min``: lower is better,
        ``max``), best_metric, best_iteration, final_metric (null when diverged or
        non-finite), iterations, optimizer_steps, wall_time_s, eval_time_s, versions,
        git_revision, device, threads, spec, files (``{"metrics.csv": sha256 hex}``).

    Raises:
        ValueError: bad spec, unsupported setting, mismatched FID statistics, no intact
            checkpoint or one of another spec (:class:`CheckpointError`); raised before
            any file is written.
        Interrupted: SIGTERM/SIGINT; a checkpoint is written, no summary.
        Exception: an environment failure, with no summary; or whatever else made the
            run fail, re-raised after summary.json recorded it.
    """
    return Trainer(spec, run_dir, **options).execute()


def load_spec(source: RunSpec | dict | str) -> RunSpec:
    """The validated spec given as a RunSpec, a dict, an inline JSON object, or the
    path of a JSON file.

    Raises:
        ValueError: no such file and not a JSON object, invalid JSON, or an invalid
            spec (one line naming the key).
    """
    if isinstance(source, (RunSpec, dict)):
        return RunSpec.from_dict(source) if isinstance(source, dict) else source
    return RunSpec.from_dict(read_json_object(source, "--spec"))


def train_runs(
    specs: list[RunSpec | dict | str],
    outs: list[str | os.PathLike],
    *,
    failure_exit_code: int = 1,
    **options,
) -> int:
    """Train several runs one after the other in this process; return the exit code.

    Every spec is loaded and validated (:class:`cggan.spec.RunSpec`) before the first
    run starts. Each run is exactly
    the run a job of its own would make (its own directory, seed and RNG streams). A
    stop signal or an environment failure ends the job (see the module's exit codes).

    Args:
        specs: run specs (see :func:`load_spec`).
        outs: one run directory per spec.
        failure_exit_code: the exit code of a run that failed by itself.
        **options: ``fid_stats``, ``inception_weights``, ``threads``, ``device``,
            ``fresh``, as for :func:`run`.
    """
    try:
        if options.get("threads", 1) < 1:
            threads = options["threads"]
            raise ValueError(f"Invalid --threads: {threads} (allowed: >= 1)")
        if len(specs) != len(outs):
            raise ValueError(
                f"Invalid --out: {len(outs)} given for {len(specs)} --spec (allowed: "
                "one --out per --spec)"
            )
        loaded = [load_spec(spec) for spec in specs]  # all checked before any run
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    exit_code = 0
    try:
        with stop_signals() as stop:
            for spec, out in zip(loaded, outs):
                code, go_on = _train_one(
                    spec, Path(out), stop, failure_exit_code, options
                )
                exit_code = exit_code or code
                if not go_on:
                    return code
    except KeyboardInterrupt:  # a second Ctrl-C: stopped without a checkpoint
        return 130
    return exit_code


def _train_one(
    spec: RunSpec, out: Path, stop: StopRequest, failure_exit_code: int, options: dict
) -> tuple[int, bool]:
    """(exit code, whether the job goes on with its next run)."""
    if stop.requested:
        return _not_started(stop, out), False
    try:
        trainer = Trainer(spec, out, **options)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT, True
    except Exception as exc:
        if not is_environment_failure(exc):  # a bug: let it show as one
            raise
        return _environment_failure(exc, out), False
    if stop.requested:  # arrived while building: nothing trained, nothing to save
        return _not_started(stop, out), False
    try:
        summary = trainer.execute()
    except Interrupted as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code, False
    except Exception as exc:  # noqa: BLE001 - recorded in summary.json, or retried
        if is_environment_failure(exc):
            return _environment_failure(exc, out), False
        message = allocation_beyond_memory(exc)
        if message is not None:  # fails on every attempt: bad input, never retried
            print(f"error: {out}: {message}", file=sys.stderr)
            return EXIT_BAD_INPUT, False
        traceback.print_exc()
        print(f"error: run failed; see {out / 'summary.json'}", file=sys.stderr)
        return failure_exit_code, True
    print(
        f"{summary['status']}: {out} ({summary['metric_name']} best "
        f"{summary['best_metric']} at {summary['best_iteration']}, final "
        f"{summary['final_metric']})",
        file=sys.stderr,
    )
    return 0, True


def _environment_failure(exc: Exception, out: Path) -> int:
    # one line, no traceback: the disk, the memory or the file system failed, not the
    # code, and the line names the error and its file
    print(
        f"error: environment failure ({type(exc).__name__}: {exc}); nothing recorded "
        f"in {out}, run again to retry",
        file=sys.stderr,
    )
    return EXIT_ENVIRONMENT


def _not_started(stop: StopRequest, out: Path) -> int:
    print(f"{stop.name}: {out} not started", file=sys.stderr)
    return 128 + stop.signum
