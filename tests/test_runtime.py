"""Tests of cggan.runtime: device choice, RNG state round trips through a checkpoint,
stop signals and the environment-failure classification."""

import errno
import io
import random
import signal
import threading

import numpy as np
import pytest
import torch

from cggan.runtime import (
    get_device,
    get_rng_state,
    is_environment_failure,
    seed_everything,
    set_rng_state,
    stop_signals,
)


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


def test_stop_signals_turn_the_first_signal_into_a_flag():
    previous = signal.getsignal(signal.SIGTERM)
    with stop_signals() as stop:
        assert not stop.requested
        signal.raise_signal(signal.SIGTERM)  # would kill the test run without us
        assert stop.requested and stop.signum == signal.SIGTERM
        assert stop.name == "SIGTERM"
        with stop_signals() as inner:  # nested: the same request
            assert inner is stop
    assert signal.getsignal(signal.SIGTERM) is previous


def test_a_second_signal_gets_the_previous_behaviour():
    with stop_signals() as stop:
        signal.raise_signal(signal.SIGINT)
        assert stop.signum == signal.SIGINT
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_stop_signals_outside_the_main_thread_never_set():
    seen = []
    worker = threading.Thread(target=lambda: seen.append(_enter_stop_signals()))
    worker.start()
    worker.join()
    assert seen == [False]


def _enter_stop_signals() -> bool:
    with stop_signals() as stop:
        return stop.requested


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (OSError(errno.EIO, "Input/output error"), True),
        (MemoryError(), True),
        (torch.cuda.OutOfMemoryError("CUDA out of memory"), True),
        (RuntimeError("DefaultCPUAllocator: can't allocate memory"), True),
        (RuntimeError("mat1 and mat2 shapes cannot be multiplied"), False),
        (ValueError("bad"), False),
        (ZeroDivisionError(), False),
    ],
)
def test_is_environment_failure(exc, expected):
    assert is_environment_failure(exc) is expected


def test_is_environment_failure_follows_the_explicit_cause():
    try:
        try:
            raise OSError(errno.EFBIG, "File too large")
        except OSError as inner:
            raise RuntimeError("could not write") from inner
    except RuntimeError as exc:
        assert is_environment_failure(exc)
