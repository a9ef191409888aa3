"""MLPs for the 2-D mixtures."""

from __future__ import annotations

import pytest
import torch

from cggan.models import build_models

torch.set_num_threads(1)  # shared 2-core machine: keep tests single-threaded


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def test_default_counts_and_shapes():
    g, d = build_models("mlp")
    assert g.z_dim == 16
    hidden = 2 * (128 * 128 + 128)
    assert n_params(g) == (16 * 128 + 128) + hidden + (128 * 2 + 2)
    assert n_params(d) == (2 * 128 + 128) + hidden + (128 + 1)
    z = torch.randn(5, 16)
    assert g(z).shape == (5, 2)
    assert d(g(z)).shape == (5,)


def test_depth_hidden_and_z_dim():
    g, d = build_models("mlp", z_dim=4, hidden=8, depth=1, data_dim=3)
    assert n_params(g) == (4 * 8 + 8) + (8 * 3 + 3)
    assert n_params(d) == (3 * 8 + 8) + (8 + 1)
    assert g(torch.randn(2, 4)).shape == (2, 3)


def test_output_is_not_squashed():
    g, _ = build_models("mlp", z_dim=2, hidden=4, depth=1)
    with torch.no_grad():
        g.net[-1].bias.fill_(3.0)
    assert g(torch.zeros(1, 2)).abs().max() > 1.0


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"depth": 0}, "Invalid depth"), ({"hidden": 0}, "Invalid hidden")],
)
def test_bad_kwargs(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        build_models("mlp", **kwargs)
