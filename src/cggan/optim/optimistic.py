r"""Optimistic mirror descent (OMD, optimistic gradient descent-ascent) for one player.

Method: Daskalakis, Ilyas, Syrgkanis, Zeng, "Training GANs with Optimism" (ICLR 2018),
in the form analysed by Liang & Stokes, "Interaction Matters: A Note on Non-asymptotic
Local Convergence of Generative Adversarial Networks" (AISTATS 2019, eq. 6).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from cggan.optim.base import PlayerOptimizer, check_lr, grads_of, scalar_state

__all__ = ["Optimistic"]


class Optimistic(PlayerOptimizer):
    r"""Implements optimistic gradient descent (OMD).

    .. math::
        \begin{aligned}
            &\textbf{input}: \eta \text{ (lr)}, \theta_0, f, \text{maximize} \\
            &\textbf{for} \: t = 0, 1, \ldots \: \textbf{do} \\
            &\hspace{5mm} g_t \leftarrow \pm \nabla_\theta f_t(\theta_t), \quad
                g_{-1} := g_0 \\
            &\hspace{5mm} \theta_{t+1} \leftarrow \theta_t - 2\eta g_t + \eta g_{t-1}
        \end{aligned}

    Used by both players of a game with simultaneous updates this is OMD of
    Liang & Stokes (eq. 6). The first step uses g_{−1} = g_0, so it is a plain gradient
    step θ_1 = θ_0 − η g_0 (the paper leaves the second initial iterate free).

    Args:
        params (iterable): parameters or param-group dicts.
        lr (float): η.
        maximize (bool, optional): ascend instead (default: False).

    State: ``step`` and ``prev_grad`` (a copy of g_{t−1}, never an alias of ``.grad``).
    """

    def __init__(self, params: Any, lr: float, *, maximize: bool = False) -> None:
        check_lr(lr)
        super().__init__(params, {"lr": lr, "maximize": maximize})

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        lr = group["lr"]
        for param, grad in zip(params, grads_of(params, group["maximize"])):
            state = self.state[param]
            if "prev_grad" not in state:
                state["step"] = scalar_state(0.0, param, on_cpu=True)
                state["prev_grad"] = grad.clone(memory_format=torch.preserve_format)
            param.add_(grad, alpha=-2.0 * lr).add_(state["prev_grad"], alpha=lr)
            state["prev_grad"].copy_(grad)
            state["step"].add_(1)
