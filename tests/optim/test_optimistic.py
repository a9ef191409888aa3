"""Tests of cggan.optim.optimistic.Optimistic (OMD)."""

from __future__ import annotations

import io

import pytest
import torch
from tests.optim.host_sync import forbid_host_sync

from cggan.optim import Optimistic

torch.set_num_threads(1)


# f(θ) = ½ θᵀ diag(1, 3) θ, θ0 = (2, -1): g0 = (2, -3).
DIAG = (1.0, 3.0)


def _loss(theta):
    return 0.5 * (torch.tensor(DIAG, dtype=theta.dtype) * theta**2).sum()


def test_bad_lr_raises():
    with pytest.raises(ValueError, match="Invalid learning rate"):
        Optimistic([torch.nn.Parameter(torch.zeros(1))], lr=-0.1)


def test_first_two_steps_by_hand():
    lr = 0.1
    theta = torch.nn.Parameter(torch.tensor([2.0, -1.0], dtype=torch.float64))
    opt = Optimistic([theta], lr=lr)
    for _ in range(2):
        opt.zero_grad()
        _loss(theta).backward()
        opt.step()
        if _ == 0:
            # g_{-1} = g_0: θ1 = θ0 - 2η g0 + η g0 = θ0 - η g0
            assert theta.tolist() == pytest.approx([2.0 - 0.2, -1.0 + 0.3])
    g0 = [2.0, -3.0]
    theta1 = [1.8, -0.7]
    g1 = [1.8, -2.1]
    expected = [t - 2 * lr * a + lr * b for t, a, b in zip(theta1, g1, g0)]
    assert theta.tolist() == pytest.approx(expected, rel=1e-12)
    assert opt.state[theta]["prev_grad"].tolist() == pytest.approx(g1)
    assert opt.state[theta]["step"].item() == 2


def test_prev_grad_is_a_copy():
    theta = torch.nn.Parameter(torch.tensor([2.0, -1.0]))
    opt = Optimistic([theta], lr=0.1)
    _loss(theta).backward()
    opt.step()
    assert opt.state[theta]["prev_grad"] is not theta.grad
    opt.zero_grad(set_to_none=False)
    assert opt.state[theta]["prev_grad"].tolist() == [2.0, -3.0]


def test_maximize_flips_the_step():
    a = torch.nn.Parameter(torch.tensor([2.0, -1.0], dtype=torch.float64))
    b = torch.nn.Parameter(torch.tensor([2.0, -1.0], dtype=torch.float64))
    opt_a, opt_b = Optimistic([a], lr=0.1), Optimistic([b], lr=0.1, maximize=True)
    for _ in range(3):
        opt_a.zero_grad()
        opt_b.zero_grad()
        _loss(a).backward()
        (-_loss(b)).backward()
        opt_a.step()
        opt_b.step()
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_param_without_grad_is_untouched():
    used = torch.nn.Parameter(torch.tensor([1.0]))
    unused = torch.nn.Parameter(torch.tensor([3.0]))
    opt = Optimistic([used, unused], lr=0.1)
    used.grad = torch.tensor([1.0])
    opt.step()
    assert unused.tolist() == [3.0] and len(opt.state[unused]) == 0


def test_state_dict_round_trip_mid_run():
    a = torch.nn.Parameter(torch.tensor([2.0, -1.0], dtype=torch.float64))
    opt = Optimistic([a], lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        _loss(a).backward()
        opt.step()
    buffer = io.BytesIO()
    torch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    b = torch.nn.Parameter(a.detach().clone())
    opt_b = Optimistic([b], lr=0.1)
    opt_b.load_state_dict(torch.load(buffer, weights_only=True))
    for _ in range(3):
        for p, o in ((a, opt), (b, opt_b)):
            o.zero_grad()
            _loss(p).backward()
            o.step()
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_step_has_no_host_sync():
    theta = torch.nn.Parameter(torch.tensor([2.0, -1.0]))
    opt = Optimistic([theta], lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        _loss(theta).backward()
        with forbid_host_sync():
            opt.step()
