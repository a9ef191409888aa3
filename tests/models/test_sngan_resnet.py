"""SNGAN ResNet (Miyato et al. 2018, 32×32): shapes, hand-counted
parameters, spectral norm."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from cggan.models import build_models

torch.set_num_threads(1)  # shared 2-core machine: keep tests single-threaded


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def conv(c_in, c_out, k):
    return c_in * c_out * k * k + c_out  # weight + bias


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    return build_models("sngan_resnet", image_size=32, channels=3)


def test_generator_count(models):
    g, _ = models
    linear = 128 * 4 * 4 * 256 + 4 * 4 * 256
    block = (
        2 * 256 + conv(256, 256, 3) + 2 * 256 + conv(256, 256, 3) + conv(256, 256, 1)
    )
    head = 2 * 256 + conv(256, 3, 3)
    assert linear + 3 * block + head == 4_276_739
    assert n_params(g) == linear + 3 * block + head


def test_discriminator_count(models):
    _, d = models
    optimized = conv(3, 128, 3) + conv(128, 128, 3) + conv(3, 128, 1)
    down = 2 * conv(128, 128, 3) + conv(128, 128, 1)
    plain = 2 * conv(128, 128, 3)  # identity shortcut
    linear = 128 + 1
    assert optimized + down + 2 * plain + linear == 1_053_825
    assert n_params(d) == optimized + down + 2 * plain + linear


def test_shapes_range_and_resolution(models):
    g, d = models
    assert g.z_dim == 128
    x = g(torch.randn(2, 128) * 5)
    assert x.shape == (2, 3, 32, 32)
    assert x.abs().max() <= 1.0
    assert d(x).shape == (2,)
    h = x
    sizes = []
    for block in d.blocks:
        h = block(h)
        sizes.append(h.shape[-1])
    assert sizes == [16, 8, 8, 8]  # the first two blocks down-sample


def test_spectral_norm_everywhere_in_d_nowhere_in_g(models):
    g, d = models
    layers = [m for m in d.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(layers) == 3 + 3 + 2 + 2 + 1
    assert all(parametrize.is_parametrized(m, "weight") for m in layers)
    assert not any(parametrize.is_parametrized(m, "weight") for m in g.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())


@pytest.mark.parametrize("size", [16, 64])
def test_only_32(size):
    with pytest.raises(
        ValueError,
        match=rf"Invalid image_size: {size} \(allowed for sngan_resnet: 32\)",
    ):
        build_models("sngan_resnet", image_size=size, channels=3)
