"""The implicit scheme (IU, the proximal point method): ``z ← z − η v(z_next)``.

With ``torch.optim.SGD`` as the player optimizer this is Liang & Stokes' implicit
update ("Interaction Matters", AISTATS 2019, Sec. 2): each player steps on the gradient
at the point the step arrives at, found by a linear solve or by fixed-point iteration.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.optim import Optimizer

from cggan.games.game import Game, assign_flat, flatten, player_gradients
from cggan.games.update_scheme import (
    PLAYERS,
    UpdateScheme,
    check_players,
    player_loss,
    player_optimizer,
    player_params,
    step_players,
)

__all__ = ["Implicit"]


def _step_sizes(opt: Optimizer, params: Sequence[torch.Tensor]) -> list[float]:
    """The learning rate each parameter tensor gets from its optimizer's param group."""
    lr_of = {}
    for group in opt.param_groups:
        for p in group["params"]:
            lr_of[id(p)] = float(group["lr"])
    try:
        return [lr_of[id(p)] for p in params]
    except KeyError as exc:
        raise ValueError(
            "Invalid optimizer: it does not hold the game's parameters"
        ) from exc


class Implicit(UpdateScheme):
    """Implicit updates (IU, the proximal point method): ``z ← z − η v(z_next)``.

    ``z_next`` solves ``z_next = z − H v(z_next)`` with ``H`` the diagonal of the
    players' learning rates (zero for a player that does not move). When the game
    exposes an affine vector field ``v(z) = M z + b`` (:meth:`Game.linear_operator`) the
    step is the exact linear solve ``(I + H M) z_next = z − H b``; otherwise fixed-point
    iteration ``z_{k+1} = z − H v(z_k)``, which converges when ``η · Lip(v) < 1``. The
    gradient ``v(z_next)`` is then handed to each optimizer at ``z``, so with SGD the
    iterate is ``z_next``. Toy games only (each fixed-point iteration is a full
    gradient evaluation).

    Args:
        tol: stop when ``‖z_{k+1} − z_k‖ ≤ tol · (1 + ‖z‖)``.
        max_iter: iterations before giving up with ``RuntimeError``.
    """

    name = "implicit"

    def __init__(self, tol: float = 1e-12, max_iter: int = 1000) -> None:
        if not float(tol) > 0.0:
            raise ValueError(f"Invalid tol: {tol} (allowed: tol > 0)")
        if int(max_iter) != max_iter or max_iter < 1:
            raise ValueError(f"Invalid max_iter: {max_iter} (allowed: integer >= 1)")
        self.tol = float(tol)
        self.max_iter = int(max_iter)

    def hparams(self):
        return {"tol": self.tol, "max_iter": self.max_iter}

    def step(self, game, opt_g, opt_d, players=("d", "g")):
        players = check_players(players)
        params = game.params_g + game.params_d
        losses = {name: player_loss(game, name).detach() for name in players}
        z0 = flatten(params)
        h = self._step_vector(game, opt_g, opt_d, players, z0)
        operator = game.linear_operator()
        if operator is not None:
            matrix, offset = operator
            matrix = matrix.to(z0)
            offset = offset.to(z0)
            eye = torch.eye(z0.numel(), dtype=z0.dtype, device=z0.device)
            z_next = torch.linalg.solve(eye + h[:, None] * matrix, z0 - h * offset)
            v_next = matrix @ z_next + offset
        else:
            v_next = self._fixed_point(game, players, z0, h)
        assign_flat(params, z0)
        # Split v(z_next) back into per-tensor gradients.
        offset_idx = 0
        grads = []
        for p in params:
            n = p.numel()
            grads.append(v_next[offset_idx : offset_idx + n].view_as(p))
            offset_idx += n
        n_g = len(game.params_g)
        split = {"g": grads[:n_g], "d": grads[n_g:]}
        step_players(game, opt_g, opt_d, players, split)
        return {f"loss_{name}": loss for name, loss in losses.items()}

    @staticmethod
    def _step_vector(game, opt_g, opt_d, players, z0) -> torch.Tensor:
        parts = []
        for name in PLAYERS[::-1]:  # g first, then d: the layout of z
            params = player_params(game, name)
            lrs = _step_sizes(player_optimizer(name, opt_g, opt_d), params)
            for p, lr in zip(params, lrs, strict=True):
                # Built in z's dtype: a float32 copy of lr would perturb float64 games.
                parts.append(
                    torch.full(
                        (p.numel(),),
                        lr if name in players else 0.0,
                        dtype=z0.dtype,
                        device=z0.device,
                    )
                )
        return torch.cat(parts)

    def _vector_field(self, game: Game) -> torch.Tensor:
        grads = []
        for name in PLAYERS[::-1]:
            loss = player_loss(game, name)
            grads += [
                g.reshape(-1) for g in player_gradients(loss, player_params(game, name))
            ]
        return torch.cat(grads)

    def _fixed_point(self, game, players, z0, h) -> torch.Tensor:
        params = game.params_g + game.params_d
        z = z0
        scale = 1.0 + float(torch.linalg.vector_norm(z0))
        for _ in range(self.max_iter):
            assign_flat(params, z)
            v = self._vector_field(game)
            z_new = z0 - h * v
            change = float(torch.linalg.vector_norm(z_new - z))
            if not torch.isfinite(z_new).all():
                break
            if change <= self.tol * scale:
                return v
            z = z_new
        assign_flat(params, z0)
        raise RuntimeError(
            f"implicit step did not converge in {self.max_iter} fixed-point iterations "
            f"(tol {self.tol}); lower the learning rate (needs lr * Lip(v) < 1)"
        )
