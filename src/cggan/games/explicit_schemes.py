"""The explicit schemes: each player steps on its gradient at the current point.

With ``torch.optim.SGD`` as the player optimizer (Liang & Stokes, "Interaction Matters",
AISTATS 2019, Sec. 2; ``z = (θ, ω)``, ``v(z) = (∇_θ L_G, ∇_ω L_D)``):

- ``simultaneous`` (SGA / SGDA): ``z ← z − η v(z)``.
- ``alternating``: D steps on ``v_ω(θ, ω)``, then G steps on ``v_θ(θ, ω_new)`` (a fresh
  evaluation), as the CG paper's code. The order follows ``players``.
"""

from __future__ import annotations

from cggan.games.game import player_gradients
from cggan.games.update_scheme import (
    UpdateScheme,
    check_players,
    detached_losses,
    evaluate_players,
    player_loss,
    player_optimizer,
    player_params,
    step_players,
    write_grads,
)

__all__ = ["Alternating", "Simultaneous"]


class Simultaneous(UpdateScheme):
    """Both players step on gradients taken at the same point: ``z ← z − η v(z)``."""

    name = "simultaneous"

    def step(self, game, opt_g, opt_d, players=("d", "g")):
        players = check_players(players)
        losses, grads = evaluate_players(game, players)
        step_players(game, opt_g, opt_d, players, grads)
        return detached_losses(losses)


class Alternating(UpdateScheme):
    """Players step one after the other, each on a fresh evaluation of its loss.

    With the default ``players=("d", "g")``: D steps on ``∇_ω L_D(θ, ω)``, then G steps
    on ``∇_θ L_G(θ, ω_new)``, the loop of the CG paper's GAN code.
    """

    name = "alternating"

    def step(self, game, opt_g, opt_d, players=("d", "g")):
        players = check_players(players)
        out = {}
        for name in players:
            params = player_params(game, name)
            loss = player_loss(game, name)
            write_grads(params, player_gradients(loss, params))
            player_optimizer(name, opt_g, opt_d).step()
            out[f"loss_{name}"] = loss.detach()
        return out
