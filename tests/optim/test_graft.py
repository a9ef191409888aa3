"""Tests of cggan.optim.graft.Graft against torch's own Adam and SGD steps."""

from __future__ import annotations

import io

import pytest
import torch
from tests.optim.host_sync import forbid_host_sync

from cggan.optim import Graft

torch.set_num_threads(1)


SHAPES = ((3, 4), (5,), (2, 3))


def _params(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [
        torch.nn.Parameter(torch.randn(s, generator=gen, dtype=torch.float64))
        for s in SHAPES
    ]


def _grads(step):
    gen = torch.Generator().manual_seed(1000 + step)
    return [
        torch.randn(s, generator=gen, dtype=torch.float64) * 3.0**i
        for i, s in enumerate(SHAPES)
    ]


def _steps(opt, params, grads):
    """Apply one step with the given gradients; return the per-tensor updates."""
    before = [p.detach().clone() for p in params]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    opt.step()
    return [p.detach() - b for p, b in zip(params, before)]


def _norm(tensors):
    return torch.sqrt(sum((t**2).sum() for t in tensors))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": -1.0},
        {"lr": 0.1, "magnitude": "sgd", "direction": "sgd"},
        {"lr": 0.1, "magnitude": "adam", "direction": "adam"},
        {"lr": 0.1, "magnitude": "rmsprop"},
        {"lr": 0.1, "direction": "momentum"},
        {"lr": 0.1, "betas": (1.0, 0.999)},
        {"lr": 0.1, "betas": (0.5, -0.1)},
        {"lr": 0.1, "betas": (0.5,)},
        {"lr": 0.1, "eps": -1.0},
        {"lr": 0.1, "scope": "global"},
    ],
)
def test_bad_hyperparameters_raise(kwargs):
    with pytest.raises(ValueError, match="Invalid"):
        Graft(_params(), **kwargs)


def test_adam_magnitude_sgd_direction_per_tensor():
    lr, betas = 0.01, (0.5, 0.999)
    graft_params, adam_params = _params(), _params()
    graft = Graft(graft_params, lr=lr, magnitude="adam", direction="sgd", betas=betas)
    adam = torch.optim.Adam(adam_params, lr=lr, betas=betas, eps=1e-8)
    for step in range(5):
        grads = _grads(step)
        deltas = _steps(graft, graft_params, grads)
        adam_deltas = _steps(adam, adam_params, grads)
        for delta, adam_delta, g in zip(deltas, adam_deltas, grads):
            # Norm of Adam's step, direction of -g.
            norm = torch.linalg.vector_norm(adam_delta)
            torch.testing.assert_close(torch.linalg.vector_norm(delta), norm)
            torch.testing.assert_close(delta, -norm * g / torch.linalg.vector_norm(g))
        # Not trivially Adam: the direction differs from Adam's.
        assert not torch.allclose(deltas[0], adam_deltas[0])


def test_sgd_magnitude_adam_direction_per_tensor():
    lr, betas = 0.01, (0.9, 0.99)
    graft_params, adam_params = _params(), _params()
    graft = Graft(graft_params, lr=lr, magnitude="sgd", direction="adam", betas=betas)
    adam = torch.optim.Adam(adam_params, lr=lr, betas=betas, eps=1e-8)
    for step in range(5):
        grads = _grads(step)
        deltas = _steps(graft, graft_params, grads)
        adam_deltas = _steps(adam, adam_params, grads)
        for delta, adam_delta, g in zip(deltas, adam_deltas, grads):
            sgd_norm = lr * torch.linalg.vector_norm(g)
            torch.testing.assert_close(torch.linalg.vector_norm(delta), sgd_norm)
            torch.testing.assert_close(
                delta, sgd_norm * adam_delta / torch.linalg.vector_norm(adam_delta)
            )


def test_player_scope_uses_group_norms():
    lr = 0.02
    graft_params, adam_params = _params(), _params()
    graft = Graft(graft_params, lr=lr, scope="player")
    adam = torch.optim.Adam(adam_params, lr=lr, betas=(0.5, 0.999))
    for step in range(3):
        grads = _grads(step)
        deltas = _steps(graft, graft_params, grads)
        adam_deltas = _steps(adam, adam_params, grads)
        torch.testing.assert_close(_norm(deltas), _norm(adam_deltas))
        for delta, g in zip(deltas, grads):
            torch.testing.assert_close(delta, -_norm(adam_deltas) * g / _norm(grads))


@pytest.mark.parametrize("magnitude,direction", [("adam", "sgd"), ("sgd", "adam")])
def test_maximize_flips_the_step(magnitude, direction):
    a, b = _params(), _params()
    opt_a = Graft(a, lr=0.01, magnitude=magnitude, direction=direction)
    opt_b = Graft(b, lr=0.01, magnitude=magnitude, direction=direction, maximize=True)
    for step in range(3):
        grads = _grads(step)
        _steps(opt_a, a, grads)
        _steps(opt_b, b, [-g for g in grads])
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_param_without_grad_is_untouched_and_zero_grad_gives_no_step():
    used = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    unused = torch.nn.Parameter(torch.tensor([3.0]))
    opt = Graft([used, unused], lr=0.1)
    used.grad = torch.zeros(2)
    opt.step()
    assert used.tolist() == [1.0, 2.0]
    assert unused.tolist() == [3.0] and len(opt.state[unused]) == 0


def test_state_dict_round_trip_mid_run():
    a = _params()
    opt = Graft(a, lr=0.01, magnitude="sgd", direction="adam")
    for step in range(3):
        _steps(opt, a, _grads(step))
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    b = [torch.nn.Parameter(p.detach().clone()) for p in a]
    opt_b = Graft(b, lr=0.01, magnitude="sgd", direction="adam")
    opt_b.load_state_dict(torch.load(buffer, weights_only=True))
    for step in range(3, 6):
        _steps(opt, a, _grads(step))
        _steps(opt_b, b, _grads(step))
        for x, y in zip(a, b):
            torch.testing.assert_close(x, y, rtol=0, atol=0)


@pytest.mark.parametrize("scope", ["tensor", "player"])
def test_step_has_no_host_sync(scope):
    params = _params()
    opt = Graft(params, lr=0.01, scope=scope)
    for step in range(2):
        for p, g in zip(params, _grads(step)):
            p.grad = g
        with forbid_host_sync():
            opt.step()
