"""Process-level runtime settings: device, threads, seeding, RNG state, stop signals.

Kept in one place so that the training run, the FID statistics rule and the benchmarks
make the same choices (CUDA when present, otherwise CPU; a fixed number of threads), and
so that every long-running job tells its own failures from the environment's alike.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

__all__ = [
    "STOP_SIGNALS",
    "StopRequest",
    "get_device",
    "get_rng_state",
    "is_environment_failure",
    "seed_everything",
    "set_rng_state",
    "set_threads",
    "stop_signals",
    "thread_limits",
]


def get_device(preference: str = "auto") -> torch.device:
    """Resolve a device preference.

    Args:
        preference: ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"`` or
            ``"cuda:N"``.

    Raises:
        ValueError: unknown preference, or CUDA asked for but not available.
    """
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preference == "cpu":
        return torch.device("cpu")
    if preference.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"Invalid device: {preference!r} (CUDA is not available here)"
            )
        return torch.device(preference)
    raise ValueError(
        f"Invalid device: {preference!r} (allowed: auto, cpu, cuda, cuda:N)"
    )


def set_threads(n: int) -> None:
    """Limit torch's intra-op threads (one per job is fastest for small models)."""
    if n < 1:
        raise ValueError(f"Invalid threads: {n} (must be >= 1)")
    torch.set_num_threads(n)
    os.environ.setdefault("OMP_NUM_THREADS", str(n))


def thread_limits(threads: int) -> contextlib.AbstractContextManager:
    """Hold NumPy's BLAS (FID/KID matrix algebra) to the job's thread budget too.

    ``torch.set_num_threads`` covers torch only; OpenBLAS would otherwise use every core
    during evaluation, against the one-thread-per-job scheduling of the workflow.
    threadpoolctl comes with scikit-learn; without it the limit is skipped.

    Args:
        threads: the most BLAS threads inside the block.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn always brings it
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def get_rng_state() -> dict[str, Any]:
    """Every RNG state a run depends on, as tensors/plain objects for a checkpoint."""
    # Only tensors and Python scalars/tuples, so that checkpoints load with
    # ``torch.load(..., weights_only=True)``.
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {
            "name": str(name),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore the states saved by :func:`get_rng_state`."""
    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    npst = state["numpy"]
    np.random.set_state(
        (
            npst["name"],
            npst["keys"].numpy().astype(np.uint32),
            npst["pos"],
            npst["has_gauss"],
            npst["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ------------------------------------------------------------------------- stop signals

#: The signals that ask a job to stop cleanly: SLURM's warning and time limit (TERM, see
#: ``sbatch --signal``) and Ctrl-C (INT).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_active: StopRequest | None = None


class StopRequest:
    """Set by the handlers of :func:`stop_signals`; polled by the job at safe points."""

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        """Whether a stop signal has arrived."""
        return self.signum is not None

    @property
    def name(self) -> str | None:
        """The signal's name (``"SIGTERM"``), or None."""
        return None if self.signum is None else signal.Signals(self.signum).name


@contextlib.contextmanager
def stop_signals() -> Iterator[StopRequest]:
    """Turn SIGTERM/SIGINT into a flag for the duration of the block.

    The first signal only sets :attr:`StopRequest.signum`: the job finishes its current
    step, saves what it needs and exits by itself. A second signal of the same kind gets
    the previous handler's behaviour (by default TERM kills and INT raises
    KeyboardInterrupt), so a job stuck inside a step can still be stopped. Nested blocks
    share the outer block's request; outside the main thread (where Python cannot
    install handlers) the request is never set. The previous handlers come back when the
    block ends.

    Yields:
        The :class:`StopRequest` to poll.
    """
    global _active
    if _active is not None:
        yield _active
        return
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        if request.signum is not None:  # asked twice: stop the way it would without us
            signal.signal(signum, previous[signum])
            signal.raise_signal(signum)
            return
        request.signum = signum  # no printing here: a handler may interrupt a print

    for signum in STOP_SIGNALS:
        old = signal.signal(signum, handler)
        previous[signum] = signal.SIG_DFL if old is None else old
    _active = request
    try:
        yield request
    finally:
        _active = None
        for signum, old in previous.items():
            signal.signal(signum, old)


# torch's allocators report exhaustion as RuntimeError on some devices and versions.
_OOM_MESSAGES = ("out of memory", "can't allocate memory", "not enough memory")


def is_environment_failure(exc: BaseException) -> bool:
    """Whether an exception comes from the machine, not from the job's own code or data.

    Environment failures are worth retrying unchanged on a healthier machine: any
    ``OSError`` (a full disk, ENOSPC/EFBIG/EDQUOT, an I/O error, a vanished mount),
    ``MemoryError``, CUDA out-of-memory, and torch's CPU allocator failing (a
    ``RuntimeError`` that says so). The exception's explicit cause (``raise ... from``)
    is followed, so a wrapped ``OSError`` still counts.

    Args:
        exc: the exception.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (OSError, MemoryError, torch.cuda.OutOfMemoryError)):
            return True
        if isinstance(exc, RuntimeError) and any(
            text in str(exc).lower() for text in _OOM_MESSAGES
        ):
            return True
        exc = exc.__cause__
    return False
