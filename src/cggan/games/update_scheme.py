"""What every update scheme is, and the steps they share.

A method is *update scheme + player optimizer* (see :mod:`cggan.methods`). The scheme
decides at which point each player's gradient is taken and what is added to it; it then
writes that gradient into ``p.grad`` (:func:`write_grads`) and calls each player's own
optimizer. η is each player's own learning rate (``param_groups[i]["lr"]``), so the two
players may use different step sizes. Schemes keep no state between steps: anything a
method needs to remember (momentum, OMD's previous gradient, CG's direction) lives in
the optimizers and therefore in their ``state_dict``. The schemes themselves and their
names: :mod:`cggan.games.schemes`.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import torch
from torch.optim import Optimizer

from cggan.games.game import Game, player_gradients

__all__ = [
    "PLAYERS",
    "UpdateScheme",
    "check_gamma",
    "check_players",
    "detached_losses",
    "evaluate_players",
    "player_loss",
    "player_optimizer",
    "player_params",
    "step_players",
    "write_grads",
]

#: The two players, in the order a default step moves them (D, then G).
PLAYERS = ("d", "g")


def check_players(players: Sequence[str]) -> tuple[str, ...]:
    players = tuple(players)
    if (
        not players
        or len(set(players)) != len(players)
        or not set(players) <= set(PLAYERS)
    ):
        raise ValueError(
            f"Invalid players: {players!r} "
            "(allowed: a non-empty ordered subset of 'd', 'g')"
        )
    return players


def check_gamma(gamma: float) -> float:
    gamma = float(gamma)
    if not gamma > 0.0 or gamma != gamma or gamma == float("inf"):
        raise ValueError(f"Invalid gamma: {gamma} (allowed: finite gamma > 0)")
    return gamma


def player_params(game: Game, player: str) -> list[torch.Tensor]:
    return game.params_g if player == "g" else game.params_d


def player_loss(game: Game, player: str) -> torch.Tensor:
    return game.loss_g() if player == "g" else game.loss_d()


def player_optimizer(player: str, opt_g: Optimizer, opt_d: Optimizer) -> Optimizer:
    return opt_g if player == "g" else opt_d


def write_grads(params: Sequence[torch.Tensor], grads: Sequence[torch.Tensor]) -> None:
    """Store the gradient a player's optimizer will consume in ``p.grad``.

    An existing ``p.grad`` is overwritten in place, exactly what
    ``zero_grad(set_to_none=False)`` followed by ``backward`` does. Optimizers that
    copy their previous gradient (all of ours except ``variant="authors"``) cannot tell
    the difference; the authors' variant keeps ``p.grad`` by reference, and in place
    writes reproduce the collapse of the released code under torch 1.10
    (``docs/released-code.md``).
    """
    with torch.no_grad():
        for p, g in zip(params, grads, strict=True):
            g = g.detach()
            if (
                p.grad is not None
                and p.grad.shape == g.shape
                and p.grad.dtype == g.dtype
            ):
                p.grad.copy_(g)
            else:
                p.grad = g.clone()


class UpdateScheme(abc.ABC):
    """One step of a two-player game with one optimizer per player."""

    name: str = ""

    @abc.abstractmethod
    def step(
        self,
        game: Game,
        opt_g: Optimizer,
        opt_d: Optimizer,
        players: Sequence[str] = ("d", "g"),
    ) -> dict[str, torch.Tensor]:
        """Update the players named in ``players``.

        Args:
            game: the game (its parameters are changed in place).
            opt_g: G's optimizer (holds ``game.params_g``).
            opt_d: D's optimizer (holds ``game.params_d``).
            players: which players move; ``("d",)`` updates D only (n_critic > 1).
                The order matters only for ``alternating``.

        Returns:
            The detached losses evaluated at the start of each player's step, keys
            ``"loss_g"`` / ``"loss_d"`` for the players that moved.
        """

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hparams().items())
        return f"{type(self).__name__}({args})"

    def hparams(self) -> dict[str, float]:
        """The scheme's hyperparameters (for logs and reprs)."""
        return {}


def evaluate_players(game: Game, players: Sequence[str]):
    """Losses and per-player gradients at the current point, before anything moves."""
    losses = {name: player_loss(game, name) for name in players}
    grads = {
        # retain_graph: the two losses of a GAN may share a generator forward pass.
        name: player_gradients(
            losses[name], player_params(game, name), retain_graph=True
        )
        for name in players
    }
    return losses, grads


def step_players(
    game: Game,
    opt_g: Optimizer,
    opt_d: Optimizer,
    players: Sequence[str],
    grads: dict[str, Sequence[torch.Tensor]],
) -> None:
    """Hand each moving player its gradient (``grads[player]``), then step each one's
    optimizer: every gradient is in place before the first optimizer moves."""
    for name in players:
        write_grads(player_params(game, name), grads[name])
    for name in players:
        player_optimizer(name, opt_g, opt_d).step()


def detached_losses(losses: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"loss_{name}": loss.detach() for name, loss in losses.items()}
