"""Where a run resumes from: a finished run's summary, or its checksummed checkpoints.

Files in the run directory:

* ``checkpoint.pt``: the latest checkpoint, a plain ``torch.save`` file
  (``torch.load(..., weights_only=True)`` reads it): G, D, both optimizers and
  schedulers, every RNG state, the data order, the metric rows and accumulators so far.
* ``checkpoint.prev.pt``: the checkpoint before it, kept as a fallback.
* ``checkpoint.sha256``: the SHA-256 of the serialized bytes of both, in ``sha256sum``
  format (``sha256sum -c checkpoint.sha256`` checks them by hand).

A checkpoint whose bytes do not match a recorded digest (flipped bits, a truncated
copy) is refused with one line naming it, and the run falls back to
``checkpoint.prev.pt`` when that one is intact; resuming is exact, so the fallback
only costs the iterations in between. With no intact checkpoint the run stops
(:class:`CheckpointError`) and ``--fresh`` starts it over. A checkpoint (or a finished
summary) of another spec, or made by other training code (its code fingerprint,
:mod:`cggan.fingerprint`, differs from the current one), is refused the same way: a
resumed run is always made by one code from its first iteration to its last.

Saving never leaves a moment without an intact, listed checkpoint on disk: the digest
list is written first (the new digest and the digest of the checkpoint that is kept),
then the current checkpoint becomes the previous one, then the new one is written; every
write is atomic.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import sys
from pathlib import Path

import torch

from cggan.fingerprint import changed_modules, code_fingerprint, describe_change
from cggan.io import atomic_write_bytes, atomic_write_text
from cggan.runtime import get_rng_state
from cggan.spec import RunSpec, spec_difference

__all__ = [
    "CHECKPOINT",
    "CHECKPOINT_FORMAT",
    "CHECKSUMS",
    "PREVIOUS_CHECKPOINT",
    "CheckpointError",
    "CheckpointFiles",
    "capture",
    "read_finished_summary",
    "restore",
]

CHECKPOINT_FORMAT = 1
CHECKPOINT = "checkpoint.pt"
PREVIOUS_CHECKPOINT = "checkpoint.prev.pt"
CHECKSUMS = "checkpoint.sha256"
_FRESH = "pass --fresh to start over"


class CheckpointError(ValueError):
    """A checkpoint (or a finished run's summary) not to be trusted for this spec."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_finished_summary(run_dir: Path, spec: RunSpec) -> dict | None:
    """The summary of a finished or diverged run of ``spec`` in ``run_dir``, if any.

    Args:
        run_dir: the run directory.
        spec: the run's spec.

    Returns:
        The stored summary, or None when there is none or it records a failed attempt
        (which is run again, resuming from its checkpoint).

    Raises:
        CheckpointError: the summary is unreadable, or it is of another spec.
    """
    path = run_dir / "summary.json"
    if not path.is_file():
        return None
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        status, stored = summary["status"], summary["spec"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"Invalid summary {path}: unreadable ({exc}); {_FRESH}"
        ) from None
    if status not in ("finished", "diverged"):
        return None
    diff = _difference(stored, spec)
    if diff:
        raise CheckpointError(
            f"Invalid run directory {run_dir}: it holds a {status} run of another "
            f"spec (differs in {diff}); pass --fresh to replace it"
        )
    changed = _code_difference(summary.get("code"))
    if changed:
        raise CheckpointError(
            f"Invalid run directory {run_dir}: it holds a {status} run made by other "
            f"code (changed: {changed}); pass --fresh to replace it"
        )
    return summary


class CheckpointFiles:
    """``checkpoint.pt``, ``checkpoint.prev.pt`` and ``checkpoint.sha256`` of one run.

    Args:
        run_dir: the run directory.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        # (file name, digest) of the intact checkpoint on disk that the next save keeps
        # as the previous one: the one this process last wrote or verified.
        self._kept: tuple[str, str] | None = None

    @property
    def path(self) -> Path:
        """The latest checkpoint's path."""
        return self.run_dir / CHECKPOINT

    def save(self, state: dict) -> None:
        """Write ``state`` as the latest checkpoint; the latest becomes the previous.

        Args:
            state: what :func:`capture` returned.
        """
        buf = io.BytesIO()
        torch.save(state, buf)
        data = buf.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        listed = {CHECKPOINT: digest}
        if self._kept is not None:
            listed[PREVIOUS_CHECKPOINT] = self._kept[1]
        lines = "".join(f"{d}  {name}\n" for name, d in listed.items())
        atomic_write_text(self.run_dir / CHECKSUMS, lines)
        previous = self.run_dir / PREVIOUS_CHECKPOINT
        if self._kept is None:
            with contextlib.suppress(FileNotFoundError):
                previous.unlink()  # not in the list any more: it could never be used
        elif self._kept[0] == CHECKPOINT:
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.path, previous)
        atomic_write_bytes(self.path, data)
        self._kept = (CHECKPOINT, digest)

    def load(self, spec: RunSpec) -> dict | None:
        """The newest intact checkpoint of ``spec``, or None when there is none at all.

        A checkpoint whose digest is not recorded is refused with one line on stderr
        naming it, and the previous one is tried.

        Args:
            spec: the run's spec.

        Raises:
            CheckpointError: no checkpoint is intact, or the intact one is not a cggan
                checkpoint of this format or was written for another spec.
        """
        names = [
            name
            for name in (CHECKPOINT, PREVIOUS_CHECKPOINT)
            if (self.run_dir / name).is_file()
        ]
        listed = self._listed_digests()
        refused: list[str] = []
        for name in names:
            path = self.run_dir / name
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if digest not in listed:
                refused.append(self._refusal(path, listed))
                continue
            ckpt = _deserialize(path, data)
            _check_compatible(path, ckpt, spec)
            if name != CHECKPOINT:
                why = refused[0] if refused else f"{self.path} is missing"
                print(f"warning: {why}; resuming from {path}", file=sys.stderr)
            self._kept = (name, digest)
            return ckpt
        if not refused:
            return None
        also = f" ({PREVIOUS_CHECKPOINT} too)" if len(refused) > 1 else ""
        raise CheckpointError(f"{refused[0]}{also}; {_FRESH}")

    def _listed_digests(self) -> set[str]:
        try:
            text = (self.run_dir / CHECKSUMS).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return set()
        return {
            line.split()[0].lower()
            for line in text.splitlines()
            if line.split() and len(line.split()[0]) == 64
        }

    @staticmethod
    def _refusal(path: Path, listed: set[str]) -> str:
        if not listed:
            return (
                f"Invalid checkpoint {path}: no checksum to verify it "
                f"({CHECKSUMS} missing or unreadable)"
            )
        return (
            f"Invalid checkpoint {path}: corrupted or truncated (its SHA-256 is not "
            f"the one recorded in {CHECKSUMS})"
        )


def _deserialize(path: Path, data: bytes) -> dict:
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for bad bytes
        raise CheckpointError(
            f"Invalid checkpoint {path}: corrupted or truncated ({_first_line(exc)}); "
            f"{_FRESH}"
        ) from None


def _difference(stored, spec: RunSpec) -> str | None:
    """The keys in which a stored spec differs from ``spec``, as text
    (:func:`cggan.spec.spec_difference`); None if equal."""
    if not isinstance(stored, dict):
        return "?"
    return ", ".join(spec_difference(stored, spec)) or None


def _check_compatible(path: Path, ckpt, spec: RunSpec) -> None:
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"Invalid checkpoint {path}: not a cggan checkpoint of format "
            f"{CHECKPOINT_FORMAT}; {_FRESH}"
        )
    try:
        stored = json.loads(ckpt["spec"])
    except (KeyError, TypeError, ValueError):
        stored = {}
    diff = _difference(stored, spec)
    if diff:
        raise CheckpointError(
            f"Invalid checkpoint {path}: written for another spec (differs in "
            f"{diff}); {_FRESH}"
        )
    try:
        code = json.loads(ckpt["code"])
    except (KeyError, TypeError, ValueError):
        code = None
    changed = _code_difference(code)
    if changed:
        raise CheckpointError(
            f"Invalid checkpoint {path}: written by other code (changed: {changed}); "
            f"{_FRESH}"
        )


def _code_difference(stored) -> str | None:
    """The modules (and torch/numpy versions) in which the code that wrote a record
    differs from the current code (:mod:`cggan.fingerprint`); None if it is the same."""
    changes = changed_modules(stored, code_fingerprint())
    return describe_change(changes) if changes else None


def capture(trainer) -> dict:
    """Everything a :class:`cggan.train.Trainer` needs to continue exactly.

    Only tensors and plain Python objects, so that ``weights_only`` loading reads it.
    """
    return {
        "format": CHECKPOINT_FORMAT,
        "spec": trainer.spec.to_json(),
        "code": json.dumps(code_fingerprint(), sort_keys=True),
        "iteration": trainer.iteration,
        "generator": trainer.G.state_dict(),
        "discriminator": trainer.D.state_dict(),
        "opt_g": trainer.method.opt_g.state_dict(),
        "opt_d": trainer.method.opt_d.state_dict(),
        "sched_g": trainer.sched_g.state_dict(),
        "sched_d": trainer.sched_d.state_dict(),
        "rng": get_rng_state(),
        "data_order": trainer.order.state_dict(),
        "noise_rng": trainer.noise.get_state(),
        "rows": trainer.rows,
        "acc": trainer.acc,
        "acc_count": trainer.acc_count,
        "best_value": trainer.best_value,
        "best_iteration": trainer.best_iteration,
        "elapsed_s": trainer.elapsed(),
        "eval_time_s": trainer.eval_time_s,
        "optimizer_steps": trainer.optimizer_steps,
    }


def restore(trainer, ckpt: dict, path: Path) -> None:
    """Put a checkpoint's state into a freshly built trainer.

    The global RNG state is handed over in ``trainer._rng_to_restore`` and set when
    training starts (building the evaluator may still draw from it).

    Raises:
        CheckpointError: the checkpoint lacks a key or does not fit the built models.
    """
    try:
        trainer.G.load_state_dict(ckpt["generator"])
        trainer.D.load_state_dict(ckpt["discriminator"])
        trainer.method.opt_g.load_state_dict(ckpt["opt_g"])
        trainer.method.opt_d.load_state_dict(ckpt["opt_d"])
        trainer.sched_g.load_state_dict(ckpt["sched_g"])
        trainer.sched_d.load_state_dict(ckpt["sched_d"])
        trainer.order.load_state_dict(ckpt["data_order"])
        trainer.noise.set_state(ckpt["noise_rng"])
        trainer._rng_to_restore = ckpt["rng"]
        trainer.iteration = int(ckpt["iteration"])
        trainer.rows = [dict(row) for row in ckpt["rows"]]
        trainer.acc = [float(v) for v in ckpt["acc"]]
        trainer.acc_count = int(ckpt["acc_count"])
        trainer.best_value = ckpt["best_value"]
        trainer.best_iteration = ckpt["best_iteration"]
        trainer.elapsed_before = float(ckpt["elapsed_s"])
        trainer.eval_time_s = float(ckpt["eval_time_s"])
        trainer.optimizer_steps = dict(ckpt["optimizer_steps"])
    except (KeyError, RuntimeError, ValueError, TypeError) as exc:
        raise CheckpointError(
            f"Invalid checkpoint {path}: incomplete or incompatible "
            f"({type(exc).__name__}: {_first_line(exc)}); {_FRESH}"
        ) from None
