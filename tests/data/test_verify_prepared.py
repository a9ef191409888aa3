"""A prepared dataset is verified against its manifest before use."""

from __future__ import annotations

import pytest

from cggan.data import load_dataset, prepare_dataset
from cggan.data.download import ChecksumError


def test_a_corrupted_prepared_cache_is_refused_with_one_line(tmp_path):
    manifest = prepare_dataset("digits", root=tmp_path, image_size=16)
    before = load_dataset("digits", root=tmp_path, split="train", image_size=16)
    cache = manifest["splits"]["train"]["cache"]
    data = bytearray(open(cache, "rb").read())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside the tensor payload
    open(cache, "wb").write(bytes(data))
    with pytest.raises(ChecksumError) as info:
        load_dataset("digits", root=tmp_path, split="train", image_size=16)
    message = str(info.value)
    assert "\n" not in message and cache in message and "prepare_data" in message
    # the other split is intact and still loads
    load_dataset("digits", root=tmp_path, split="test", image_size=16)
    assert before.x.shape[0] == 1437


def test_a_split_prepared_at_another_size_is_not_checked(tmp_path):
    prepare_dataset("digits", root=tmp_path, image_size=16)
    data = load_dataset("digits", root=tmp_path, split="test", image_size=32)
    assert data.x.shape[-1] == 32
