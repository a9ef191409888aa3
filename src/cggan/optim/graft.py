r"""Grafting: the step length of one optimizer with the direction of another.

Method: Agarwal, Anil, Hazan, Koren, Zhang, "Disentangling Adaptive Gradient Methods
from Learning Rates" (arXiv 2002.11803), as used by Jelassi et al., "Dissecting adaptive
methods in GANs" (arXiv 2210.04319) to separate Adam's magnitude from its direction.
The operator follows the reference ``Graft`` of github.com/optimetry/optimetry
(``optimetry/graft.py``): both children see the same raw gradient and keep their own
state; the norms are per tensor by default or over the whole player. Only Adam and SGD
are needed here, so they are written out instead of wrapping two optimizers.
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
    safe_div,
    scalar_state,
)

__all__ = ["CHILDREN", "GRAFT_ADAM", "GRAFT_SGD", "Graft"]

#: The two children whose magnitude and direction a graft combines (the update rules
#: of Adam and of SGD; the methods ``graft_*`` name them in their order).
GRAFT_ADAM, GRAFT_SGD = "adam", "sgd"
CHILDREN = (GRAFT_ADAM, GRAFT_SGD)


class Graft(PlayerOptimizer):
    r"""Implements grafting of Adam and SGD (magnitude of one, direction of the other).

    .. math::
        \begin{aligned}
            &\textbf{input}: \gamma \text{ (lr)}, (\beta_1, \beta_2), \epsilon,
                \text{magnitude } M, \text{direction } D, \text{scope} \\
            &\textbf{initialize}: m_0 \leftarrow 0, \: v_0 \leftarrow 0 \\
            &\textbf{for} \: t = 1, 2, \ldots \: \textbf{do} \\
            &\hspace{5mm} g_t \leftarrow \pm \nabla_\theta f_t(\theta_{t-1}) \\
            &\hspace{5mm} m_t \leftarrow \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
                v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
            &\hspace{5mm} a_t \leftarrow \gamma \, \frac{m_t / (1-\beta_1^t)}
                {\sqrt{v_t / (1-\beta_2^t)} + \epsilon}
                \quad \text{(Adam's step)}, \qquad s_t \leftarrow \gamma g_t
                \quad \text{(SGD's step)} \\
            &\hspace{5mm} \theta_t \leftarrow \theta_{t-1}
                - \|\Delta^M_t\|_2 \, \Delta^D_t / \|\Delta^D_t\|_2
                \quad (\Delta^{\text{adam}} = a_t, \: \Delta^{\text{sgd}} = s_t)
        \end{aligned}

    Norms are taken per parameter tensor (``scope="tensor"``, layer-wise grafting as
    Agarwal et al.) or over the param group (``scope="player"``). ``magnitude="adam",
    direction="sgd"`` is Jelassi et al.'s "Adam magnitude with the normalized SGD
    direction": it is layer-wise nSGDA whose step length is Adam's. The reverse graft
    moves along Adam's direction with SGD's step length γ‖g‖. A zero direction step
    gives no update.

    Args:
        params (iterable): parameters or param-group dicts.
        lr (float): learning rate γ shared by both children.
        magnitude (str, optional): "adam" or "sgd" (default: "adam").
        direction (str, optional): "sgd" or "adam", different from ``magnitude``
            (default: "sgd").
        betas (tuple[float, float], optional): Adam's (β1, β2), each in [0, 1)
            (default: (0.5, 0.999), the GAN setting of the CG paper's code).
        eps (float, optional): Adam's ε (default: 1e-8).
        scope (str, optional): "tensor" or "player" (default: "tensor").
        maximize (bool, optional): ascend instead (default: False).

    State: ``step``, ``exp_avg`` and ``exp_avg_sq`` (Adam's moments, updated every step
    whichever role Adam plays).
    """

    def __init__(
        self,
        params: Any,
        lr: float,
        magnitude: str = "adam",
        direction: str = "sgd",
        betas: tuple[float, float] = (0.5, 0.999),
        eps: float = 1e-8,
        scope: str = "tensor",
        *,
        maximize: bool = False,
    ) -> None:
        check_lr(lr)
        check_choice("magnitude", magnitude, CHILDREN)
        check_choice("direction", direction, CHILDREN)
        if magnitude == direction:
            raise ValueError(
                f"Invalid direction: {direction!r} (allowed: the child that is not the "
                f"magnitude {magnitude!r})"
            )
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Invalid betas: {betas!r} (allowed: a pair in [0, 1))")
        check_interval("betas[0]", betas[0], 0.0, 1.0)
        check_interval("betas[1]", betas[1], 0.0, 1.0)
        check_non_negative("eps", eps)
        check_choice("scope", scope, SCOPES)
        defaults = {
            "lr": lr,
            "magnitude": magnitude,
            "direction": direction,
            "betas": tuple(betas),
            "eps": eps,
            "scope": scope,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        steps = {"sgd": [], "adam": []}
        for param, grad in zip(params, grads_of(params, group["maximize"])):
            state = self.state[param]
            if "step" not in state:
                state["step"] = scalar_state(0.0, param, on_cpu=True)
                state["exp_avg"] = torch.zeros_like(
                    param, memory_format=torch.preserve_format
                )
                state["exp_avg_sq"] = torch.zeros_like(
                    param, memory_format=torch.preserve_format
                )
            state["step"].add_(1)
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            exp_avg.lerp_(grad, 1.0 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
            # Bias corrections from the tensor step count in float64: no host sync.
            step = state["step"].double()
            bias1 = 1.0 - torch.pow(beta1, step)
            bias2_sqrt = torch.sqrt(1.0 - torch.pow(beta2, step))
            denom = (exp_avg_sq.sqrt() / bias2_sqrt).add_(eps)
            steps["adam"].append((exp_avg / bias1).div_(denom).mul_(lr))
            steps["sgd"].append(grad * lr)
        magnitude, direction = steps[group["magnitude"]], steps[group["direction"]]
        mag_norms = [torch.linalg.vector_norm(s) for s in magnitude]
        dir_norms = [torch.linalg.vector_norm(s) for s in direction]
        if group["scope"] == "player":
            mag_norms = [torch.linalg.vector_norm(torch.stack(mag_norms))] * len(params)
            dir_norms = [torch.linalg.vector_norm(torch.stack(dir_norms))] * len(params)
        for param, delta, mag, dnorm in zip(params, direction, mag_norms, dir_norms):
            param.sub_(delta.mul_(safe_div(mag, dnorm)))
