"""scikit-learn digits: split, range, upsampling (checked against
hand-written bilinear)."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import torch

from cggan.data import load_dataset
from cggan.data.digits import prepare_digits


def _bilinear_upsample_x2(images: np.ndarray) -> np.ndarray:
    """Half-pixel-centred bilinear upsampling 8 -> 16, written out by hand.

    Output pixel o samples source coordinate (o + 0.5) / 2 - 0.5, clamped at the border.
    """
    n = images.shape[-1]
    coords = np.clip((np.arange(2 * n) + 0.5) / 2 - 0.5, 0, n - 1)
    lo = np.floor(coords).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    w = coords - lo
    rows = (
        images[:, lo, :] * (1 - w)[None, :, None] + images[:, hi, :] * w[None, :, None]
    )
    return rows[:, :, lo] * (1 - w)[None, None, :] + rows[:, :, hi] * w[None, None, :]


@pytest.fixture(scope="module")
def digits16(tmp_path_factory):
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("digits")
    return {
        s: load_dataset("digits", root=root, split=s, image_size=16)
        for s in ("train", "test")
    }


def test_shapes_and_range(digits16):
    train, test = digits16["train"], digits16["test"]
    assert train.x.shape == (1437, 1, 16, 16)
    assert test.x.shape == (360, 1, 16, 16)
    assert train.x.dtype == torch.float32 and train.y.dtype == torch.int64
    for data in (train, test):
        assert data.x.min() == -1.0  # background value 0 -> -1
        assert data.x.max() <= 1.0


def test_split_is_stratified(digits16):
    from sklearn.datasets import load_digits

    totals = np.bincount(load_digits().target, minlength=10)
    test_counts = torch.bincount(digits16["test"].y, minlength=10).numpy()
    train_counts = torch.bincount(digits16["train"].y, minlength=10).numpy()
    assert (train_counts + test_counts == totals).all()
    assert (np.abs(test_counts - 0.2 * totals) <= 1).all()


def test_splits_partition_the_upsampled_originals(digits16):
    from sklearn.datasets import load_digits

    bunch = load_digits()
    expected = _bilinear_upsample_x2(bunch.images / 8.0 - 1.0)

    def key(image, label):
        return (int(label), np.round(np.asarray(image, dtype=np.float64), 4).tobytes())

    originals = collections.Counter(
        key(im, lab) for im, lab in zip(expected, bunch.target)
    )
    stored = collections.Counter(
        key(im[0].numpy(), lab)
        for s in ("train", "test")
        for im, lab in zip(digits16[s].x, digits16[s].y)
    )
    assert stored == originals


def test_deterministic_and_cached(tmp_path, digits16):
    paths = prepare_digits(tmp_path, 16)
    again = load_dataset(
        "digits", root=tmp_path, split="train", image_size=16, seed=123
    )
    assert torch.equal(again.x, digits16["train"].x)
    assert torch.equal(again.y, digits16["train"].y)
    assert again.info["cache"] == str(paths["train"])


def test_size_32(tmp_path):
    data = load_dataset("digits", root=tmp_path, split="test", image_size=32)
    assert data.x.shape == (360, 1, 32, 32)
    assert data.x.min() >= -1 and data.x.max() <= 1
    assert (tmp_path / "digits" / "test_32.pt").is_file()


def test_bad_size(tmp_path):
    with pytest.raises(
        ValueError, match=r"Invalid image_size: 64 \(allowed for digits: 16, 32\)"
    ):
        load_dataset("digits", root=tmp_path, image_size=64)
