"""Weight initializations.

* :func:`dcgan_init`: the released code's ``weights_init`` (cg_paper.md §3.1, the DCGAN
  recipe of Radford et al. 2016): Conv/ConvTranspose weights ~ N(0, 0.02); BatchNorm
  weight ~ N(1, 0.02), bias 0. Applied to the DCGAN generator and discriminator.
* :func:`sngan_init`: Miyato et al.'s Chainer SNGAN ResNet (``gen_models/resblocks.py``,
  ``dis_models/resblocks.py``): Xavier/Glorot uniform with gain √2 for the convolutions
  inside residual branches, gain 1 for shortcuts, the input Linear, the output conv and
  the final Linear; biases 0. The SNGAN ResNet code of the CG paper is unreleased
  (cg_paper.md §3.1), so this follows the architecture's original authors.

Both are applied before spectral norm is registered; they also handle an already
parametrized weight (``parametrizations.weight.original``) or the older
``torch.nn.utils.spectral_norm`` (``weight_orig``) by initializing the raw tensor.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils import parametrize

__all__ = ["dcgan_init", "raw_weight", "sngan_init", "xavier_init"]


def raw_weight(module: nn.Module) -> torch.Tensor:
    """The trainable weight tensor of a module, under any spectral-norm wrapper."""
    if parametrize.is_parametrized(module, "weight"):
        return module.parametrizations.weight.original
    if hasattr(module, "weight_orig"):
        return module.weight_orig
    return module.weight


def dcgan_init(module: nn.Module) -> None:
    """``module.apply(dcgan_init)``: the released code's DCGAN initialization."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(raw_weight(module), 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def xavier_init(module: nn.Module, gain: float = 1.0) -> None:
    """Xavier-uniform weight with ``gain`` and zero bias for one Conv/Linear module."""
    nn.init.xavier_uniform_(raw_weight(module), gain=gain)
    if module.bias is not None:
        nn.init.zeros_(module.bias)


def sngan_init(model: nn.Module) -> None:
    """Miyato et al.'s initialization for the SNGAN ResNet of
    :mod:`cggan.models.sngan_resnet`.

    Convolutions registered under a residual branch (module name containing
    ``"residual"``) get gain √2; every other Conv/Linear gets gain 1.
    """
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            xavier_init(module, math.sqrt(2.0) if "residual" in name else 1.0)
