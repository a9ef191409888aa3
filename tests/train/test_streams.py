"""Tests for cggan.train.streams: independent seeded streams."""

from __future__ import annotations

from cggan import train


def test_derive_seed_separates_streams():
    assert train.derive_seed(0, "data") != train.derive_seed(0, "noise")
    assert train.derive_seed(0, "data") != train.derive_seed(1, "data")
    assert train.derive_seed(5, "eval") == train.derive_seed(5, "eval")
