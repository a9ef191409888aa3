"""Fully connected generator and discriminator for the 2-D Gaussian mixtures.

Defaults: noise dimension 16, ``depth=3`` hidden layers of ``hidden=128`` units with
ReLU, close to the toy networks of Metz et al. 2017 and Mescheder et al. 2017 (which use
2–4 layers of 128–256 units). A 16-dimensional noise is cheap and, unlike 2-D noise,
does not force the generator to be close to a bijection. The generator's output layer is
linear (no tanh): the scaled mixtures have modes at ±1 whose points spill slightly
beyond, which a tanh could not reach. D returns raw logits of shape (N,). PyTorch's
default initialization.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["DEFAULT_Z_DIM", "MLPDiscriminator", "MLPGenerator", "mlp"]

DEFAULT_Z_DIM = 16


def mlp(in_dim: int, out_dim: int, hidden: int, depth: int) -> nn.Sequential:
    """``depth`` hidden Linear+ReLU layers of width ``hidden``, then a Linear output."""
    if depth < 1:
        raise ValueError(f"Invalid depth: {depth} (must be >= 1)")
    if hidden < 1:
        raise ValueError(f"Invalid hidden: {hidden} (must be >= 1)")
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """z (N×z_dim) → points N×data_dim."""

    def __init__(
        self,
        z_dim: int = DEFAULT_Z_DIM,
        data_dim: int = 2,
        hidden: int = 128,
        depth: int = 3,
    ):
        super().__init__()
        self.z_dim = z_dim
        self.data_dim = data_dim
        self.net = mlp(z_dim, data_dim, hidden, depth)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """Points N×data_dim → logits (N,)."""

    def __init__(self, data_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        self.data_dim = data_dim
        self.net = mlp(data_dim, 1, hidden, depth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1)
