"""MNIST (LeCun et al. 1998) from the published idx gz files.

Source: the four idx files on torchvision's mirror
``https://ossci-datasets.s3.amazonaws.com/mnist/`` with the MD5s torchvision publishes
(``torchvision/datasets/mnist.py``), downloaded by :mod:`cggan.data.download` into
``root/mnist/``. The idx format is parsed with NumPy: a big-endian header (magic 2051
for images: count, rows, cols; 2049 for labels: count) followed by uint8 data.

Images are 28×28; other sizes (16, 32, 64) are resized bilinearly with antialiasing and
rounded to uint8 (as a PIL ``Resize`` would). Values map to [-1, 1] by
``v / 127.5 - 1``. Converted splits are cached in ``root/mnist/{split}_{size}.pt``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch

from cggan.data import (
    Dataset,
    _cache_path,
    _from_cache_payload,
    _read_cache,
    _resize_uint8,
    _write_cache,
)
from cggan.data.download import Resource, ensure_resource
from cggan.registry import MNIST

__all__ = ["BASE_URL", "RESOURCES", "load", "read_idx"]

BASE_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
RESOURCES = {
    ("train", "images"): Resource(
        "train-images-idx3-ubyte.gz",
        BASE_URL + "train-images-idx3-ubyte.gz",
        "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    ),
    ("train", "labels"): Resource(
        "train-labels-idx1-ubyte.gz",
        BASE_URL + "train-labels-idx1-ubyte.gz",
        "d53e105ee54ea40749a09fcbcd1e9432",
    ),
    ("test", "images"): Resource(
        "t10k-images-idx3-ubyte.gz",
        BASE_URL + "t10k-images-idx3-ubyte.gz",
        "9fb629c4189551a2d022fa330f9573f3",
    ),
    ("test", "labels"): Resource(
        "t10k-labels-idx1-ubyte.gz",
        BASE_URL + "t10k-labels-idx1-ubyte.gz",
        "ec29112dd5afa0611ce80d1b7f02629c",
    ),
}

_MAGIC = {2051: 3, 2049: 1}  # magic number -> number of dimensions (uint8 data)


def read_idx(path: str | Path) -> np.ndarray:
    """Parse a gzipped idx file of uint8 data (images or labels).

    Raises:
        ValueError: unknown magic number or truncated data.
    """
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 8:
        raise ValueError(f"Invalid idx file {path}: truncated header")
    magic = int.from_bytes(raw[0:4], "big")
    if magic not in _MAGIC:
        raise ValueError(
            f"Invalid idx file {path}: magic {magic} (allowed: 2049, 2051)"
        )
    ndim = _MAGIC[magic]
    header = 4 + 4 * ndim
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    count = int(np.prod(shape))
    if len(raw) != header + count:
        raise ValueError(
            f"Invalid idx file {path}: {len(raw) - header} data bytes, expected {count}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def load(
    root: Path, *, split: str, image_size: int, download: bool = False, seed: int = 0
) -> Dataset:
    """Load a split, downloading the idx files if allowed and converting them once."""
    directory = Path(root) / MNIST
    image_res, label_res = RESOURCES[(split, "images")], RESOURCES[(split, "labels")]
    sources = {r.filename: r.md5 for r in (image_res, label_res)}
    cache = _cache_path(root, MNIST, split, image_size)
    payload = _read_cache(cache, sources)
    if payload is None:
        images = read_idx(
            ensure_resource(MNIST, image_res, directory, download=download)
        )
        labels = read_idx(
            ensure_resource(MNIST, label_res, directory, download=download)
        )
        if len(images) != len(labels):
            raise ValueError(
                f"Invalid MNIST {split}: {len(images)} images, {len(labels)} labels"
            )
        x = torch.from_numpy(images.copy()).unsqueeze(1)
        y = torch.from_numpy(labels.astype(np.int64))
        info = {"source": BASE_URL, "source_md5": sources, "image_size": image_size}
        _write_cache(cache, _resize_uint8(x, image_size), y, info)
        payload = _read_cache(cache, sources)
    return _from_cache_payload(MNIST, payload, cache)
