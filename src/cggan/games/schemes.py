"""Update schemes: how the two players' gradients are combined into one step of a game.

A method is *update scheme + player optimizer* (see :mod:`cggan.methods`). The scheme
decides at which point each player's gradient is taken and what is added to it; it then
writes that gradient into ``p.grad`` and calls each player's own optimizer. With
``torch.optim.SGD`` as the player optimizer every scheme is exactly the update rule of
Liang & Stokes ("Interaction Matters", AISTATS 2019, Sec. 2, Eqs. 4-8), writing
``z = (θ, ω)`` and ``v(z) = (∇_θ L_G, ∇_ω L_D)``:

- ``simultaneous`` (SGA / SGDA): ``z ← z − η v(z)``.
- ``alternating``: D steps on ``v_ω(θ, ω)``, then G steps on ``v_θ(θ, ω_new)`` (a fresh
  evaluation), as the CG paper's code. The order follows ``players``.
- ``extragradient`` (PM): ``z ← z − η v(z − γ v(z))``.
- ``consensus`` (CO): ``z ← z − η (v + γ ∇R)(z)`` with ``R = ½‖v‖²`` (double backprop).
- ``implicit`` (IU, proximal point): ``z ← z − η v(z_next)``.

η is each player's own learning rate (``param_groups[i]["lr"]``), so the two players may
use different step sizes. Schemes keep no state between steps: anything a method needs
to remember (momentum, OMD's previous gradient, CG's direction) lives in the optimizers
and therefore in their ``state_dict``.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import torch
from torch.optim import Optimizer

from cggan.games.game import Game, assign_flat, flatten, player_gradients

__all__ = [
    "UpdateScheme",
    "Alternating",
    "Simultaneous",
    "Extragradient",
    "Consensus",
    "Implicit",
    "SCHEMES",
    "build_scheme",
]

_PLAYERS = ("d", "g")


def _check_players(players: Sequence[str]) -> tuple[str, ...]:
    players = tuple(players)
    if (
        not players
        or len(set(players)) != len(players)
        or not set(players) <= set(_PLAYERS)
    ):
        raise ValueError(
            f"Invalid players: {players!r} "
            "(allowed: a non-empty ordered subset of 'd', 'g')"
        )
    return players


def _check_gamma(gamma: float) -> float:
    gamma = float(gamma)
    if not gamma > 0.0 or gamma != gamma or gamma == float("inf"):
        raise ValueError(f"Invalid gamma: {gamma} (allowed: finite gamma > 0)")
    return gamma


def _params(game: Game, player: str) -> list[torch.Tensor]:
    return game.params_g if player == "g" else game.params_d


def _loss(game: Game, player: str) -> torch.Tensor:
    return game.loss_g() if player == "g" else game.loss_d()


def _optimizer(player: str, opt_g: Optimizer, opt_d: Optimizer) -> Optimizer:
    return opt_g if player == "g" else opt_d


def _write_grads(params: Sequence[torch.Tensor], grads: Sequence[torch.Tensor]) -> None:
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


def _evaluate(game: Game, players: Sequence[str]):
    """Losses and per-player gradients at the current point, before anything moves."""
    losses = {name: _loss(game, name) for name in players}
    grads = {
        # retain_graph: the two losses of a GAN may share a generator forward pass.
        name: player_gradients(losses[name], _params(game, name), retain_graph=True)
        for name in players
    }
    return losses, grads


def _detached(losses: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"loss_{name}": loss.detach() for name, loss in losses.items()}


class Simultaneous(UpdateScheme):
    """Both players step on gradients taken at the same point: ``z ← z − η v(z)``."""

    name = "simultaneous"

    def step(self, game, opt_g, opt_d, players=("d", "g")):
        players = _check_players(players)
        losses, grads = _evaluate(game, players)
        for name in players:
            _write_grads(_params(game, name), grads[name])
        for name in players:
            _optimizer(name, opt_g, opt_d).step()
        return _detached(losses)


class Alternating(UpdateScheme):
    """Players step one after the other, each on a fresh evaluation of its loss.

    With the default ``players=("d", "g")``: D steps on ``∇_ω L_D(θ, ω)``, then G steps
    on ``∇_θ L_G(θ, ω_new)``, the loop of the CG paper's GAN code.
    """

    name = "alternating"

    def step(self, game, opt_g, opt_d, players=("d", "g")):
        players = _check_players(players)
        out = {}
        for name in players:
            params = _params(game, name)
            loss = _loss(game, name)
            _write_grads(params, player_gradients(loss, params))
            _optimizer(name, opt_g, opt_d).step()
            out[f"loss_{name}"] = loss.detach()
        return out


class Extragradient(UpdateScheme):
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

    def __init__(self, gamma: float = 1.0) -> None:
        self.gamma = _check_gamma(gamma)

    def hparams(self):
        return {"gamma": self.gamma}

    def step(self, game, opt_g, opt_d, players=("d", "g")):
        players = _check_players(players)
        losses, grads = _evaluate(game, players)
        snapshot = {
            name: [p.detach().clone() for p in _params(game, name)] for name in players
        }
        with torch.no_grad():
            for name in players:
                for p, g in zip(_params(game, name), grads[name], strict=True):
                    p.sub_(g, alpha=self.gamma)
        _, grads_half = _evaluate(game, players)
        with torch.no_grad():
            for name in players:
                for p, saved in zip(_params(game, name), snapshot[name], strict=True):
                    p.copy_(saved)
        for name in players:
            _write_grads(_params(game, name), grads_half[name])
        for name in players:
            _optimizer(name, opt_g, opt_d).step()
        return _detached(losses)


class Consensus(UpdateScheme):
    """Consensus optimization (CO): each player descends ``v + γ ∇R``, ``R = ½‖v‖²``.

    ``v`` is the vector field of both players (R is a property of the game),
    ``∇R = J_vᵀ v`` is obtained by double backpropagation. For a zero-sum game θ
    descends ``U + γR`` and ω ascends ``U − γR`` (Mescheder et al. 2017;
    Liang & Stokes eq. 8–9).

    Args:
        gamma: weight γ > 0 of the consensus term.
    """

    name = "consensus"

    def __init__(self, gamma: float = 1.0) -> None:
        self.gamma = _check_gamma(gamma)

    def hparams(self):
        return {"gamma": self.gamma}

    def step(self, game, opt_g, opt_d, players=("d", "g")):
        players = _check_players(players)
        losses = {name: _loss(game, name) for name in _PLAYERS}
        field = {
            name: player_gradients(
                losses[name], _params(game, name), create_graph=True, retain_graph=True
            )
            for name in _PLAYERS
        }
        reg = 0.5 * sum((g * g).sum() for name in _PLAYERS for g in field[name])
        for name in players:
            params = _params(game, name)
            if reg.requires_grad:
                reg_grads = player_gradients(reg, params, retain_graph=True)
            else:  # constant vector field: R does not depend on the parameters
                reg_grads = [torch.zeros_like(p) for p in params]
            total = [
                v.detach() + self.gamma * r
                for v, r in zip(field[name], reg_grads, strict=True)
            ]
            _write_grads(params, total)
        for name in players:
            _optimizer(name, opt_g, opt_d).step()
        return _detached({name: losses[name] for name in players})


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
        players = _check_players(players)
        params = game.params_g + game.params_d
        losses = {name: _loss(game, name).detach() for name in players}
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
        for name in players:
            _write_grads(_params(game, name), split[name])
        for name in players:
            _optimizer(name, opt_g, opt_d).step()
        return {f"loss_{name}": loss for name, loss in losses.items()}

    @staticmethod
    def _step_vector(game, opt_g, opt_d, players, z0) -> torch.Tensor:
        parts = []
        for name in _PLAYERS[::-1]:  # g first, then d: the layout of z
            params = _params(game, name)
            lrs = _step_sizes(_optimizer(name, opt_g, opt_d), params)
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
        for name in _PLAYERS[::-1]:
            loss = _loss(game, name)
            grads += [
                g.reshape(-1) for g in player_gradients(loss, _params(game, name))
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


SCHEMES: dict[str, type[UpdateScheme]] = {
    cls.name: cls
    for cls in (Alternating, Simultaneous, Extragradient, Consensus, Implicit)
}


def build_scheme(name: str, **kwargs) -> UpdateScheme:
    """Build an update scheme by name.

    Args:
        name: one of ``SCHEMES`` (alternating, simultaneous, extragradient, consensus,
            implicit).
        **kwargs: the scheme's hyperparameters (``gamma`` for extragradient and
            consensus; ``tol``, ``max_iter`` for implicit).

    Raises:
        ValueError: unknown name or hyperparameter, or a bad value.
    """
    if name not in SCHEMES:
        raise ValueError(
            f"Invalid scheme: {name!r} (allowed: {', '.join(sorted(SCHEMES))})"
        )
    cls = SCHEMES[name]
    allowed = {
        "extragradient": ("gamma",),
        "consensus": ("gamma",),
        "implicit": ("tol", "max_iter"),
    }.get(name, ())
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(
            f"Invalid hyperparameter for scheme {name}: {', '.join(unknown)} "
            f"(allowed: {', '.join(allowed) or 'none'})"
        )
    return cls(**kwargs)
