"""Two-player games, their update schemes and the toy games with known equilibria."""

from cggan.games.game import Game, ZeroSumGame, assign_flat, flatten, player_gradients
from cggan.games.schemes import (
    SCHEMES,
    Alternating,
    Consensus,
    Extragradient,
    Implicit,
    Simultaneous,
    UpdateScheme,
    build_scheme,
)
from cggan.games.toys import (
    BilinearGame,
    CGPaperGame,
    DiracGAN,
    QuadraticGame,
    coupling_matrix,
)

__all__ = [
    "Game",
    "ZeroSumGame",
    "player_gradients",
    "flatten",
    "assign_flat",
    "UpdateScheme",
    "Alternating",
    "Simultaneous",
    "Extragradient",
    "Consensus",
    "Implicit",
    "SCHEMES",
    "build_scheme",
    "BilinearGame",
    "QuadraticGame",
    "CGPaperGame",
    "DiracGAN",
    "coupling_matrix",
]
