"""CIFAR-10 through the real code path: local server, python-pickle tar.gz, checksum."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cggan.data import cifar10, load_dataset
from cggan.data.download import ChecksumError, Resource

PATH = "/cifar10/cifar-10-python.tar.gz"


@pytest.fixture
def served_cifar(http_server, formats, monkeypatch):
    """The tiny archive served under the mirror layout, its md5 injected."""
    archive = formats.make_cifar10_archive()
    (http_server.directory / "cifar10").mkdir()
    (http_server.directory / "cifar10" / "cifar-10-python.tar.gz").write_bytes(archive)
    monkeypatch.setenv("CGGAN_DATA_MIRROR", http_server.url)
    monkeypatch.setattr(
        cifar10,
        "ARCHIVE",
        Resource(
            cifar10.ARCHIVE.filename, cifar10.ARCHIVE.url, formats.md5_bytes(archive)
        ),
    )
    return archive


def test_published_source():
    assert (
        cifar10.ARCHIVE.url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    )
    assert cifar10.ARCHIVE.md5 == "c58f30108f718f92721af3b95e74349a"


def test_download_and_load(served_cifar, http_server, formats, tmp_path):
    root = tmp_path / "data"
    train = load_dataset("cifar10", root=root, split="train", download=True)
    n = formats.cifar_per_batch
    assert train.x.shape == (5 * n, 3, 32, 32)
    assert train.x.dtype == torch.float32
    # Batch 1, image 0: R, G, B planes of 1024 bytes each, row-major 32×32.
    data, labels = formats.cifar_batch(1)
    expected = (
        torch.from_numpy(data[0].reshape(3, 32, 32).astype(np.float32)) / 127.5 - 1
    )
    assert torch.equal(train.x[0], expected)
    data5, labels5 = formats.cifar_batch(5)
    assert torch.equal(
        train.x[-1],
        torch.from_numpy(data5[-1].reshape(3, 32, 32).astype(np.float32)) / 127.5 - 1,
    )
    assert train.y.dtype == torch.int64
    assert train.y[:n].tolist() == labels
    test = load_dataset("cifar10", root=root, split="test", download=True)
    assert test.x.shape == (n, 3, 32, 32)
    assert test.y.tolist() == formats.cifar_batch(0)[1]
    assert train.info["source_md5"] == {
        "cifar-10-python.tar.gz": formats.md5_bytes(served_cifar)
    }
    assert http_server.requests[PATH] == 1


def test_second_load_does_not_download(served_cifar, http_server, tmp_path):
    root = tmp_path / "data"
    first = load_dataset("cifar10", root=root, download=True)
    # Also without the converted cache: the verified archive is reused, not re-fetched.
    for cache in (root / "cifar10").glob("*.pt"):
        cache.unlink()
    second = load_dataset("cifar10", root=root, download=True)
    assert torch.equal(first.x, second.x)
    assert http_server.requests[PATH] == 1


def test_resize_to_64(served_cifar, tmp_path):
    data = load_dataset("cifar10", root=tmp_path, image_size=64, download=True)
    assert data.x.shape[1:] == (3, 64, 64)
    assert data.x.min() >= -1 and data.x.max() <= 1


def test_corrupted_archive_is_rejected(served_cifar, http_server, tmp_path):
    # The server now holds a truncated archive; the expected md5 is the true one.
    served = http_server.directory / "cifar10" / "cifar-10-python.tar.gz"
    served.write_bytes(served_cifar[: len(served_cifar) // 2])
    root = tmp_path / "data"
    with pytest.raises(ChecksumError) as info:
        load_dataset("cifar10", root=root, download=True)
    dest = root / "cifar10" / "cifar-10-python.tar.gz"
    message = str(info.value)
    assert str(dest) in message
    assert cifar10.ARCHIVE.md5 in message
    from cggan.data.download import file_checksum

    corrupt = root / "cifar10" / "cifar-10-python.tar.gz.corrupt"
    assert file_checksum(corrupt) in message
    assert not dest.exists()
    # Nothing the pipeline would take as done.
    assert sorted(p.name for p in (root / "cifar10").iterdir()) == [corrupt.name]


def test_file_placed_by_hand_is_accepted(served_cifar, http_server, tmp_path):
    root = tmp_path / "data"
    (root / "cifar10").mkdir(parents=True)
    (root / "cifar10" / "cifar-10-python.tar.gz").write_bytes(served_cifar)
    data = load_dataset("cifar10", root=root, download=False)
    assert data.x.shape[0] == 15
    assert http_server.requests[PATH] == 0


def test_wrong_file_placed_by_hand_is_rejected(served_cifar, tmp_path):
    root = tmp_path / "data"
    (root / "cifar10").mkdir(parents=True)
    (root / "cifar10" / "cifar-10-python.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(ChecksumError, match="cifar-10-python.tar.gz"):
        load_dataset("cifar10", root=root, download=False)
    assert (root / "cifar10" / "cifar-10-python.tar.gz.corrupt").exists()


def test_missing_without_download(served_cifar, http_server, tmp_path):
    with pytest.raises(FileNotFoundError, match="prepare_data.py --dataset cifar10"):
        load_dataset("cifar10", root=tmp_path, download=False)
    assert http_server.requests[PATH] == 0
