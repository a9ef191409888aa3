r"""Normalized stochastic gradient descent(-ascent), nSGDA.

Method: Jelassi, Dobre, Mensch, Li, Gidel, "Dissecting adaptive methods in GANs"
(arXiv 2210.04319): each player steps along its normalized gradient, so that both
players move at the same pace whatever the scale of their gradients. Both the
layer-wise (per tensor) and the global (per player) normalization are offered, the two
variants that paper discusses.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from cggan.optim.base import (
    SCOPES,
    PlayerOptimizer,
    check_choice,
    check_interval,
    check_lr,
    check_non_negative,
    grads_of,
    scalar_state,
)

__all__ = ["NormalizedSGD"]


class NormalizedSGD(PlayerOptimizer):
    r"""Implements normalized SGD (nSGDA when each player has its own instance).

    .. math::
        \begin{aligned}
            &\textbf{input}: \gamma \text{ (lr)}, \theta_0, f, \mu \text{ (momentum)},
                \epsilon, \text{scope}, \text{maximize} \\
            &\textbf{for} \: t = 0, 1, \ldots \: \textbf{do} \\
            &\hspace{5mm} g_t \leftarrow \pm \nabla_\theta f_t(\theta_t) \\
            &\hspace{5mm} u_t \leftarrow g_t / \max(\|g_t\|_2, \epsilon)
                \quad (\|\cdot\|_2 \text{ per tensor or over the param group}) \\
            &\hspace{5mm} \textbf{if} \: \mu \neq 0: \: m_t \leftarrow \mu m_{t-1} + u_t
                \: (m_{-1} = 0), \: u_t \leftarrow m_t \\
            &\hspace{5mm} \theta_{t+1} \leftarrow \theta_t - \gamma u_t
        \end{aligned}

    Without momentum every step has Euclidean norm exactly γ per tensor
    (``scope="tensor"``, layer-wise nSGDA) or per param group (``scope="player"``,
    global nSGDA; give each player its own optimizer or group). A zero gradient gives no
    step.

    Args:
        params (iterable): parameters or param-group dicts.
        lr (float): step length γ.
        momentum (float, optional): μ ∈ [0, 1) (default: 0.0).
        scope (str, optional): "tensor" or "player" (default: "tensor").
        eps (float, optional): floor of the norm, avoids 0/0 (default: 1e-12).
        maximize (bool, optional): ascend instead (default: False).

    State: ``step`` and, with momentum, ``momentum_buffer``.

    .. note::
        Momentum is applied to the *normalized* gradients (normalize, then average):
        the buffer is a running sum of unit-norm directions, so a step has norm at most
        γ / (1 − μ) and the pace of the two players stays equal, which is the point of
        nSGDA. The paper's definition has no momentum; it is off by default.
    """

    def __init__(
        self,
        params: Any,
        lr: float,
        momentum: float = 0.0,
        scope: str = "tensor",
        eps: float = 1e-12,
        *,
        maximize: bool = False,
    ) -> None:
        check_lr(lr)
        check_interval("momentum", momentum, 0.0, 1.0)
        check_choice("scope", scope, SCOPES)
        check_non_negative("eps", eps)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "scope": scope,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        grads = grads_of(params, group["maximize"])
        norms = [torch.linalg.vector_norm(g) for g in grads]
        if group["scope"] == "player":
            total = torch.linalg.vector_norm(torch.stack(norms))
            norms = [total] * len(grads)
        for param, grad, norm in zip(params, grads, norms):
            state = self.state[param]
            if "step" not in state:
                state["step"] = scalar_state(0.0, param, on_cpu=True)
            update = grad / norm.clamp_min(group["eps"])
            if group["momentum"] != 0.0:
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(
                        param, memory_format=torch.preserve_format
                    )
                update = state["momentum_buffer"].mul_(group["momentum"]).add_(update)
            param.add_(update, alpha=-group["lr"])
            state["step"].add_(1)
