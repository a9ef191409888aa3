"""Tests of cggan.optim.nsgda.NormalizedSGD: the nSGDA invariants."""

from __future__ import annotations

import io

import pytest
import torch
from tests.optim.host_sync import forbid_host_sync

from cggan.optim import NormalizedSGD

torch.set_num_threads(1)


def _params(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [
        torch.nn.Parameter(torch.randn(shape, generator=gen, dtype=torch.float64))
        for shape in ((3, 4), (4,), (2, 2, 3))
    ]


def _set_grads(params, seed, scale=1.0):
    gen = torch.Generator().manual_seed(seed)
    grads = []
    for i, p in enumerate(params):
        # Very different scales per tensor: normalization must remove them.
        p.grad = torch.randn(p.shape, generator=gen, dtype=p.dtype) * scale * 10.0**i
        grads.append(p.grad.clone())
    return grads


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": -1.0},
        {"lr": 0.1, "momentum": 1.0},
        {"lr": 0.1, "momentum": -0.1},
        {"lr": 0.1, "scope": "layer"},
        {"lr": 0.1, "eps": -1e-3},
    ],
)
def test_bad_hyperparameters_raise(kwargs):
    with pytest.raises(ValueError, match="Invalid"):
        NormalizedSGD(_params(), **kwargs)


def test_tensor_scope_every_step_has_norm_lr_per_tensor():
    params = _params()
    opt = NormalizedSGD(params, lr=0.03, scope="tensor")
    for step in range(4):
        before = [p.detach().clone() for p in params]
        grads = _set_grads(params, step)
        opt.step()
        for p, b, g in zip(params, before, grads):
            delta = p.detach() - b
            assert torch.linalg.vector_norm(delta).item() == pytest.approx(
                0.03, rel=1e-12
            )
            # Direction: exactly -g / ‖g‖.
            torch.testing.assert_close(delta, -0.03 * g / torch.linalg.vector_norm(g))


def test_player_scope_step_has_norm_lr_over_the_group():
    params = _params()
    opt = NormalizedSGD(params, lr=0.03, scope="player")
    for step in range(4):
        before = [p.detach().clone() for p in params]
        grads = _set_grads(params, step)
        opt.step()
        deltas = [p.detach() - b for p, b in zip(params, before)]
        total = torch.sqrt(sum((d**2).sum() for d in deltas)).item()
        assert total == pytest.approx(0.03, rel=1e-12)
        global_norm = torch.sqrt(sum((g**2).sum() for g in grads))
        for d, g in zip(deltas, grads):
            torch.testing.assert_close(d, -0.03 * g / global_norm)
    # Per tensor the norms are NOT lr: the tensor with the largest gradient dominates.
    assert torch.linalg.vector_norm(deltas[0]).item() < 0.01


def test_momentum_on_normalized_gradients_by_hand():
    p = torch.nn.Parameter(torch.tensor([1.0, 1.0], dtype=torch.float64))
    opt = NormalizedSGD([p], lr=0.1, momentum=0.5)
    p.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)  # u1 = (0.6, 0.8)
    opt.step()
    assert p.tolist() == pytest.approx([1.0 - 0.06, 1.0 - 0.08])
    p.grad = torch.tensor([0.0, -2.0], dtype=torch.float64)  # u2 = (0, -1)
    opt.step()
    m2 = [0.5 * 0.6 + 0.0, 0.5 * 0.8 - 1.0]
    assert p.tolist() == pytest.approx([0.94 - 0.1 * m2[0], 0.92 - 0.1 * m2[1]])
    assert opt.state[p]["momentum_buffer"].tolist() == pytest.approx(m2)


def test_zero_gradient_gives_no_step():
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    opt = NormalizedSGD([p], lr=0.1)
    p.grad = torch.zeros(2)
    opt.step()
    assert p.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("scope", ["tensor", "player"])
def test_maximize_flips_the_step(scope):
    a, b = _params(), _params()
    opt_a = NormalizedSGD(a, lr=0.1, scope=scope)
    opt_b = NormalizedSGD(b, lr=0.1, scope=scope, maximize=True)
    grads = _set_grads(a, 5)
    for p, g in zip(b, grads):
        p.grad = -g
    opt_a.step()
    opt_b.step()
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_param_without_grad_is_untouched():
    used = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    unused = torch.nn.Parameter(torch.tensor([3.0]))
    opt = NormalizedSGD([used, unused], lr=0.1, momentum=0.9, scope="player")
    used.grad = torch.tensor([1.0, 0.0])
    opt.step()
    assert unused.tolist() == [3.0] and len(opt.state[unused]) == 0
    # The player norm only counts tensors that have a gradient.
    assert used.tolist() == pytest.approx([0.9, 2.0])


def test_state_dict_round_trip_mid_run():
    params = _params()
    opt = NormalizedSGD(params, lr=0.05, momentum=0.8)
    for step in range(3):
        _set_grads(params, step)
        opt.step()
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    resumed = [torch.nn.Parameter(p.detach().clone()) for p in params]
    resumed_opt = NormalizedSGD(resumed, lr=0.05, momentum=0.8)
    resumed_opt.load_state_dict(torch.load(buffer, weights_only=True))
    for step in range(3, 6):
        _set_grads(params, step)
        _set_grads(resumed, step)
        opt.step()
        resumed_opt.step()
        for a, b in zip(params, resumed):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("scope", ["tensor", "player"])
def test_step_has_no_host_sync(scope):
    params = _params()
    opt = NormalizedSGD(params, lr=0.1, momentum=0.5, scope=scope)
    for step in range(2):
        _set_grads(params, step)
        with forbid_host_sync():
            opt.step()
