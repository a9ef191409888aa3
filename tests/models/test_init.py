"""Weight initializations: the released DCGAN recipe and Miyato's Xavier scheme."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from cggan.models.dcgan import DCGANDiscriminator, DCGANGenerator
from cggan.models.init import dcgan_init, raw_weight, sngan_init
from cggan.models.sngan_resnet import SNGANDiscriminator

torch.set_num_threads(1)  # shared 2-core machine: keep tests single-threaded
torch.manual_seed(0)


def test_dcgan_statistics():
    g = DCGANGenerator(64, 3)
    big = g.main[3]  # ConvT(512→256): 2M weights
    assert big.weight.mean().item() == pytest.approx(0.0, abs=1e-3)
    assert big.weight.std().item() == pytest.approx(0.02, rel=0.02)
    bns = [m for m in g.modules() if isinstance(m, nn.BatchNorm2d)]
    weights = torch.cat([m.weight.detach() for m in bns])
    assert weights.mean().item() == pytest.approx(1.0, abs=0.005)
    assert weights.std().item() == pytest.approx(0.02, rel=0.15)
    assert all((m.bias == 0).all() for m in bns)


def test_dcgan_init_reaches_spectral_norm_weight():
    conv = spectral_norm(nn.Conv2d(64, 64, 4, bias=False))
    with torch.no_grad():
        raw_weight(conv).fill_(5.0)
    dcgan_init(conv)
    assert raw_weight(conv) is conv.parametrizations.weight.original
    assert raw_weight(conv).std().item() == pytest.approx(0.02, rel=0.05)


def test_spectral_norm_discriminator_is_initialized():
    d = DCGANDiscriminator(64, 3, spectral_norm=True)
    w = raw_weight(d.main[4])  # SN-Conv(128→256)
    assert w.std().item() == pytest.approx(0.02, rel=0.02)


def _glorot_std(weight, gain):
    receptive = weight[0][0].numel()
    fan_in, fan_out = weight.shape[1] * receptive, weight.shape[0] * receptive
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def test_sngan_xavier_gains():
    d = SNGANDiscriminator()
    residual = raw_weight(d.blocks[1].residual[1])  # 3×3 conv in a residual branch
    shortcut = raw_weight(d.blocks[1].shortcut)
    assert residual.std().item() == pytest.approx(
        _glorot_std(residual, math.sqrt(2)), rel=0.03
    )
    assert shortcut.std().item() == pytest.approx(_glorot_std(shortcut, 1.0), rel=0.03)
    bound = math.sqrt(3) * _glorot_std(
        residual, math.sqrt(2)
    )  # uniform(-a, a), a = √3·std
    assert residual.abs().max().item() <= bound
    assert (d.blocks[1].residual[1].bias == 0).all()


def test_sngan_init_on_plain_module():
    model = nn.Sequential()
    model.add_module("residual", nn.Conv2d(32, 32, 3))
    model.add_module("out", nn.Linear(32, 32))
    sngan_init(model)
    assert model.residual.weight.std().item() == pytest.approx(
        _glorot_std(model.residual.weight, math.sqrt(2)), rel=0.05
    )
    assert model.out.weight.std().item() == pytest.approx(
        _glorot_std(model.out.weight, 1.0), rel=0.1
    )
