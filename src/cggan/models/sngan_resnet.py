"""SNGAN ResNet for 32×32 images (Miyato et al. 2018, CIFAR-10
setting, Table 4 / Fig. 8).

Follows the authors' Chainer code (``pfnet-research/sngan_projection``,
``gen_models/resnet_32.py`` and ``dis_models/snresnet_32.py``, unconditional):

* G: z (128) → Linear → 4×4×256 → 3 up-sampling residual blocks of 256 channels
  (residual: BN-ReLU-Upsample(×2 nearest)-Conv3-BN-ReLU-Conv3; shortcut: Upsample-Conv1)
  → BN-ReLU-Conv3(→channels)-Tanh.
* D: optimized block (Conv3-ReLU-Conv3-AvgPool2; shortcut AvgPool2-Conv1) →
  down-sampling block → 2 plain blocks, all 128 channels (residual:
  ReLU-Conv3-ReLU-Conv3[-AvgPool2]; shortcut Conv1[-AvgPool2] only where the block
  down-samples or changes width, identity otherwise) → ReLU → global sum pooling →
  Linear → 1 logit. Spectral norm (``torch.nn.utils.parametrizations.spectral_norm``,
  one power iteration) on every convolution and the Linear of D. All layers have biases.

The CG paper's own ResNet code is unreleased (cg_paper.md §3.1); this is Miyato's model,
with Miyato's initialization (:func:`cggan.models.init.sngan_init`). D returns raw
logits of shape (N,).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from cggan.models.init import sngan_init

__all__ = ["IMAGE_SIZE", "SNGANDiscriminator", "SNGANGenerator", "check_image_size"]

IMAGE_SIZE = 32


def check_image_size(image_size: int) -> None:
    """ValueError unless ``image_size`` is 32."""
    if image_size != IMAGE_SIZE:
        raise ValueError(
            f"Invalid image_size: {image_size} (allowed for sngan_resnet: 32)"
        )


class _GenBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.residual = nn.Sequential(
            nn.BatchNorm2d(in_ch),
            nn.ReLU(),
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(in_ch, out_ch, 3, 1, 1),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(),
            nn.Conv2d(out_ch, out_ch, 3, 1, 1),
        )
        self.shortcut = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(in_ch, out_ch, 1, 1, 0),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.residual(x) + self.shortcut(x)


class _DiscBlock(nn.Module):
    """Miyato's D block; ``optimized`` is the first block (no leading ReLU, pool first
    on the shortcut)."""

    def __init__(
        self, in_ch: int, out_ch: int, *, downsample: bool, optimized: bool = False
    ):
        super().__init__()
        self.downsample = downsample
        self.optimized = optimized
        self.residual = nn.Sequential(
            *([] if optimized else [nn.ReLU()]),
            nn.Conv2d(in_ch, out_ch, 3, 1, 1),
            nn.ReLU(),
            nn.Conv2d(out_ch, out_ch, 3, 1, 1),
            *([nn.AvgPool2d(2)] if downsample else []),
        )
        self.learnable_shortcut = optimized or downsample or in_ch != out_ch
        self.shortcut = (
            nn.Conv2d(in_ch, out_ch, 1, 1, 0) if self.learnable_shortcut else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.shortcut is None:
            sc = x
        elif self.optimized:
            sc = self.shortcut(F.avg_pool2d(x, 2))
        else:
            sc = self.shortcut(x)
            if self.downsample:
                sc = F.avg_pool2d(sc, 2)
        return self.residual(x) + sc


class SNGANGenerator(nn.Module):
    """z (N×z_dim) → images N×channels×32×32 in [-1, 1].

    Args:
        image_size: must be 32.
        channels: output channels (3 for CIFAR-10).
        z_dim: latent dimension (Miyato: 128).
        ch: block width (Miyato: 256).
    """

    def __init__(
        self, image_size: int = 32, channels: int = 3, z_dim: int = 128, ch: int = 256
    ):
        super().__init__()
        check_image_size(image_size)
        self.z_dim = z_dim
        self.ch = ch
        self.image_size = image_size
        self.linear = nn.Linear(z_dim, 4 * 4 * ch)
        self.blocks = nn.Sequential(*(_GenBlock(ch, ch) for _ in range(3)))
        self.head = nn.Sequential(
            nn.BatchNorm2d(ch), nn.ReLU(), nn.Conv2d(ch, channels, 3, 1, 1), nn.Tanh()
        )
        sngan_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.linear(z).view(z.shape[0], self.ch, 4, 4)
        return self.head(self.blocks(h))


class SNGANDiscriminator(nn.Module):
    """Images N×channels×32×32 → logits (N,), spectral norm on every conv and linear.

    Args:
        image_size: must be 32.
        channels: input channels.
        ch: block width (Miyato: 128).
    """

    def __init__(self, image_size: int = 32, channels: int = 3, ch: int = 128):
        super().__init__()
        check_image_size(image_size)
        self.image_size = image_size
        self.blocks = nn.Sequential(
            _DiscBlock(channels, ch, downsample=True, optimized=True),
            _DiscBlock(ch, ch, downsample=True),
            _DiscBlock(ch, ch, downsample=False),
            _DiscBlock(ch, ch, downsample=False),
        )
        self.linear = nn.Linear(ch, 1)
        sngan_init(self)
        for module in list(self.modules()):
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                spectral_norm(module)  # registers the parametrization in place

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.blocks(x))
        return self.linear(h.sum(dim=(2, 3))).view(-1)
