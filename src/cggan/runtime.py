"""Process-level runtime settings: device, threads, seeding, RNG state, stop signals.

Kept in one place so that the training run, the FID statistics rule and the benchmarks
make the same choices (CUDA when present, otherwise CPU; a fixed number of threads), and
so that every long-running job tells its own failures from the environment's alike.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

__all__ = [
    "STOP_SIGNALS",
    "StopRequest",
    "allocation_beyond_memory",
    "get_device",
    "get_rng_state",
    "host_memory_bytes",
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
_UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50,
          "EiB": 2**60}  # fmt: skip
# torch CPU: "you tried to allocate 128000000000000 bytes"; CUDA: "Tried to allocate
# 3.73 TiB ... total capacity of 79.19 GiB"; NumPy: "Unable to allocate 7.28 TiB".
_REQUEST = re.compile(
    r"(?:tried to allocate|unable to allocate)\s+([\d.]+)\s*(bytes|[KMGTPE]?i?B)\b",
    re.IGNORECASE,
)
_CAPACITY = re.compile(r"total capacity of\s+([\d.]+)\s*([KMGTPE]?i?B)\b")


def _bytes(number: str, unit: str) -> float:
    """``("3.73", "TiB")`` -> bytes (binary prefixes; ``bytes`` and ``B`` are 1)."""
    power = 0 if unit.lower() == "bytes" else "BKMGTPE".index(unit[0].upper())
    return float(number) * 1024**power


def host_memory_bytes() -> int | None:
    """This machine's RAM plus swap (what an allocation can ever get), or None."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("SwapTotal:"):
                    total += int(line.split()[1]) * 1024
    return total


def _fmt(n: float) -> str:
    for unit in ("EiB", "PiB", "TiB", "GiB", "MiB", "KiB"):
        if n >= _UNITS[unit]:
            return f"{n / _UNITS[unit]:.3g} {unit}"
    return f"{n:.0f} B"


def allocation_beyond_memory(exc: BaseException) -> str | None:
    """One line when ``exc`` is an allocation larger than the device can ever give.

    Such a request (e.g. a ``z_dim`` of 10^9: a weight matrix of terabytes) fails on
    every attempt on this machine: it is a configuration error, not a transient
    shortage, so the job must not be retried. The size comes from the message of
    torch's CPU allocator, CUDA's out-of-memory error (against the GPU's total
    capacity) or NumPy's ``_ArrayMemoryError``; an allocation that would fit (another
    process holds the memory) returns None: that one is an environment failure.
    The explicit cause (``raise ... from``) is followed.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(exc)
        request = getattr(exc, "_total_size", None)  # NumPy's _ArrayMemoryError
        match = _REQUEST.search(text)
        if request is None and match:
            request = _bytes(*match.groups())
        if request is not None and isinstance(exc, (MemoryError, RuntimeError)):
            capacity = _CAPACITY.search(text)
            where = "GPU" if capacity else "machine"
            limit = _bytes(*capacity.groups()) if capacity else host_memory_bytes()
            if limit and request > limit:
                return (
                    f"an allocation of {_fmt(request)} cannot fit in this {where}'s "
                    f"{_fmt(limit)} of memory: the configuration is too large (e.g. "
                    "z_dim, model widths, batch or sample sizes), not a transient "
                    "failure"
                )
        exc = exc.__cause__
    return None


def is_environment_failure(exc: BaseException) -> bool:
    """Whether an exception comes from the machine, not from the job's own code or data.

    Environment failures are worth retrying unchanged on a healthier machine: any
    ``OSError`` (a full disk, ENOSPC/EFBIG/EDQUOT, an I/O error, a vanished mount),
    ``MemoryError``, CUDA out-of-memory, and torch's CPU allocator failing (a
    ``RuntimeError`` that says so), unless the allocation is larger than the device's
    whole memory (:func:`allocation_beyond_memory`: a configuration error). The
    exception's explicit cause (``raise ... from``) is followed, so a wrapped
    ``OSError`` still counts.

    Args:
        exc: the exception.
    """
    if allocation_beyond_memory(exc) is not None:
        return False  # it will never fit: a configuration error, never retried
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
