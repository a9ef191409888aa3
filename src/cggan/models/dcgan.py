"""DCGAN generator and discriminator of the released code, for 16, 32 and 64 pixels.

The released code (cg_paper.md §3.2, ``utils/set_model.py``) builds the 64×64 DCGAN of
Radford et al. 2016:

* G: ConvT(nz→8·ngf, 4, 1, 0)+BN+ReLU → ConvT 4,2,1 halving the channels (+BN+ReLU) →
  ConvT(ngf→nc, 4, 2, 1)+Tanh.
* D: Conv(nc→ndf, 4, 2, 1)+LeakyReLU(0.2) → Conv 4,2,1 doubling the channels (+BN, or
  spectral norm instead of BN with ``--SN``) + LeakyReLU(0.2) → Conv(8·ndf→1, 4, 1, 0).

Generalization to other sizes: a size S has log2(S/4) stride-2 layers in each network,
so G starts at 2^(log2(S/4)−1)·ngf channels (64: 8·ngf, 32: 4·ngf, 16: 2·ngf) and D ends
at the mirror width. All convolutions are bias-free, as in the DCGAN reference code.

Deviation: D has no Sigmoid and returns logits of shape (N,); the losses apply the
sigmoid (BCE-with-logits equals the released code's Sigmoid+BCELoss, but is numerically
safer). With ``spectral_norm=True`` the inner convolutions (not the first, not the last,
as in the released code) are wrapped with
``torch.nn.utils.parametrizations.spectral_norm`` (one power iteration per forward)
and D has no BatchNorm.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from cggan.models.init import dcgan_init

__all__ = ["IMAGE_SIZES", "DCGANDiscriminator", "DCGANGenerator", "check_image_size"]

IMAGE_SIZES = (16, 32, 64)


def check_image_size(image_size: int) -> int:
    """Number of stride-2 layers for ``image_size``; ValueError for
    unsupported sizes."""
    if image_size not in IMAGE_SIZES:
        allowed = ", ".join(str(s) for s in IMAGE_SIZES)
        raise ValueError(
            f"Invalid image_size: {image_size} (allowed for dcgan: {allowed})"
        )
    return int(math.log2(image_size // 4))


class DCGANGenerator(nn.Module):
    """z (N×z_dim) → images N×channels×S×S in [-1, 1].

    Args:
        image_size: 16, 32 or 64.
        channels: output image channels.
        z_dim: latent dimension (released code: nz=100).
        ngf: width of the last hidden layer (released code: 64).
    """

    def __init__(self, image_size: int, channels: int, z_dim: int = 100, ngf: int = 64):
        super().__init__()
        n_up = check_image_size(image_size)
        self.z_dim = z_dim
        self.image_size = image_size
        width = ngf * 2 ** (n_up - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(z_dim, width, 4, 1, 0, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
        ]
        for _ in range(n_up - 1):
            layers += [
                nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width // 2),
                nn.ReLU(True),
            ]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(z.shape[0], self.z_dim, 1, 1))


class DCGANDiscriminator(nn.Module):
    """Images N×channels×S×S → logits (N,).

    Args:
        image_size: 16, 32 or 64.
        channels: input image channels.
        ndf: width of the first layer (released code: 64).
        spectral_norm: spectral norm on the inner convolutions instead of BatchNorm.
    """

    def __init__(
        self, image_size: int, channels: int, ndf: int = 64, spectral_norm: bool = False
    ):
        super().__init__()
        n_down = check_image_size(image_size)
        self.image_size = image_size
        self.spectral_norm = spectral_norm
        inner: list[nn.Conv2d] = []
        layers: list[nn.Module] = [
            nn.Conv2d(channels, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        width = ndf
        for _ in range(n_down - 1):
            conv = nn.Conv2d(width, width * 2, 4, 2, 1, bias=False)
            inner.append(conv)
            layers.append(conv)
            if not spectral_norm:
                layers.append(nn.BatchNorm2d(width * 2))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            width *= 2
        layers.append(nn.Conv2d(width, 1, 4, 1, 0, bias=False))
        self.main = nn.Sequential(*layers)
        # Initialize first, then register spectral norm: its power-iteration vectors are
        # set up from the initialized weight.
        self.apply(dcgan_init)
        if spectral_norm:
            for index, module in enumerate(self.main):
                if any(module is conv for conv in inner):
                    self.main[index] = _spectral_norm(module)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)
