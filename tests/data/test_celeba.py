"""CelebA through the real code path: local server, zip of aligned
JPEGs, crop and resize."""

from __future__ import annotations

import pytest

from cggan.data import celeba, load_dataset
from cggan.data.download import Resource


@pytest.fixture
def served_celeba(http_server, formats, monkeypatch):
    blob = formats.make_celeba_zip()
    (http_server.directory / "celeba").mkdir()
    (http_server.directory / "celeba" / "img_align_celeba.zip").write_bytes(blob)
    monkeypatch.setenv("CGGAN_DATA_MIRROR", http_server.url)
    monkeypatch.setattr(
        celeba,
        "ARCHIVE",
        Resource(celeba.ARCHIVE.filename, celeba.ARCHIVE.url, formats.md5_bytes(blob)),
    )
    return blob


def test_published_source():
    assert celeba.ARCHIVE.md5 == "00d2c5bc6d35e252742224ab0c1e8fcb"
    assert "0B7EVK8r0v71pZjFTYXZWM3FlRnM" in celeba.ARCHIVE.url


@pytest.mark.parametrize("size", [32, 64])
def test_official_partition_crop_and_resize(
    served_celeba, http_server, formats, tmp_path, size
):
    train = load_dataset(
        "celeba", root=tmp_path, split="train", image_size=size, download=True
    )
    test = load_dataset(
        "celeba", root=tmp_path, split="test", image_size=size, download=True
    )
    assert train.x.shape == (len(formats.celeba_train), 3, size, size)
    assert test.x.shape == (len(formats.celeba_test), 3, size, size)
    assert train.y is None
    # The red bands lie outside the central 178×178 crop: only gray (128 -> ~0) remains,
    # up to JPEG ringing at the band edge.
    gray = 128 / 127.5 - 1
    assert (train.x - gray).abs().max() < 0.15
    assert http_server.requests["/celeba/img_align_celeba.zip"] == 1
