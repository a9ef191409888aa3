"""β diagnostics of :class:`cggan.optim.ConjugateGradient`, accumulated on the device.

Each param group (a player) holds one float64 tensor under ``group["beta_stats"]``:
running sums, over the steps that computed a β, of the step's mean β, the share of its
β values at 0 and the share at the cap c·β̂, and the number of those steps. The step
only adds to it (a few small kernels, no host sync); :func:`summarize` reads it (one
sync). Being a param-group entry, it is saved and restored by ``state_dict()`` /
``load_state_dict()``, so a resumed run reports what an uninterrupted one would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

__all__ = ["KEY", "record_betas", "summarize"]

KEY = "beta_stats"
# Layout of the accumulator: sums of the step means of β, of [β == 0], of [β == cap],
# then the number of steps.
_MEAN, _ZERO, _CAPPED, _STEPS = range(4)


def record_betas(group: dict[str, Any], betas: Sequence[Tensor]) -> None:
    """Add one step's β (float64 vectors, one entry per tensor) to the group's sums.

    The cap is c·β̂ as the rules compute it (``coeff * clip(·, ·, beta_max)`` in
    float64, so a capped β equals it exactly). With c = 0 or β̂ = 0 every β is both 0
    and at the cap.
    """
    beta = betas[0] if len(betas) == 1 else torch.cat(list(betas))
    acc = group.get(KEY)
    if not isinstance(acc, Tensor):
        acc = group[KEY] = _fresh(beta.device)
    elif acc.device != beta.device:  # e.g. loaded from a checkpoint of another device
        acc = group[KEY] = acc.to(beta.device)
    cap = group["beta_coeff"] * group["beta_max"]
    flags = torch.stack((beta, beta == 0, beta == cap, torch.ones_like(beta)))
    acc.add_(flags.mean(1))


def _fresh(device: torch.device | str) -> Tensor:
    return torch.zeros(4, dtype=torch.float64, device=device)


def summarize(
    groups: Sequence[dict[str, Any]], *, reset: bool
) -> dict[str, float] | None:
    """Averages since the last reset over the steps of ``groups`` (pooled); None
    when none of them computed a β since then. ``reset`` zeroes their sums."""
    sums = [g[KEY] for g in groups if isinstance(g.get(KEY), Tensor)]
    if not sums:
        return None
    total = torch.stack([s.to("cpu") for s in sums]).sum(0).tolist()  # the one sync
    if reset:
        for s in sums:
            s.zero_()
    steps = total[_STEPS]
    if steps == 0:
        return None
    return {
        "beta_mean": total[_MEAN] / steps,
        "beta_capped": total[_CAPPED] / steps,
        "beta_zero": total[_ZERO] / steps,
    }
