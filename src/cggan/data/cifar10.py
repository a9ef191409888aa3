"""CIFAR-10 (Krizhevsky 2009) from the published python pickle archive.

Source: ``https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz`` (md5
``c58f30108f718f92721af3b95e74349a``, the checksum torchvision also uses), downloaded by
:mod:`cggan.data.download` into ``root/cifar10/``. The batches are read straight from
the tar.gz (``cifar-10-batches-py/data_batch_1..5`` for train, ``test_batch`` for test);
each is a pickle of
``{b"data": N×3072 uint8 (R, G, B planes of 32×32), b"labels": [int]}``. The pickles are
only unpickled after the archive's checksum matched.

Images are 32×32; for 64 they are resized bilinearly with antialiasing and rounded to
uint8, like the released code's ``Resize(64)`` on PIL images. Values map to [-1, 1] by
``v / 127.5 - 1``. Converted splits are cached in ``root/cifar10/{split}_{size}.pt``.
"""

from __future__ import annotations

import pickle
import tarfile
from pathlib import Path

import numpy as np
import torch

from cggan.data import (
    Dataset,
    _load_archive,
    _resize_uint8,
)
from cggan.data.download import Resource
from cggan.registry import CIFAR10

__all__ = ["ARCHIVE", "BATCHES", "load", "read_archive"]

ARCHIVE = Resource(
    filename="cifar-10-python.tar.gz",
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    md5="c58f30108f718f92721af3b95e74349a",
)
BATCHES = {
    "train": [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)],
    "test": ["cifar-10-batches-py/test_batch"],
}


def _get(batch: dict, key: str):
    # The published pickles were written by Python 2: loaded with encoding="bytes" their
    # keys are bytes; accept str keys too.
    return batch[key.encode()] if key.encode() in batch else batch[key]


def read_archive(path: str | Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Read a split from the tar.gz as (uint8 N×3×32×32, int64 labels).

    Raises:
        ValueError: a batch is missing or malformed.
    """
    images, labels = [], []
    with tarfile.open(path, "r:gz") as tar:
        for member in BATCHES[split]:
            try:
                fh = tar.extractfile(member)
            except KeyError:
                fh = None
            if fh is None:
                raise ValueError(f"Invalid CIFAR-10 archive {path}: missing {member}")
            batch = pickle.load(fh, encoding="bytes")
            data = np.asarray(_get(batch, "data"), dtype=np.uint8)
            if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
                raise ValueError(
                    f"Invalid CIFAR-10 batch {member}: data shape {data.shape}"
                )
            images.append(data.reshape(-1, 3, 32, 32))
            labels.append(np.asarray(_get(batch, "labels"), dtype=np.int64))
    return torch.from_numpy(np.concatenate(images)), torch.from_numpy(
        np.concatenate(labels)
    )


def load(
    root: Path, *, split: str, image_size: int, download: bool = False, seed: int = 0
) -> Dataset:
    """Load a split, downloading the archive if allowed and converting it once."""

    def convert(archive: Path):
        x, y = read_archive(archive, split)
        return _resize_uint8(x, image_size), y, {}

    return _load_archive(
        CIFAR10,
        ARCHIVE,
        root,
        split=split,
        image_size=image_size,
        download=download,
        convert=convert,
    )
