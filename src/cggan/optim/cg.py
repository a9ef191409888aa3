r"""Nonlinear conjugate-gradient (CG) optimizer for each player of a GAN.

Method: Naganuma & Iiduka, "Conjugate Gradient Method for Generative Adversarial
Networks", AISTATS 2023 (arXiv 2203.14495). The ``variant="authors"`` path re-implements
the behaviour of the authors' released class ``ConjugateGradientOptimizer``
(github.com/Hiroki11x/ConjugateGradient_GAN, ``jupyter/toy_example/cg_optimizer.py``,
MIT license); no code is copied from it. See ``../shared/reference/cg_paper.md`` §1 for
the analysis of that class (quirks Q1–Q7).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from cggan.optim.base import (
    PlayerOptimizer,
    SCOPES,
    check_choice,
    check_interval,
    check_lr,
    check_non_negative,
    grads_of,
    resolve_foreach,
    safe_div,
    scalar_state,
)

__all__ = ["BETA_RULES", "VARIANTS", "ConjugateGradient"]

BETA_RULES = ("FR", "PRP", "HS", "DY", "HS_DY", "FR_PRP", "HZ")
VARIANTS = ("paper", "authors")

# Inner products each rule needs, with g = current gradient, p = previous gradient,
# y = g - p and d = the previous direction (the stored buffer for variant="authors").
# Computing only these keeps the step at a few passes over the parameters.
_PRODUCTS: dict[str, tuple[str, ...]] = {
    "FR": ("gg", "pp"),
    "PRP": ("gy", "pp"),
    "HS": ("gy", "dy"),
    "DY": ("gg", "dy"),
    "HS_DY": ("gy", "dy", "gg"),
    "FR_PRP": ("gg", "pp", "gy"),
    "HZ": ("gy", "dy", "yy", "gd"),
}
_NEEDS_Y = frozenset({"gy", "dy", "yy"})


# Tensors are grouped into batches of about this many elements (4 MiB of float32) in the
# for-loop path: large enough to share the β kernels among small tensors, small enough
# that a batch is still in the last-level cache when its update follows its products.
_CACHE_BATCH_NUMEL = 1 << 20


def _batches(sizes: Sequence[int], limit: int) -> list[range]:
    """Consecutive index ranges whose sizes add up to about ``limit`` (at least one each)."""
    batches, start, total = [], 0, 0
    for index, size in enumerate(sizes):
        if total and total + size > limit:
            batches.append(range(start, index))
            start, total = index, 0
        total += size
    batches.append(range(start, len(sizes)))
    return batches


def _dot(a: Tensor, b: Tensor) -> Tensor:
    return torch.dot(a.reshape(-1), b.reshape(-1))


def _stacked_products(
    names: Sequence[str],
    grads: Sequence[Tensor],
    prevs: Sequence[Tensor],
    buffers: Sequence[Tensor],
    neg_y: Sequence[Tensor] | None,
    *,
    buffer_sign: float,
) -> dict[str, Tensor]:
    """The inner products ``names``, one entry per tensor, as stacked vectors.

    ``neg_y`` holds ``p - g = -y`` per tensor (None when the rule needs no y), and the
    stored buffers are ``buffer_sign * d``: the paper variant stores ``-d`` (a momentum
    buffer), the authors variant ``d`` itself. The signs are folded in here, on the
    small stacked vectors (negation is exact, so no rounding is added).
    """
    pairs = {
        "gg": (grads, grads),
        "pp": (prevs, prevs),
        "gy": (grads, neg_y),
        "dy": (buffers, neg_y),
        "yy": (neg_y, neg_y),
        "gd": (grads, buffers),
    }
    signs = {
        "gg": 1.0,
        "pp": 1.0,
        "gy": -1.0,
        "dy": -buffer_sign,
        "yy": 1.0,
        "gd": buffer_sign,
    }
    stacked = {}
    for name in names:
        first, second = pairs[name]
        value = torch.stack([_dot(a, b) for a, b in zip(first, second)])
        stacked[name] = value if signs[name] > 0 else value.neg()
    return stacked


def _paper_beta(
    rule: str, prods: dict[str, Tensor], coeff: float, beta_max: float, mu: float
) -> Tensor:
    """β = coeff · clip(rule, 0, beta_max), elementwise over the product tensors."""
    # float64 for the few scalar ops: no overflow/underflow in the ratios.
    prods = {name: value.double() for name, value in prods.items()}
    if rule in ("FR", "FR_PRP"):
        fr = safe_div(prods["gg"], prods["pp"])
    if rule in ("PRP", "FR_PRP"):
        prp = safe_div(prods["gy"], prods["pp"])
    if rule in ("HS", "HS_DY", "HZ"):
        hs = safe_div(prods["gy"], prods["dy"])
    if rule in ("DY", "HS_DY"):
        dy = safe_div(prods["gg"], prods["dy"])
    if rule == "FR":
        raw = fr
    elif rule == "PRP":
        raw = prp
    elif rule == "HS":
        raw = hs
    elif rule == "DY":
        raw = dy
    elif rule == "HS_DY":
        raw = torch.minimum(hs, dy)
    elif rule == "FR_PRP":
        raw = torch.minimum(fr, prp)
    else:  # HZ; both divisions by dᵀy so that (dᵀy)² cannot underflow to 0
        raw = hs - mu * safe_div(
            prods["yy"] * safe_div(prods["gd"], prods["dy"]), prods["dy"]
        )
    return coeff * raw.clamp(0.0, beta_max)


def _authors_beta(
    rule: str, prods: dict[str, Tensor], coeff: float, beta_max: float, mu: float
) -> Tensor:
    """β exactly as the released ``calculate_beta(...) * beta_momentum_coeff``.

    The released code converts every inner product with ``float()`` and does the rest in
    Python (double) arithmetic; the float64 tensors here do the same without a host sync.
    """
    prods = {name: value.double() for name, value in prods.items()}
    cap = beta_max  # the released code hard-codes 1/2 (= the default beta_max)
    if rule in ("FR", "FR_PRP"):
        fr = torch.clamp_max(safe_div(prods["gg"], prods["pp"]), cap)
    if rule in ("PRP", "FR_PRP"):
        prp = torch.clamp_max(safe_div(prods["gy"], prods["pp"]), cap)
    if rule in ("HS", "HS_DY", "HZ"):
        hs = torch.clamp_max(safe_div(prods["gy"], prods["dy"]), cap)
    if rule in ("DY", "HS_DY"):
        dy = torch.clamp_max(safe_div(prods["gg"], prods["dy"]), cap)
    if rule == "FR":
        beta = fr
    elif rule == "PRP":
        beta = prp
    elif rule == "HS":
        beta = hs
    elif rule == "DY":
        beta = dy
    elif rule == "HS_DY":
        beta = torch.clamp_min(torch.minimum(hs, dy), 0.0)
    elif rule == "FR_PRP":
        beta = torch.clamp_min(torch.minimum(fr, prp), 0.0)
    else:  # HZ: the ½ cap on β_HS comes before the μ correction (quirk Q5)
        correction = mu * safe_div(prods["yy"] * prods["gd"], prods["dy"] * prods["dy"])
        hz = torch.clamp_max(hs - correction, cap)
        beta = torch.where(prods["dy"] == 0, torch.zeros_like(hz), hz)
    return beta * coeff


class ConjugateGradient(PlayerOptimizer):
    r"""Implements nonlinear conjugate-gradient descent (CG) with bounded β.

    .. math::
        \begin{aligned}
            &\rule{110mm}{0.4pt} \\
            &\textbf{input}: \gamma \text{ (lr)}, \theta_0 \text{ (params)},
                f(\theta) \text{ (objective)}, \text{rule}, c \text{ (beta\_coeff)},
                \hat\beta \text{ (beta\_max)}, \mu \text{ (hz\_mu)}, \text{maximize} \\
            &\rule{110mm}{0.4pt} \\
            &\textbf{for} \: t = 0, 1, \ldots \: \textbf{do} \\
            &\hspace{5mm} g_t \leftarrow \pm \nabla_\theta f_t(\theta_t)
                \quad (- \text{ if maximize}) \\
            &\hspace{5mm} \textbf{if} \: t = 0: \: d_0 \leftarrow -g_0 \\
            &\hspace{5mm} \textbf{else}: \: y \leftarrow g_t - g_{t-1}, \\
            &\hspace{10mm} \text{FR} = \|g_t\|^2 / \|g_{t-1}\|^2, \quad
                \text{PRP} = g_t^\top y / \|g_{t-1}\|^2, \\
            &\hspace{10mm} \text{HS} = g_t^\top y / d_{t-1}^\top y, \quad
                \text{DY} = \|g_t\|^2 / d_{t-1}^\top y, \\
            &\hspace{10mm} \text{HS\_DY} = \max(0, \min(\text{HS}, \text{DY})), \quad
                \text{FR\_PRP} = \max(0, \min(\text{FR}, \text{PRP})), \\
            &\hspace{10mm} \text{HZ} = \text{HS} - \mu \, \|y\|^2 \,
                g_t^\top d_{t-1} / (d_{t-1}^\top y)^2
                \quad (\text{a zero denominator gives } 0) \\
            &\hspace{10mm} \beta_t \leftarrow c \cdot
                \mathrm{clip}(\text{rule}, 0, \hat\beta), \quad
                d_t \leftarrow -g_t + \beta_t d_{t-1} \\
            &\hspace{5mm} \theta_{t+1} \leftarrow \theta_t + \gamma \, d_t \\
            &\rule{110mm}{0.4pt} \\
            &\textbf{return} \: \theta_t \\
            &\rule{110mm}{0.4pt}
        \end{aligned}

    This is the per-player stochastic CG of Naganuma & Iiduka (AISTATS 2023,
    https://arxiv.org/abs/2203.14495): no line search, the step size is the learning
    rate (schedule), and β is bounded, 0 ≤ β ≤ c·β̂ (their Assumption 3.1(C2); the
    released code bounds it by ½, the default ``beta_max``). With β ≡ 0 it is SGD.

    Inner products reduce per parameter tensor (``scope="tensor"``, one β per tensor,
    as the released code) or over all tensors of the param group (``scope="player"``,
    one β per player, as the paper's analysis, which treats a player's parameters as one
    vector). Put each player in its own optimizer (or param group) for the latter.

    ``variant="authors"`` reproduces the released ``ConjugateGradientOptimizer``
    instead, quirks included (cg_paper.md §1.3):

    * **Q1** the first step is gradient *ascent*: ``d = +g_0``, θ ← θ + γ g_0; the
      stored buffer afterwards is ``D_0 = −g_0``.
    * **Q2** the buffer is updated twice: the applied direction is
      ``d_t = β_t D_{t−1} − g_t`` and the stored one ``D_t = β_t d_t − g_t``.
    * **Q3** HS, DY and HZ use the stored buffer ``D_{t−1}``, not the applied ``d_{t−1}``.
    * **Q4** the previous gradient is kept *by reference* to ``p.grad`` (``state
      ["prev_grad"] is p.grad``). Under ``zero_grad(set_to_none=False)`` (the default of
      torch < 2.0, which the authors pinned) backward accumulates into that same tensor,
      so at the next step ``y ≡ 0``: FR gives the constant β = coeff/2 and PRP, HS, DY,
      HS_DY, FR_PRP and HZ give 0 (plain SGD after the ascent step). Under
      ``set_to_none=True`` the old tensor is left alone and β varies.
    * **Q5** β is clipped only from above, ``min(·, ½)``, *then* multiplied by
      ``beta_coeff``; PRP, HS, DY and HZ can be negative; only the hybrids HS_DY and
      FR_PRP take ``max(0, ·)`` of the two ½-capped rules; HZ is
      ``min(min(HS, ½) − μ ‖y‖² gᵀD / (Dᵀy)², ½)``. ``beta_max`` plays the role of ½.
    * **Q6** the released code syncs with the host (``float(torch.dot(...))``) for every
      tensor; here the same arithmetic runs on float64 tensors without a sync.
    * **Q7** weight decay (always 0 in the authors' runs) is not reproduced.

    ``maximize`` negates the gradient everywhere (also the referenced previous one).
    The authors variant is not the default because Q4 makes its β rules meaningless
    under the default usage of the time; use it to compare against the paper's numbers.

    Args:
        params (iterable): parameters to optimize or dicts defining param groups.
        lr (float): learning rate γ (the step size; no line search).
        beta_rule (str, optional): one of FR, PRP, HS, DY, HS_DY, FR_PRP, HZ
            (default: "FR").
        beta_coeff (float, optional): multiplier c ≥ 0 of the clipped β, the paper's
            "beta momentum coefficient" (default: 1.0).
        beta_max (float, optional): upper bound β̂ ∈ [0, 1) of the rule before the
            coefficient (default: 0.5, the released code's bound).
        hz_mu (float, optional): μ ≥ 0 of the Hager–Zhang rule (default: 2.0).
        scope (str, optional): "tensor" (β per parameter tensor) or "player" (β from
            inner products summed over the param group) (default: "tensor").
        variant (str, optional): "paper" or "authors" (see above) (default: "paper").
        maximize (bool, optional): maximize the objective instead (default: False).
        foreach (bool, optional): use the ``torch._foreach_*`` implementation of the
            paper variant; None chooses it when the parameters are on CUDA. The authors
            variant always runs the for-loop (default: None).

    State (per parameter, all tensors, so ``state_dict()`` round-trips):
        ``step`` (float32 count, on CPU); ``prev_grad`` (g_{t−1}: a copy for "paper",
        the live ``p.grad`` itself for "authors"); ``beta`` (β_t of the last step, 0
        on the first); for "paper" ``momentum_buffer`` b_t = −d_t (so that
        b_t = g_t + β_t b_{t−1} and θ ← θ − γ b_t, the form of ``torch.optim.SGD``'s
        momentum buffer, one pass over the parameters cheaper than storing d_t);
        for "authors" ``direction``, the released code's twice-updated buffer D_t.

    Example:
        >>> opt = ConjugateGradient(model.parameters(), lr=1e-3, beta_rule="PRP")
        >>> opt.zero_grad(); loss_fn(model(x)).backward(); opt.step()

    .. note::
        Deviations from the textbook method, all deliberate: gradients are stochastic
        (minibatches), there is no line search and no restart, β is clipped to
        [0, β̂] and scaled by c (which keeps it a bounded "momentum" as required by
        the paper's assumption), and the first step of a tensor is plain SGD. Tensors
        whose ``.grad`` is None are skipped (no state, no change); with
        ``scope="player"`` β is computed from the tensors that have a gradient and a
        previous step. The previous gradient is stored as a copy, so zeroing or
        accumulating into ``.grad`` later does not change it.
    """

    def __init__(
        self,
        params: Any,
        lr: float,
        beta_rule: str = "FR",
        beta_coeff: float = 1.0,
        beta_max: float = 0.5,
        hz_mu: float = 2.0,
        scope: str = "tensor",
        variant: str = "paper",
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        check_lr(lr)
        check_choice("beta_rule", beta_rule, BETA_RULES)
        check_non_negative("beta_coeff", beta_coeff)
        check_interval("beta_max", beta_max, 0.0, 1.0)
        check_non_negative("hz_mu", hz_mu)
        check_choice("scope", scope, SCOPES)
        check_choice("variant", variant, VARIANTS)
        defaults = {
            "lr": lr,
            "beta_rule": beta_rule,
            "beta_coeff": beta_coeff,
            "beta_max": beta_max,
            "hz_mu": hz_mu,
            "scope": scope,
            "variant": variant,
            "maximize": maximize,
            "foreach": foreach,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("variant", "paper")
            group.setdefault("scope", "tensor")

    def _update_group(self, group: dict[str, Any], params: list[Tensor]) -> None:
        if any(p.grad.is_sparse for p in params):
            raise RuntimeError(
                "ConjugateGradient does not support sparse gradients"
            )
        if group["variant"] == "authors":
            self._step_authors(group, params)
            return
        fresh = [p for p in params if "momentum_buffer" not in self.state[p]]
        ongoing = [p for p in params if "momentum_buffer" in self.state[p]]
        self._init_paper(group, fresh)
        if not ongoing:
            return
        uniform = len({(p.device, p.dtype) for p in ongoing}) == 1
        if resolve_foreach(group["foreach"], ongoing) and uniform:
            self._multi_tensor_paper(group, ongoing)
        else:
            self._single_tensor_paper(group, ongoing)

    # ----------------------------------------------------------------- variant="paper"
    # The paper variant keeps b_t = -d_t ("momentum_buffer"): then b_t = g_t + β_t b_{t-1}
    # is a single addcmul and θ -= lr·b_t, one pass over the parameters fewer than
    # forming d_t = -g_t + β_t d_{t-1} (this is what brings the step under Adam's cost).
    def _init_paper(self, group: dict[str, Any], params: list[Tensor]) -> None:
        """First step of each tensor: d_0 = −g_0 (plain SGD)."""
        for param, grad in zip(params, grads_of(params, group["maximize"])):
            state = self.state[param]
            param.add_(grad, alpha=-group["lr"])
            state["step"] = scalar_state(1.0, param, on_cpu=True)
            state["prev_grad"] = grad.clone(memory_format=torch.preserve_format)
            state["momentum_buffer"] = grad.clone(memory_format=torch.preserve_format)
            state["beta"] = scalar_state(0.0, param)

    @staticmethod
    def _betas(group: dict[str, Any], stacked: dict[str, Tensor], beta_fn) -> Tensor:
        """β per tensor (a vector), from per-tensor or group-summed products."""
        count = next(iter(stacked.values())).numel()
        if group["scope"] == "player":
            stacked = {name: value.sum() for name, value in stacked.items()}
        beta = beta_fn(
            group["beta_rule"],
            stacked,
            group["beta_coeff"],
            group["beta_max"],
            group["hz_mu"],
        )
        return beta.expand(count) if beta.dim() == 0 else beta

    def _paper_betas(
        self,
        group: dict[str, Any],
        grads: list[Tensor],
        states: list[dict],
        foreach: bool,
    ) -> list[Tensor]:
        prevs = [s["prev_grad"] for s in states]
        buffers = [s["momentum_buffer"] for s in states]
        needed = _PRODUCTS[group["beta_rule"]]
        plain = [name for name in needed if name not in _NEEDS_Y]
        stacked = _stacked_products(
            plain, grads, prevs, buffers, None, buffer_sign=-1.0
        )
        with_y = [name for name in needed if name in _NEEDS_Y]
        if with_y:
            # -y = p - g is written into the prev_grad buffer (restored to g by the
            # update): no allocation and no extra pass.
            if foreach:
                torch._foreach_sub_(prevs, grads)
            else:
                for prev, grad in zip(prevs, grads):
                    prev.sub_(grad)
            stacked.update(
                _stacked_products(
                    with_y, grads, prevs, buffers, prevs, buffer_sign=-1.0
                )
            )
        betas = self._betas(group, stacked, _paper_beta).to(grads[0].dtype)
        return list(betas.unbind(0))

    def _single_tensor_paper(self, group: dict[str, Any], params: list[Tensor]) -> None:
        grads = grads_of(params, group["maximize"])
        states = [self.state[p] for p in params]
        if group["scope"] == "tensor":
            # β of a tensor needs only its own products, so the update can follow while
            # the tensor is still in cache; small tensors are batched so that the few
            # kernels computing β are shared.
            batches = _batches([p.numel() for p in params], _CACHE_BATCH_NUMEL)
        else:
            batches = [range(len(params))]
        for batch in batches:
            batch_grads = [grads[i] for i in batch]
            batch_states = [states[i] for i in batch]
            betas = self._paper_betas(group, batch_grads, batch_states, foreach=False)
            for i, grad, state, beta in zip(batch, batch_grads, batch_states, betas):
                buffer = state["momentum_buffer"]
                # b = g + β b, i.e. d = -g + β d, in one pass
                torch.addcmul(grad, buffer, beta, out=buffer)
                params[i].add_(buffer, alpha=-group["lr"])
                state["prev_grad"].copy_(grad)
            # Bookkeeping of the small state tensors: one kernel per list, not per tensor.
            torch._foreach_copy_([s["beta"] for s in batch_states], betas)
        torch._foreach_add_([s["step"] for s in states], 1.0)

    def _multi_tensor_paper(self, group: dict[str, Any], params: list[Tensor]) -> None:
        grads = grads_of(params, group["maximize"])
        states = [self.state[p] for p in params]
        betas = self._paper_betas(group, grads, states, foreach=True)
        buffers = [s["momentum_buffer"] for s in states]
        torch._foreach_mul_(buffers, betas)
        torch._foreach_add_(buffers, grads)
        torch._foreach_add_(params, buffers, alpha=-group["lr"])
        torch._foreach_copy_([s["prev_grad"] for s in states], grads)
        torch._foreach_copy_([s["beta"] for s in states], betas)
        torch._foreach_add_([s["step"] for s in states], 1.0)

    # --------------------------------------------------------------- variant="authors"
    def _step_authors(self, group: dict[str, Any], params: list[Tensor]) -> None:
        """The released class's step, quirk for quirk (see the class docstring)."""
        maximize = group["maximize"]
        grads = grads_of(params, maximize)
        ongoing = [i for i, p in enumerate(params) if "direction" in self.state[p]]
        betas: dict[int, Tensor] = {}
        if ongoing:
            states = [self.state[params[i]] for i in ongoing]
            cur = [grads[i] for i in ongoing]
            # prev_grad may BE p.grad (Q4): never write into it; the sign flip of
            # maximize applies to it as to the current gradient.
            prevs = [
                torch.neg(s["prev_grad"]) if maximize else s["prev_grad"]
                for s in states
            ]
            neg_y = None
            if _NEEDS_Y & set(_PRODUCTS[group["beta_rule"]]):
                neg_y = [torch.sub(p, g) for p, g in zip(prevs, cur)]
            stacked = _stacked_products(
                _PRODUCTS[group["beta_rule"]],
                cur,
                prevs,
                [s["direction"] for s in states],
                neg_y,
                buffer_sign=1.0,
            )
            values = self._betas(group, stacked, _authors_beta).unbind(0)
            betas = dict(zip(ongoing, values))
        for i, (param, grad) in enumerate(zip(params, grads)):
            state = self.state[param]
            if i in betas:
                beta = betas[i].to(param.dtype)
                direction = state["direction"].mul_(beta).sub_(grad)  # d = β D − g
            else:  # Q1: first step goes along +g
                beta = scalar_state(0.0, param)
                direction = grad.clone(memory_format=torch.preserve_format)
                state["step"] = scalar_state(0.0, param, on_cpu=True)
            param.add_(direction, alpha=group["lr"])
            state["prev_grad"] = param.grad  # Q4: a reference, not a copy
            state["direction"] = direction * beta - grad  # Q2: second buffer update
            state["beta"] = beta.clone()
            state["step"].add_(1)
