"""The corrected schemes: the gradient field is corrected by a term weighted by γ.

With ``torch.optim.SGD`` as the player optimizer (Liang & Stokes, "Interaction Matters",
AISTATS 2019, Eqs. 6-9; ``z = (θ, ω)``, ``v(z) = (∇_θ L_G, ∇_ω L_D)``):

- ``extragradient`` (PM): ``z ← z − η v(z − γ v(z))``, the gradient at a look-ahead
  point.
- ``consensus`` (CO): ``z ← z − η (v + γ ∇R)(z)`` with ``R = ½‖v‖²`` (double backprop).
"""

from __future__ import annotations

import torch

from cggan.games.game import player_gradients
from cggan.games.update_scheme import (
    PLAYERS,
    UpdateScheme,
    check_gamma,
    check_players,
    detached_losses,
    evaluate_players,
    player_loss,
    player_optimizer,
    player_params,
    step_players,
    write_grads,
)

__all__ = ["Consensus", "Extragradient"]


class _Corrected(UpdateScheme):
    """A scheme whose correction of the gradient field is weighted by ``gamma`` > 0."""

    def __init__(self, gamma: float = 1.0) -> None:
        self.gamma = check_gamma(gamma)

    def hparams(self):
        return {"gamma": self.gamma}


class Extragradient(_Corrected):
    """Liang & Stokes' predictive method (PM): ``z ← z − η v(z − γ v(z))``.

    The extrapolation ``z_half = z − γ v(z)`` is a plain step of size ``gamma`` for the
    moving players; the gradient at ``z_half`` is then handed to each player's optimizer
    at the original point ``z``. With SGD this is exactly PM (``γ = η``: classical
    extragradient); with another optimizer it is that optimizer's extra-gradient
    variant. The snapshot of ``z`` lives only inside one call.

    Args:
        gamma: extrapolation step γ > 0.
    """

    name = "extragradient"

    def step(self, game, opt_g, opt_d, players=("d", "g")):
        players = check_players(players)
        losses, grads = evaluate_players(game, players)
        snapshot = {
            name: [p.detach().clone() for p in player_params(game, name)]
            for name in players
        }
        with torch.no_grad():
            for name in players:
                for p, g in zip(player_params(game, name), grads[name], strict=True):
                    p.sub_(g, alpha=self.gamma)
        _, grads_half = evaluate_players(game, players)
        with torch.no_grad():
            for name in players:
                for p, saved in zip(
                    player_params(game, name), snapshot[name], strict=True
                ):
                    p.copy_(saved)
        step_players(game, opt_g, opt_d, players, grads_half)
        return detached_losses(losses)


class Consensus(_Corrected):
    """Consensus optimization (CO): each player descends ``v + γ ∇R``, ``R = ½‖v‖²``.

    ``v`` is the vector field of both players (R is a property of the game),
    ``∇R = J_vᵀ v`` is obtained by double backpropagation. For a zero-sum game θ
    descends ``U + γR`` and ω ascends ``U − γR`` (Mescheder et al. 2017;
    Liang & Stokes eq. 8–9).

    Args:
        gamma: weight γ > 0 of the consensus term.
    """

    name = "consensus"

    def step(self, game, opt_g, opt_d, players=("d", "g")):
        players = check_players(players)
        losses = {name: player_loss(game, name) for name in PLAYERS}
        field = {
            name: player_gradients(
                losses[name],
                player_params(game, name),
                create_graph=True,
                retain_graph=True,
            )
            for name in PLAYERS
        }
        reg = 0.5 * sum((g * g).sum() for name in PLAYERS for g in field[name])
        for name in players:
            params = player_params(game, name)
            if reg.requires_grad:
                reg_grads = player_gradients(reg, params, retain_graph=True)
            else:  # constant vector field: R does not depend on the parameters
                reg_grads = [torch.zeros_like(p) for p in params]
            total = [
                v.detach() + self.gamma * r
                for v, r in zip(field[name], reg_grads, strict=True)
            ]
            write_grads(params, total)
        for name in players:
            player_optimizer(name, opt_g, opt_d).step()
        return detached_losses({name: losses[name] for name in players})
