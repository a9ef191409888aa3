"""Tests of cggan.runtime: device choice and RNG state round trips through a checkpoint."""

import io
import random

import numpy as np
import pytest
import torch

from cggan.runtime import get_device, get_rng_state, seed_everything, set_rng_state


def test_get_device_rejects_unknown():
    assert get_device("cpu").type == "cpu"
    assert get_device("auto").type in {"cpu", "cuda"}
    with pytest.raises(ValueError, match="Invalid device"):
        get_device("tpu")


def test_rng_state_survives_weights_only_checkpoint():
    seed_everything(123)
    random.random(), np.random.rand(), torch.rand(3)  # advance every generator
    buffer = io.BytesIO()
    torch.save(get_rng_state(), buffer)
    expected = (random.random(), np.random.rand(), torch.rand(3))
    buffer.seek(0)
    set_rng_state(torch.load(buffer, weights_only=True))
    got = (random.random(), np.random.rand(), torch.rand(3))
    assert got[0] == expected[0] and got[1] == expected[1]
    assert torch.equal(got[2], expected[2])
