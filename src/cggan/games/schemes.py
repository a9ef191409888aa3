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

The schemes live by family: :mod:`cggan.games.explicit_schemes` (simultaneous,
alternating), :mod:`cggan.games.corrected_schemes` (extragradient, consensus) and
:mod:`cggan.games.implicit_scheme`; what they share, :class:`UpdateScheme` included, is
:mod:`cggan.games.update_scheme`. This module names them (:data:`SCHEMES`) and builds
one by name (:func:`build_scheme`).
"""

from __future__ import annotations

from cggan.games.corrected_schemes import Consensus, Extragradient
from cggan.games.explicit_schemes import Alternating, Simultaneous
from cggan.games.implicit_scheme import Implicit
from cggan.games.update_scheme import UpdateScheme

__all__ = ["SCHEMES", "build_scheme"]


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
