"""Process-level runtime settings: device choice, thread count, seeding and RNG state.

Kept in one place so that the training run, the FID statistics rule and the benchmarks
make the same choices (CUDA when present, otherwise CPU; a fixed number of threads).
"""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import torch

__all__ = ["get_device", "set_threads", "seed_everything", "get_rng_state", "set_rng_state"]


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
            raise ValueError(f"Invalid device: {preference!r} (CUDA is not available here)")
        return torch.device(preference)
    raise ValueError(f"Invalid device: {preference!r} (allowed: auto, cpu, cuda, cuda:N)")


def set_threads(n: int) -> None:
    """Limit torch's intra-op threads (one thread per job is fastest for small models)."""
    if n < 1:
        raise ValueError(f"Invalid threads: {n} (must be >= 1)")
    torch.set_num_threads(n)
    os.environ.setdefault("OMP_NUM_THREADS", str(n))


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
