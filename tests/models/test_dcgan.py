"""DCGAN: shapes, hand-counted parameters, spectral norm where configured."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from cggan.models import build_models
from cggan.models.dcgan import DCGANDiscriminator, DCGANGenerator

torch.set_num_threads(1)  # shared 2-core machine: keep tests single-threaded


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_published_64_generator_count():
    # Released code, 64×64, nz=100, ngf=64, nc=3; bias-free 4×4 kernels, BN weight+bias.
    expected = (
        100 * 512 * 4 * 4
        + 2 * 512  # ConvT(100→512, 4, 1, 0) + BN
        + 512 * 256 * 4 * 4
        + 2 * 256  # ConvT(512→256) + BN
        + 256 * 128 * 4 * 4
        + 2 * 128  # ConvT(256→128) + BN
        + 128 * 64 * 4 * 4
        + 2 * 64  # ConvT(128→64) + BN
        + 64 * 3 * 4 * 4  # ConvT(64→3) + Tanh
    )
    assert expected == 3_576_704
    g, _ = build_models("dcgan", image_size=64, channels=3, z_dim=100)
    assert n_params(g) == expected


def test_published_64_discriminator_counts():
    convs = 3 * 64 * 16 + 64 * 128 * 16 + 128 * 256 * 16 + 256 * 512 * 16 + 512 * 1 * 16
    batchnorm = 2 * (128 + 256 + 512)
    assert convs == 2_763_776
    # Spectral norm adds no parameters (u, v are buffers) and replaces BN.
    _, d_bn = build_models("dcgan", image_size=64, channels=3)
    _, d_sn = build_models("dcgan", image_size=64, channels=3, spectral_norm=True)
    assert n_params(d_bn) == convs + batchnorm
    assert n_params(d_sn) == convs


def test_mnist_32_counts():
    # 32×32, one channel: G starts at 4·ngf; D ends at 4·ndf.
    g_expected = (
        100 * 256 * 16
        + 2 * 256
        + 256 * 128 * 16
        + 2 * 128
        + 128 * 64 * 16
        + 2 * 64
        + 64 * 1 * 16
    )
    d_expected = (
        1 * 64 * 16 + 64 * 128 * 16 + 2 * 128 + 128 * 256 * 16 + 2 * 256 + 256 * 16
    )
    g, d = build_models("dcgan", image_size=32, channels=1)
    assert (n_params(g), n_params(d)) == (g_expected, d_expected)


@pytest.mark.parametrize("size", [16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("sn", [False, True])
def test_shapes_and_range(size, channels, sn):
    g, d = build_models(
        "dcgan",
        image_size=size,
        channels=channels,
        z_dim=8,
        ngf=8,
        ndf=8,
        spectral_norm=sn,
    )
    assert g.z_dim == 8
    x = g(torch.randn(3, 8) * 10)
    assert x.shape == (3, channels, size, size)
    assert x.abs().max() <= 1.0
    assert d(x).shape == (3,)


@pytest.mark.parametrize("size", [8, 28, 128])
def test_unsupported_size(size):
    with pytest.raises(
        ValueError,
        match=rf"Invalid image_size: {size} \(allowed for dcgan: 16, 32, 64\)",
    ):
        build_models("dcgan", image_size=size, channels=3)


def _convs(d):
    return [m for m in d.modules() if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize(("size", "inner"), [(16, 1), (32, 2), (64, 3)])
def test_spectral_norm_on_inner_convs_only(size, inner):
    d = DCGANDiscriminator(size, 3, ndf=8, spectral_norm=True)
    flags = [parametrize.is_parametrized(m, "weight") for m in _convs(d)]
    assert flags == [False] + [True] * inner + [False]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())


def test_no_spectral_norm_by_default():
    d = DCGANDiscriminator(64, 3, ndf=8)
    assert not any(parametrize.is_parametrized(m, "weight") for m in _convs(d))
    assert sum(isinstance(m, nn.BatchNorm2d) for m in d.modules()) == 3
    g = DCGANGenerator(64, 3, z_dim=8, ngf=8)
    assert not any(parametrize.is_parametrized(m, "weight") for m in g.modules())


def test_spectral_norm_normalizes_the_weight():
    torch.manual_seed(0)
    d = DCGANDiscriminator(32, 3, ndf=8, spectral_norm=True)
    x = torch.randn(4, 3, 32, 32)
    for _ in range(60):  # one power iteration per training-mode forward
        d(x)
    for conv in _convs(d)[1:-1]:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
        assert sigma.item() == pytest.approx(1.0, abs=0.02)
