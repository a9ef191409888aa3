"""The random streams of a run: derived seeds, the data order, and RNG isolation.

Everything random in a run derives from ``spec["seed"]`` through :func:`derive_seed`,
one independent stream per purpose (``"data"``, ``"noise"``, ``"eval"``,
``"samples"``), so that adding a consumer of one stream never shifts another.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

import torch

from cggan.runtime import get_rng_state, set_rng_state

__all__ = ["BatchOrder", "derive_seed", "preserved_rng"]


def derive_seed(seed: int, purpose: str) -> int:
    """An independent 63-bit seed for one random stream (data order, noise...) of a run.

    Args:
        seed: the run's seed.
        purpose: the stream's name.

    Returns:
        A non-negative integer below 2**63 (what ``torch.Generator.manual_seed`` takes).
    """
    digest = hashlib.sha256(f"cggan:{seed}:{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


class BatchOrder:
    """Reshuffled epochs over N examples from a dedicated generator; full batches only.

    Args:
        n: number of examples.
        batch_size: indices per batch (the incomplete tail of each epoch is dropped).
        seed: seed of the order's own ``torch.Generator``.

    Raises:
        ValueError: ``batch_size`` larger than ``n``.
    """

    def __init__(self, n: int, batch_size: int, seed: int) -> None:
        if batch_size > n:
            raise ValueError(
                f"Invalid batch_size: {batch_size} (allowed: <= dataset size {n})"
            )
        self.n = n
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(n, generator=self.generator)
        self.cursor = 0

    def next(self) -> torch.Tensor:
        """The indices of the next batch (a new permutation when an epoch runs out)."""
        if self.cursor + self.batch_size > self.n:
            self.order = torch.randperm(self.n, generator=self.generator)
            self.cursor = 0
        idx = self.order[self.cursor : self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return idx

    def state_dict(self) -> dict:
        """Generator state, current permutation and position (for a checkpoint)."""
        return {
            "rng": self.generator.get_state(),
            "order": self.order,
            "cursor": self.cursor,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.generator.set_state(state["rng"])
        self.order = state["order"]
        self.cursor = int(state["cursor"])


@contextlib.contextmanager
def preserved_rng() -> Iterator[None]:
    """Run a block (evaluation, sampling) without disturbing any training RNG stream."""
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
