"""Two-player games: the interface every update scheme works on.

A game has two players. The generator / minimizing player owns ``params_g`` (θ) and
minimizes ``loss_g``; the discriminator / maximizing player owns ``params_d`` (ω) and
minimizes ``loss_d``. In a zero-sum game ``loss_g = U`` and ``loss_d = -U``, so ω
maximizes U. The *vector field* of the game is ``v(z) = (∇_θ loss_g, ∇_ω loss_d)`` with
``z = (θ, ω)``; for a zero-sum game that is ``(∇_θ U, −∇_ω U)``, the notation of Liang &
Stokes (2019). Every update scheme in :mod:`cggan.games.schemes` is
"descent on v" in some form.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import torch

__all__ = [
    "Game",
    "ZeroSumGame",
    "player_gradients",
    "flatten",
    "assign_flat",
]


class Game(abc.ABC):
    """A (possibly general-sum) two-player game.

    Attributes:
        params_g: θ, the tensors of the generator / minimizing player.
        params_d: ω, the tensors of the discriminator / maximizing player.
    """

    params_g: list[torch.Tensor]
    params_d: list[torch.Tensor]

    @abc.abstractmethod
    def loss_g(self) -> torch.Tensor:
        """G's loss at the current parameters (G minimizes it)."""

    @abc.abstractmethod
    def loss_d(self) -> torch.Tensor:
        """D's loss at the current parameters (D minimizes it)."""

    def linear_operator(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """``(M, b)`` with ``v(z) = M z + b`` when the vector field is
        affine, else ``None``.

        ``z`` is :func:`flatten` of ``params_g + params_d``. The implicit scheme solves
        its step exactly when this is available and falls back to fixed-point
        iteration otherwise.
        """
        return None


def flatten(params: Sequence[torch.Tensor]) -> torch.Tensor:
    """Concatenate detached copies of ``params`` into one vector."""
    if not params:
        return torch.zeros(0)
    return torch.cat([p.detach().reshape(-1) for p in params])


def assign_flat(params: Sequence[torch.Tensor], z: torch.Tensor) -> None:
    """Write the vector ``z`` (as produced by :func:`flatten`) back into ``params``."""
    offset = 0
    with torch.no_grad():
        for p in params:
            n = p.numel()
            p.copy_(z[offset : offset + n].view_as(p))
            offset += n
    if offset != z.numel():
        raise ValueError(f"Invalid z: {z.numel()} entries for {offset} parameters")


def player_gradients(
    loss: torch.Tensor,
    params: Sequence[torch.Tensor],
    *,
    create_graph: bool = False,
    retain_graph: bool | None = None,
) -> list[torch.Tensor]:
    """Gradient of ``loss`` with respect to ``params`` only.

    ``torch.autograd.grad`` rather than ``backward`` so that D's loss (which depends on
    G's parameters through the fake samples) never leaks a gradient into G's ``.grad``.
    Parameters the loss does not depend on get a zero gradient.
    """
    grads = torch.autograd.grad(
        loss,
        list(params),
        create_graph=create_graph,
        retain_graph=retain_graph,
        allow_unused=True,
    )
    return [
        torch.zeros_like(p) if g is None else g
        for g, p in zip(grads, params, strict=True)
    ]


class ZeroSumGame(Game):
    """A zero-sum game ``min_θ max_ω U(θ, ω)``: ``loss_g = U``, ``loss_d = −U``.

    Subclasses implement :meth:`objective`; alternatively pass ``objective`` as a
    callable ``objective(params_g, params_d) -> Tensor``.

    Args:
        params_g: θ (leaf tensors with ``requires_grad=True``).
        params_d: ω.
        objective: U as a callable, unless a subclass overrides :meth:`objective`.
        equilibrium: the Nash equilibrium ``(θ*, ω*)`` as two flat tensors, used by
            :meth:`distance`; ``None`` if unknown.
    """

    def __init__(
        self,
        params_g: Sequence[torch.Tensor],
        params_d: Sequence[torch.Tensor],
        objective=None,
        equilibrium: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> None:
        self.params_g = list(params_g)
        self.params_d = list(params_d)
        self._objective_fn = objective
        self._equilibrium = equilibrium

    def objective(self) -> torch.Tensor:
        """U at the current parameters."""
        if self._objective_fn is None:
            raise NotImplementedError(
                "ZeroSumGame needs an objective callable or override"
            )
        return self._objective_fn(self.params_g, self.params_d)

    def loss_g(self) -> torch.Tensor:
        return self.objective()

    def loss_d(self) -> torch.Tensor:
        return -self.objective()

    @property
    def equilibrium(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(θ*, ω*)`` as flat tensors."""
        if self._equilibrium is None:
            raise ValueError("Invalid equilibrium: this game does not define one")
        return self._equilibrium

    def point(self) -> torch.Tensor:
        """The current ``z = (θ, ω)`` as one flat (detached) vector."""
        return flatten(self.params_g + self.params_d)

    def set_point(self, z: torch.Tensor) -> None:
        """Move the game to ``z = (θ, ω)``."""
        assign_flat(self.params_g + self.params_d, z)

    def distance(self) -> float:
        """Euclidean distance of ``(θ, ω)`` to the equilibrium."""
        theta_star, omega_star = self.equilibrium
        return float(
            torch.linalg.vector_norm(self.point() - torch.cat([theta_star, omega_star]))
        )

    def vector_field(self, create_graph: bool = False) -> torch.Tensor:
        """``v(z) = (∇_θ U, −∇_ω U)`` at the current point, as one flat vector."""
        loss = self.objective()
        params = self.params_g + self.params_d
        grads = player_gradients(loss, params, create_graph=create_graph)
        n_g = len(self.params_g)
        parts = [g.reshape(-1) for g in grads[:n_g]] + [
            -g.reshape(-1) for g in grads[n_g:]
        ]
        return torch.cat(parts)
