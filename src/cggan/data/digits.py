"""scikit-learn's handwritten digits (offline): 1797 images of 8×8, 10 classes.

Pixels take integer values in [0, 16]; they are mapped to [-1, 1] by ``v / 8 - 1`` and
the images are upsampled to 16 or 32 pixels with bilinear interpolation
(``torch.nn.functional.interpolate(mode="bilinear", align_corners=False,
antialias=False)``; antialiasing only matters when shrinking, so it would change nothing
here). Bilinear interpolation takes convex combinations, so upsampled
values stay in [-1, 1].

The train/test split is fixed: stratified 80/20 with scikit-learn's ``train_test_split``
(``random_state=0``): 1437 training and 360 test images, the same on every machine. It
does not depend on the run seed. The result is cached in
``root/digits/{split}_{size}.pt``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from cggan.data import (
    Dataset,
    _cache_path,
    _from_cache_payload,
    _read_cache,
    _write_cache,
)
from cggan.registry import DIGITS

__all__ = ["IMAGE_SIZES", "SPLIT_SEED", "TEST_FRACTION", "load", "prepare_digits"]

IMAGE_SIZES = (16, 32)
TEST_FRACTION = 0.2
SPLIT_SEED = 0


def _build(image_size: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    import numpy as np
    import torch.nn.functional as F
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float32)  # N×8×8 in [0, 16]
    labels = np.asarray(bunch.target, dtype=np.int64)
    index = np.arange(len(labels))
    train_idx, test_idx = train_test_split(
        index, test_size=TEST_FRACTION, stratify=labels, random_state=SPLIT_SEED
    )
    x = torch.from_numpy(images).unsqueeze(1) / 8.0 - 1.0
    x = F.interpolate(
        x,
        size=(image_size, image_size),
        mode="bilinear",
        align_corners=False,
        antialias=False,
    ).clamp_(-1.0, 1.0)
    y = torch.from_numpy(labels)
    # Sorted indices: the stored order does not depend on train_test_split's shuffling.
    out = {}
    for split, idx in (("train", np.sort(train_idx)), ("test", np.sort(test_idx))):
        t = torch.from_numpy(idx)
        out[split] = (x[t].contiguous(), y[t].contiguous())
    return out


def prepare_digits(root: str | Path, image_size: int) -> dict[str, Path]:
    """Build both splits at ``image_size`` and cache them (atomically)
    under ``root/digits``.

    Returns:
        split -> cache path.
    """
    if image_size not in IMAGE_SIZES:
        allowed = ", ".join(str(s) for s in IMAGE_SIZES)
        raise ValueError(
            f"Invalid image_size: {image_size} (allowed for digits: {allowed})"
        )
    paths = {}
    for split, (x, y) in _build(image_size).items():
        path = _cache_path(Path(root), DIGITS, split, image_size)
        info = {
            "source": "sklearn.datasets.load_digits",
            "image_size": image_size,
            "split_seed": SPLIT_SEED,
            "test_fraction": TEST_FRACTION,
        }
        _write_cache(path, x, y, info)
        paths[split] = path
    return paths


def load(
    root: Path, *, split: str, image_size: int, download: bool = False, seed: int = 0
) -> Dataset:
    """Load a split from the cache, building the cache first if it is missing.

    ``download`` and ``seed`` are accepted for a uniform interface and ignored.
    """
    path = _cache_path(root, DIGITS, split, image_size)
    payload = _read_cache(path)
    if payload is None:
        prepare_digits(root, image_size)
        payload = _read_cache(path)
    return _from_cache_payload(DIGITS, payload, path)
