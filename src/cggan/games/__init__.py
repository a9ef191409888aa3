"""Two-player games, their update schemes and the toy games with known equilibria."""

from cggan.games.corrected_schemes import Consensus, Extragradient
from cggan.games.explicit_schemes import Alternating, Simultaneous
from cggan.games.game import Game, ZeroSumGame, assign_flat, flatten, player_gradients
from cggan.games.implicit_scheme import Implicit
from cggan.games.schemes import SCHEMES, build_scheme
from cggan.games.toys import (
    BilinearGame,
    CGPaperGame,
    DiracGAN,
    QuadraticGame,
    coupling_matrix,
)
from cggan.games.update_scheme import UpdateScheme

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
