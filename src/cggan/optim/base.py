"""Shared pieces of the optimizers: argument validation, host-sync-free tensor helpers.

Every optimizer in :mod:`cggan.optim` validates its hyperparameters with the
validators of :mod:`cggan.checks` (re-exported here), so that bad input always raises
``ValueError("Invalid <name>: <value> (allowed: ...)")``, the convention of
``torch.optim`` and of this project. The tensor
helpers never convert a tensor to a Python number, so an optimizer step that uses them
issues no device-to-host synchronisation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import Tensor

from cggan.checks import (  # the project's one validators module (re-exported)
    check_choice,
    check_interval,
    check_lr,
    check_non_negative,
)

__all__ = [
    "SCOPES",
    "PlayerOptimizer",
    "check_choice",
    "check_interval",
    "check_lr",
    "check_non_negative",
    "grads_of",
    "resolve_foreach",
    "safe_div",
    "scalar_state",
]

#: Granularity of every norm or inner product an optimizer reduces: one value per
#: parameter tensor ("tensor", the released CG code and layer-wise nSGDA/grafting) or
#: one value per param group, i.e. per player ("player", the papers' analyses).
SCOPES = ("tensor", "player")


def resolve_foreach(foreach: bool | None, tensors: Iterable[torch.Tensor]) -> bool:
    """Decide whether to take the ``torch._foreach_*`` path.

    ``None`` chooses it when every tensor lives on CUDA: there it replaces one kernel
    launch per tensor by one per list. On CPU the foreach kernels fall back to a loop
    over the tensors, so the for-loop is just as fast and stays the default.
    """
    if foreach is not None:
        return bool(foreach)
    if torch.jit.is_scripting():
        return False
    tensors = list(tensors)
    return bool(tensors) and all(t.is_cuda for t in tensors)


def grads_of(params: Sequence[torch.Tensor], maximize: bool) -> list[torch.Tensor]:
    """Gradients of ``params`` (all must have one), negated when ``maximize``."""
    grads = [p.grad for p in params]
    if maximize and grads:
        return list(torch._foreach_neg(grads))
    return grads


def safe_div(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    """``numerator / denominator`` with 0 wherever the denominator is exactly 0.

    :func:`torch.where` selects instead of branching, so there is no host sync; the
    discarded ``x/0`` values (inf or NaN) never reach the result.
    """
    return torch.where(denominator == 0, 0.0, numerator / denominator)


def scalar_state(
    value: float, like: torch.Tensor, *, on_cpu: bool = False
) -> torch.Tensor:
    """A fresh 0-dim state tensor (``step`` counters live on CPU like torch's Adam)."""
    if on_cpu:
        return torch.tensor(value, dtype=torch.float32)
    return torch.full((), value, dtype=like.dtype, device=like.device)


class PlayerOptimizer(torch.optim.Optimizer):
    """The part every optimizer of :mod:`cggan.optim` shares with ``torch.optim.SGD``.

    ``step`` evaluates the optional closure, skips parameters without a gradient and
    hands each param group's remaining parameters to :meth:`_update_group`, under
    ``no_grad``.
    """

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """Perform one optimization step.

        Args:
            closure: re-evaluates the model and returns the loss (optional).

        Returns:
            The loss returned by ``closure``, else None.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                self._update_group(group, params)
        return loss

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        """Update the parameters of one group that have a gradient."""
        raise NotImplementedError
