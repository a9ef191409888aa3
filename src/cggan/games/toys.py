"""Toy zero-sum games with known equilibria (float64).

- :class:`BilinearGame`: ``U = θᵀ C ω`` (Liang & Stokes, AISTATS 2019, Sec. 3, the
  bilinear game of their Theorems 1-4), equilibrium ``(0, 0)``.
- :class:`QuadraticGame`: ``U = ½‖θ‖² − ½‖ω‖² + θᵀ C ω`` (their Corollary 1),
  equilibrium ``(0, 0)``.
- :class:`CGPaperGame`: ``f(x, y) = (1 + x²)(100 − y²)``, x minimizes, y maximizes,
  equilibrium ``(0, 0)`` with ``f = 100``, start ``(2, −4)`` (Naganuma & Iiduka 2023,
  toy notebook; ``cg_paper.md`` §5).
- :class:`DiracGAN`: Mescheder, Geiger & Nowozin (ICML 2018, "Which training methods for
  GANs actually converge?") §2.1: data ``δ_0``, generator ``δ_θ``, discriminator
  ``D(x) = ψ x``, ``U(θ, ψ) = f(ψθ) + f(0)`` with ``f(t) = −log(1 + e^{−t})``;
  equilibrium ``(0, 0)``.

For the bilinear and quadratic games C is ``coupling · I`` of size ``dim`` unless a
matrix is given; both expose ``linear_operator()`` (``v(z) = M z``), used by
the implicit scheme.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from cggan.games.game import ZeroSumGame

__all__ = [
    "BilinearGame",
    "QuadraticGame",
    "CGPaperGame",
    "DiracGAN",
    "coupling_matrix",
]

DTYPE = torch.float64


def coupling_matrix(
    dim: int = 1, coupling: float = 1.0, matrix: torch.Tensor | Sequence | None = None
) -> torch.Tensor:
    """The interaction matrix C: ``matrix`` if given, else
    ``coupling · I_dim`` (float64)."""
    if matrix is not None:
        c = torch.as_tensor(matrix, dtype=DTYPE).clone()
        if c.ndim != 2 or c.numel() == 0:
            raise ValueError(
                f"Invalid C: shape {tuple(c.shape)} (allowed: a 2-D matrix)"
            )
        return c
    if int(dim) != dim or dim < 1:
        raise ValueError(f"Invalid dim: {dim} (allowed: integer >= 1)")
    coupling = float(coupling)
    if coupling != coupling or abs(coupling) == float("inf"):
        raise ValueError(f"Invalid coupling: {coupling} (allowed: a finite number)")
    return coupling * torch.eye(int(dim), dtype=DTYPE)


def _leaf(values, size: int, name: str) -> torch.Tensor:
    t = torch.as_tensor(values, dtype=DTYPE).reshape(-1).clone()
    if t.numel() != size:
        raise ValueError(f"Invalid {name}: {t.numel()} values (expected {size})")
    return t.requires_grad_(True)


class _MatrixGame(ZeroSumGame):
    """Shared part of the bilinear and quadratic games (parameters θ ∈ R^p, ω ∈ R^q)."""

    def __init__(self, C, dim, coupling, theta, omega):
        self.C = coupling_matrix(dim, coupling, C)
        p, q = self.C.shape
        theta = torch.ones(p) if theta is None else theta
        omega = torch.ones(q) if omega is None else omega
        super().__init__(
            [_leaf(theta, p, "theta")],
            [_leaf(omega, q, "omega")],
            equilibrium=(torch.zeros(p, dtype=DTYPE), torch.zeros(q, dtype=DTYPE)),
        )

    @property
    def theta(self) -> torch.Tensor:
        return self.params_g[0]

    @property
    def omega(self) -> torch.Tensor:
        return self.params_d[0]


class BilinearGame(_MatrixGame):
    """``U(θ, ω) = θᵀ C ω``; ``v = (Cω, −Cᵀθ) = M z`` with ``M = [[0, C], [−Cᵀ, 0]]``.

    Args:
        C: the p×q interaction matrix; default ``coupling · I_dim``.
        dim: size of θ and ω when C is not given.
        coupling: the scalar of ``C = coupling · I``.
        theta: initial θ (default ones).
        omega: initial ω (default ones).
    """

    def __init__(
        self, C=None, *, dim: int = 1, coupling: float = 1.0, theta=None, omega=None
    ):
        super().__init__(C, dim, coupling, theta, omega)

    def objective(self) -> torch.Tensor:
        return self.theta @ self.C @ self.omega

    def linear_operator(self):
        p, q = self.C.shape
        top = torch.cat([torch.zeros(p, p, dtype=DTYPE), self.C], dim=1)
        bottom = torch.cat([-self.C.T, torch.zeros(q, q, dtype=DTYPE)], dim=1)
        return torch.cat([top, bottom]), torch.zeros(p + q, dtype=DTYPE)


class QuadraticGame(_MatrixGame):
    """``U = ½‖θ‖² − ½‖ω‖² + θᵀ C ω``; ``v = (θ + Cω, ω − Cᵀθ) = M z``.

    Args: as :class:`BilinearGame`.
    """

    def __init__(
        self, C=None, *, dim: int = 1, coupling: float = 1.0, theta=None, omega=None
    ):
        super().__init__(C, dim, coupling, theta, omega)

    def objective(self) -> torch.Tensor:
        th, om = self.theta, self.omega
        return 0.5 * th @ th - 0.5 * om @ om + th @ self.C @ om

    def linear_operator(self):
        p, q = self.C.shape
        top = torch.cat([torch.eye(p, dtype=DTYPE), self.C], dim=1)
        bottom = torch.cat([-self.C.T, torch.eye(q, dtype=DTYPE)], dim=1)
        return torch.cat([top, bottom]), torch.zeros(p + q, dtype=DTYPE)


class CGPaperGame(ZeroSumGame):
    """``f(x, y) = (1 + x²)(100 − y²)``: x (player G) minimizes, y (player D) maximizes.

    Args:
        x: initial x (default 2, the paper's start).
        y: initial y (default −4).
    """

    START = (2.0, -4.0)

    def __init__(self, x: float = START[0], y: float = START[1]) -> None:
        zero = torch.zeros(1, dtype=DTYPE)
        super().__init__(
            [_leaf([x], 1, "x")], [_leaf([y], 1, "y")], equilibrium=(zero, zero)
        )

    def objective(self) -> torch.Tensor:
        x, y = self.params_g[0][0], self.params_d[0][0]
        return (1 + x * x) * (100 - y * y)


class DiracGAN(ZeroSumGame):
    """The Dirac-GAN: ``U(θ, ψ) = f(ψθ) + f(0)``, ``f(t) = −log(1 + e^{−t})``.

    θ (generator position) minimizes and ψ (discriminator slope) maximizes; near the
    equilibrium ``v ≈ (ψ/2, −θ/2)``, a bilinear game with C = ½.

    Args:
        theta: initial θ (default 1).
        psi: initial ψ (default 1).
    """

    def __init__(self, theta: float = 1.0, psi: float = 1.0) -> None:
        zero = torch.zeros(1, dtype=DTYPE)
        super().__init__(
            [_leaf([theta], 1, "theta")],
            [_leaf([psi], 1, "psi")],
            equilibrium=(zero, zero),
        )

    @staticmethod
    def f(t: torch.Tensor) -> torch.Tensor:
        """``f(t) = −log(1 + e^{−t})`` (the non-saturating GAN's log-sigmoid)."""
        return torch.nn.functional.logsigmoid(t)

    def objective(self) -> torch.Tensor:
        theta, psi = self.params_g[0][0], self.params_d[0][0]
        return self.f(psi * theta) + self.f(torch.zeros((), dtype=DTYPE))
