r"""Nonlinear conjugate-gradient (CG) optimizer for each player of a GAN.

Method: Naganuma & Iiduka, "Conjugate Gradient Method for Generative Adversarial
Networks", AISTATS 2023 (arXiv 2203.14495). The ``variant="authors"`` path re-implements
the behaviour of the authors' released class ``ConjugateGradientOptimizer``
(github.com/Hiroki11x/ConjugateGradient_GAN, ``jupyter/toy_example/cg_optimizer.py``,
MIT license); no code is copied from it. The class docstring lists where that class
departs from the paper (quirks Q1–Q7). The β formulas and inner products are in
:mod:`cggan.optim.cg_rules`, the β diagnostics in :mod:`cggan.optim.cg_stats`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from cggan.optim import cg_stats
from cggan.optim.base import (
    SCOPES,
    PlayerOptimizer,
    check_choice,
    check_interval,
    check_lr,
    check_non_negative,
    grads_of,
    resolve_foreach,
    scalar_state,
)
from cggan.optim.cg_rules import (
    BETA_RULES,
    NEEDS_Y,
    PRODUCTS,
    VARIANTS,
    authors_beta,
    cache_batches,
    chunk_numel,
    chunked_products,
    flat_views,
    paper_beta,
    stacked_products,
)

__all__ = ["BETA_RULES", "VARIANTS", "ConjugateGradient"]


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
    instead, quirks included:

    * **Q1** the first step is gradient *ascent*: ``d = +g_0``, θ ← θ + γ g_0; the
      stored buffer afterwards is ``D_0 = −g_0``.
    * **Q2** the buffer is updated twice: the applied direction is
      ``d_t = β_t D_{t−1} − g_t`` and the stored one ``D_t = β_t d_t − g_t``.
    * **Q3** HS, DY and HZ use the stored buffer ``D_{t−1}``, not the applied
      ``d_{t−1}``.
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

    β diagnostics (both variants): every step that computes β adds, per param group
    (a player), the mean of its β values, the share of them at 0 and the share at the
    cap c·β̂ to running sums kept on the parameters' device (``group["beta_stats"]``;
    a few small kernels, no host sync). A value is one per tensor with
    ``scope="tensor"`` and the player's single β with ``scope="player"`` (a share is
    then 0 or 1); the first step of a tensor (β = 0 by construction) is not counted.
    :meth:`beta_stats` returns ``{"beta_mean", "beta_capped", "beta_zero"}``
    averaged over the steps since the last reset (it syncs once). The sums live in
    the param groups, so ``state_dict()``/``load_state_dict()`` carry them and a
    resumed run reports the same statistics as an uninterrupted one. With the
    authors variant β can be negative (Q5), so ``beta_mean`` can be below 0.

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
            raise RuntimeError("ConjugateGradient does not support sparse gradients")
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

    @torch.no_grad()
    def beta_stats(
        self, reset: bool = True, *, group: int | None = None
    ) -> dict[str, float] | None:
        """β diagnostics averaged over the steps since the last reset.

        Args:
            reset: start new sums afterwards (e.g. once per evaluation interval).
            group: index of the param group (player) to report; None pools every
                group (each group-step weighs the same).

        Returns:
            ``{"beta_mean": mean β, "beta_capped": share at c·β̂, "beta_zero": share
            at 0}`` (shares in [0, 1]), or None if no step computed β since the last
            reset. This call reads the device once; ``step`` never does.
        """
        groups = self.param_groups if group is None else [self.param_groups[group]]
        return cg_stats.summarize(groups, reset=reset)

    def _scratch(self, chunk: Tensor) -> Tensor:
        """A reusable 1-D buffer like ``chunk`` for y = g − p (not optimizer state: it
        holds nothing between steps)."""
        buffers = self.__dict__.setdefault("_scratch_buffers", {})
        key = (chunk.dtype, chunk.device)
        buf = buffers.get(key)
        if buf is None:
            buf = chunk.new_empty(chunk_numel(chunk))
            buffers[key] = buf
        return buf[: chunk.numel()]

    @staticmethod
    def _betas(group: dict[str, Any], prods: dict[str, Tensor], beta_fn) -> Tensor:
        """β per tensor (a float64 vector), from per-tensor or group-summed products."""
        count = next(iter(prods.values())).numel()
        if group["scope"] == "player":
            prods = {name: value.sum() for name, value in prods.items()}
        beta = beta_fn(
            group["beta_rule"],
            prods,
            group["beta_coeff"],
            group["beta_max"],
            group["hz_mu"],
        )
        return beta.expand(count) if beta.dim() == 0 else beta

    # ----------------------------------------------------------------- variant="paper"
    # The paper variant keeps b_t = -d_t ("momentum_buffer"): then
    # b_t = g_t + β_t b_{t-1} is a single addcmul and θ -= lr·b_t, one pass over the
    # parameters fewer than forming d_t = -g_t + β_t d_{t-1}.
    def _init_paper(self, group: dict[str, Any], params: list[Tensor]) -> None:
        """First step of each tensor: d_0 = −g_0 (plain SGD)."""
        for param, grad in zip(params, grads_of(params, group["maximize"])):
            state = self.state[param]
            param.add_(grad, alpha=-group["lr"])
            state["step"] = scalar_state(1.0, param, on_cpu=True)
            state["prev_grad"] = grad.clone(memory_format=torch.preserve_format)
            state["momentum_buffer"] = grad.clone(memory_format=torch.preserve_format)
            state["beta"] = scalar_state(0.0, param)

    def _single_tensor_paper(self, group: dict[str, Any], params: list[Tensor]) -> None:
        grads = grads_of(params, group["maximize"])
        states = [self.state[p] for p in params]
        names = PRODUCTS[group["beta_rule"]]
        if group["scope"] == "tensor":
            # β of a tensor needs only its own products, so the update can follow while
            # the tensor is still in cache; small tensors are batched so that the few
            # kernels computing β are shared.
            batches = cache_batches([p.numel() for p in params])
        else:
            batches = [range(len(params))]
        recorded = []
        for batch in batches:
            operands, refresh = [], []
            for i in batch:
                prev, buffer = states[i]["prev_grad"], states[i]["momentum_buffer"]
                views = flat_views(grads[i], prev, buffer)
                refresh.append(views is not None)  # then prev_grad ← g in the products
                flat = views or [t.reshape(-1) for t in (grads[i], prev, buffer)]
                operands.append(flat)
            prods = chunked_products(
                names, operands, self._scratch, buffer_sign=-1.0, in_place=refresh
            )
            beta64 = self._betas(group, prods, paper_beta)
            recorded.append(beta64)
            betas = beta64.to(grads[batch[0]].dtype).unbind(0)
            for i, beta, refreshed in zip(batch, betas, refresh):
                buffer = states[i]["momentum_buffer"]
                # b = g + β b, i.e. d = -g + β d, in one pass; then θ -= lr·b
                torch.addcmul(grads[i], buffer, beta, out=buffer)
                params[i].add_(buffer, alpha=-group["lr"])
                if not refreshed:
                    states[i]["prev_grad"].copy_(grads[i])
            # The small state tensors: one kernel per list, not per tensor.
            torch._foreach_copy_([states[i]["beta"] for i in batch], betas)
        torch._foreach_add_([s["step"] for s in states], 1.0)
        cg_stats.record_betas(group, recorded)

    def _multi_tensor_paper(self, group: dict[str, Any], params: list[Tensor]) -> None:
        grads = grads_of(params, group["maximize"])
        states = [self.state[p] for p in params]
        prevs = [s["prev_grad"] for s in states]
        buffers = [s["momentum_buffer"] for s in states]
        names = PRODUCTS[group["beta_rule"]]
        prods = stacked_products(
            [n for n in names if n not in NEEDS_Y],
            grads,
            prevs,
            buffers,
            None,
            buffer_sign=-1.0,
        )
        with_y = [n for n in names if n in NEEDS_Y]
        if with_y:
            # -y = p - g is written into the prev_grad buffers (restored to g below):
            # no allocation and no extra pass.
            torch._foreach_sub_(prevs, grads)
            prods.update(
                stacked_products(with_y, grads, prevs, buffers, prevs, buffer_sign=-1.0)
            )
        beta64 = self._betas(group, prods, paper_beta)
        betas = list(beta64.to(grads[0].dtype).unbind(0))
        torch._foreach_mul_(buffers, betas)
        torch._foreach_add_(buffers, grads)
        torch._foreach_add_(params, buffers, alpha=-group["lr"])
        torch._foreach_copy_(prevs, grads)
        torch._foreach_copy_([s["beta"] for s in states], betas)
        torch._foreach_add_([s["step"] for s in states], 1.0)
        cg_stats.record_betas(group, [beta64])

    # --------------------------------------------------------------- variant="authors"
    def _step_authors(self, group: dict[str, Any], params: list[Tensor]) -> None:
        """The released class's step, quirk for quirk (see the class docstring)."""
        maximize = group["maximize"]
        grads = grads_of(params, maximize)
        ongoing = [i for i, p in enumerate(params) if "direction" in self.state[p]]
        betas: dict[int, Tensor] = {}
        if ongoing:
            states = [self.state[params[i]] for i in ongoing]
            # prev_grad may BE p.grad (Q4): it is only read (y goes to scratch); the
            # sign flip of maximize applies to it as to the current gradient.
            operands = [
                (grads[i].reshape(-1), prev.reshape(-1), s["direction"].reshape(-1))
                for i, s in zip(ongoing, states)
                for prev in [torch.neg(s["prev_grad"]) if maximize else s["prev_grad"]]
            ]
            prods = chunked_products(
                PRODUCTS[group["beta_rule"]], operands, self._scratch, buffer_sign=1.0
            )
            beta64 = self._betas(group, prods, authors_beta)
            betas = dict(zip(ongoing, beta64.unbind(0)))
            cg_stats.record_betas(group, [beta64])
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
