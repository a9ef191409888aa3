"""MNIST through the real code path: local server, idx gz files, checksums."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from cggan.data import download, load_dataset, mnist
from cggan.data.download import ChecksumError, Resource


@pytest.fixture
def served_mnist(http_server, formats, monkeypatch):
    files = formats.make_mnist_files()
    for name, blob in files.items():
        (http_server.directory / name).write_bytes(blob)
    # Through the per-dataset MIRRORS mapping this time (the env var
    # is tested with CIFAR).
    monkeypatch.setitem(download.MIRRORS, "mnist", http_server.url + "/")
    for key, res in mnist.RESOURCES.items():
        monkeypatch.setitem(
            mnist.RESOURCES,
            key,
            Resource(res.filename, res.url, formats.md5_bytes(files[res.filename])),
        )
    return files


def test_published_sources():
    assert {r.filename: r.md5 for r in mnist.RESOURCES.values()} == {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    assert all(
        r.url.startswith("https://ossci-datasets.s3.amazonaws.com/mnist/")
        for r in mnist.RESOURCES.values()
    )


def test_download_and_load_native_size(served_mnist, http_server, formats, tmp_path):
    train = load_dataset(
        "mnist", root=tmp_path, split="train", image_size=28, download=True
    )
    assert train.x.shape == (5, 1, 28, 28)
    expected = (
        torch.from_numpy(formats.mnist_images(5, 0).astype(np.float32)) / 127.5 - 1
    )
    assert torch.equal(train.x[:, 0], expected)
    assert train.y.tolist() == [5, 0, 4, 1, 9]
    test = load_dataset(
        "mnist", root=tmp_path, split="test", image_size=28, download=True
    )
    assert test.x.shape == (2, 1, 28, 28)
    assert test.y.tolist() == [7, 2]
    assert sum(http_server.requests.values()) == 4


def test_resized_and_not_downloaded_twice(served_mnist, http_server, tmp_path):
    first = load_dataset("mnist", root=tmp_path, image_size=32, download=True)
    assert first.x.shape == (5, 1, 32, 32)
    assert first.x.min() >= -1 and first.x.max() <= 1
    load_dataset("mnist", root=tmp_path, image_size=16, download=True)
    assert sum(http_server.requests.values()) == 2  # train images + labels, once


def test_corrupted_file_is_rejected(served_mnist, http_server, formats, tmp_path):
    name = "train-images-idx3-ubyte.gz"
    (http_server.directory / name).write_bytes(b"garbage")
    with pytest.raises(ChecksumError) as info:
        load_dataset("mnist", root=tmp_path, download=True)
    message = str(info.value)
    assert str(tmp_path / "mnist" / name) in message
    assert formats.md5_bytes(served_mnist[name]) in message
    assert formats.md5_bytes(b"garbage") in message
    assert (tmp_path / "mnist" / (name + ".corrupt")).read_bytes() == b"garbage"
    assert not (tmp_path / "mnist" / name).exists()
    assert not list((tmp_path / "mnist").glob("*.pt"))


def test_read_idx_rejects_truncated_and_bad_magic(tmp_path):
    truncated = tmp_path / "t.gz"
    truncated.write_bytes(
        gzip.compress(struct.pack(">IIII", 2051, 3, 28, 28) + b"\0" * 10)
    )
    with pytest.raises(ValueError, match="expected 2352"):
        mnist.read_idx(truncated)
    bad = tmp_path / "b.gz"
    bad.write_bytes(gzip.compress(struct.pack(">II", 1234, 0)))
    with pytest.raises(ValueError, match="magic 1234"):
        mnist.read_idx(bad)
