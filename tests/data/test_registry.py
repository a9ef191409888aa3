"""The dataset registry (cggan.data.__init__): names, argument checks, manifest."""

from __future__ import annotations

import json

import pytest

from cggan.data import load_dataset, prepare_dataset
from cggan.io import sha256_file
from cggan.registry import DATASETS


def test_registered_names():
    assert set(DATASETS) == {
        "digits",
        "ring8",
        "grid25",
        "mnist",
        "cifar10",
        "celeba",
        "mnist5k",
    }


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"name": "lsun"}, r"Invalid dataset: 'lsun' \(allowed: digits, ring8"),
        (
            {"name": "digits", "split": "valid"},
            r"Invalid split: 'valid' \(allowed: train, test\)",
        ),
        (
            {"name": "cifar10", "image_size": 28},
            r"Invalid image_size: 28 \(allowed for cifar10: 32, 64\)",
        ),
        ({"name": "ring8", "image_size": 32}, r"Invalid image_size: 32"),
    ],
)
def test_bad_input(tmp_path, kwargs, pattern):
    name = kwargs.pop("name")
    with pytest.raises(ValueError, match=pattern):
        load_dataset(name, root=tmp_path, **kwargs)


def test_manifest(tmp_path):
    manifest = prepare_dataset("digits", root=tmp_path, image_size=16)
    on_disk = json.loads((tmp_path / "digits" / "manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["splits"]["train"]["n"] == 1437
    assert manifest["splits"]["test"]["n"] == 360
    assert manifest["splits"]["train"]["shape"] == [1, 16, 16]
    assert manifest["splits"]["train"]["classes"] == 10
    cache = tmp_path / "digits" / "train_16.pt"
    assert manifest["splits"]["train"]["cache_sha256"] == sha256_file(cache)
