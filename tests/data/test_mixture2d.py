"""2-D mixtures: means, std, mode balance, determinism, range."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cggan.data import load_dataset
from cggan.data.mixture2d import mixture_params, sample_mixture


def test_ring8_means_and_std():
    means, std, scale = mixture_params("ring8")
    assert scale == 2.0 and std == pytest.approx(0.01)
    assert means.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 1.0)
    np.testing.assert_allclose(means[2], [0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(means[1], [math.sqrt(0.5), math.sqrt(0.5)])


def test_grid25_means_and_std():
    means, std, scale = mixture_params("grid25")
    assert scale == 4.0 and std == pytest.approx(0.0125)
    assert {tuple(m) for m in means} == {
        (a, b) for a in (-1, -0.5, 0, 0.5, 1) for b in (-1, -0.5, 0, 0.5, 1)
    }


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_samples_match_the_mixture(name):
    x, means, std = sample_mixture(name, 20_000, 0)
    points = x.double().numpy()
    nearest = np.argmin(((points[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    residual = points - means[nearest]
    assert residual.std() == pytest.approx(std, rel=0.05)
    counts = np.bincount(nearest, minlength=len(means))
    assert counts.min() > 0.8 * len(points) / len(means)
    assert np.abs(points).max() <= 1 + 6 * std


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_load_deterministic_per_seed_and_split(name, tmp_path):
    a = load_dataset(name, root=tmp_path, seed=3)
    b = load_dataset(name, root=tmp_path, seed=3)
    c = load_dataset(name, root=tmp_path, seed=4)
    t = load_dataset(name, root=tmp_path, seed=3, split="test")
    assert torch.equal(a.x, b.x)
    assert not torch.equal(a.x[:100], c.x[:100])
    assert not torch.equal(a.x[:100], t.x[:100])
    assert a.x.shape == (50_000, 2) and t.x.shape == (10_000, 2)
    assert a.x.dtype == torch.float32 and a.y is None
    means, std, scale = mixture_params(name)
    assert a.info["means"] == means.tolist()
    assert a.info["std"] == pytest.approx(std) and a.info["scale"] == scale


def test_unknown_mixture():
    with pytest.raises(ValueError, match="Invalid mixture"):
        sample_mixture("ring9", 10, 0)
