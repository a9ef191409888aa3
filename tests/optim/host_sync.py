"""Shared test helper: make every tensor-to-Python conversion raise."""

from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def forbid_host_sync():
    """Make every tensor-to-Python conversion raise inside the block."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("tensor-to-Python conversion (host sync) inside step()")

    names = ("item", "__bool__", "__float__", "__int__", "tolist")
    saved = {name: getattr(torch.Tensor, name) for name in names}
    try:
        for name in names:
            setattr(torch.Tensor, name, refuse)
        yield
    finally:
        for name, method in saved.items():
            setattr(torch.Tensor, name, method)
