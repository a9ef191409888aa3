"""Optimizers for the players of a game, all ``torch.optim.Optimizer`` subclasses.

* :class:`ConjugateGradient`: nonlinear CG with bounded β (Naganuma & Iiduka, 2023),
  seven β rules, per-tensor or per-player β, and the authors' released behaviour.
* :class:`NormalizedSGD`: nSGDA (Jelassi et al.), per tensor or per player.
* :class:`Graft`: Adam magnitude with SGD direction and the reverse (Agarwal et al.).
* :class:`Optimistic`: OMD / optimistic gradient descent (Daskalakis et al.).

torch's own ``SGD`` and ``Adam`` cover plain SGD, momentum and Adam.
"""

from cggan.optim.base import SCOPES
from cggan.optim.cg import BETA_RULES, VARIANTS, ConjugateGradient
from cggan.optim.graft import CHILDREN, Graft
from cggan.optim.nsgda import NormalizedSGD
from cggan.optim.optimistic import Optimistic

__all__ = [
    "BETA_RULES",
    "CHILDREN",
    "SCOPES",
    "VARIANTS",
    "ConjugateGradient",
    "Graft",
    "NormalizedSGD",
    "Optimistic",
]
