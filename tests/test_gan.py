"""Tests for cggan.gan: losses against their hand formulas, and which
player gets gradients."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from cggan.gan import GANGame, discriminator_loss, generator_loss
from cggan.registry import LOSSES

torch.set_num_threads(1)

REAL = [0.5, -1.0, 3.0]
FAKE = [2.0, -0.3]


def _log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x))


def _log_one_minus_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(x))


def _mean(values):
    return sum(values) / len(values)


def _hand_d(name: str) -> float:
    if name == "hinge":
        return _mean([max(0.0, 1 - r) for r in REAL]) + _mean(
            [max(0.0, 1 + f) for f in FAKE]
        )
    real = _mean([-_log_sigmoid(r) for r in REAL])
    fake = _mean([-_log_one_minus_sigmoid(f) for f in FAKE])
    return 0.5 * (real + fake) if name == "bce" else real + fake


def _hand_g(name: str) -> float:
    if name == "hinge":
        return -_mean(FAKE)
    return _mean([-_log_sigmoid(f) for f in FAKE])


@pytest.mark.parametrize("name", LOSSES)
def test_losses_equal_hand_formulas(name):
    real = torch.tensor(REAL, dtype=torch.float64)
    fake = torch.tensor(FAKE, dtype=torch.float64)
    assert discriminator_loss(name, real, fake).item() == pytest.approx(
        _hand_d(name), rel=1e-12
    )
    assert generator_loss(name, fake).item() == pytest.approx(_hand_g(name), rel=1e-12)


def test_bce_is_half_of_nonsaturating_for_d_and_equal_for_g():
    real = torch.tensor(REAL)
    fake = torch.tensor(FAKE)
    ns_d = discriminator_loss("nonsaturating", real, fake)
    assert discriminator_loss("bce", real, fake).item() == pytest.approx(
        0.5 * ns_d.item()
    )
    assert generator_loss("bce", fake).item() == pytest.approx(
        generator_loss("nonsaturating", fake).item()
    )


@pytest.mark.parametrize("name", LOSSES)
def test_losses_are_finite_for_huge_logits(name):
    big = torch.tensor([1e4, -1e4])
    assert torch.isfinite(discriminator_loss(name, big, -big))
    assert torch.isfinite(discriminator_loss(name, -big, big))
    assert torch.isfinite(generator_loss(name, big))
    assert torch.isfinite(generator_loss(name, -big))


def test_unknown_loss_is_rejected_naming_the_allowed_values():
    with pytest.raises(
        ValueError, match=r"Invalid loss: 'wgan'.*bce, nonsaturating, hinge"
    ):
        generator_loss("wgan", torch.zeros(2))
    with pytest.raises(ValueError, match="Invalid loss"):
        GANGame(nn.Linear(2, 2), nn.Linear(2, 1), loss="wgan")


class _D(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Linear(2, 1)

    def forward(self, x):
        return self.net(x).squeeze(1)


def _game(loss: str = "bce", **kwargs) -> GANGame:
    torch.manual_seed(0)
    game = GANGame(nn.Linear(3, 2), _D(), loss, **kwargs)
    game.sample(torch.randn(5, 2), torch.randn(5, 3))
    return game


@pytest.mark.parametrize("name", LOSSES)
def test_d_loss_reaches_only_d_and_g_loss_reaches_g(name):
    game = _game(name)
    grads_g = torch.autograd.grad(game.loss_d(), game.params_g, allow_unused=True)
    assert all(g is None for g in grads_g)
    # (Per player, not per tensor: with hinge and a linear D the bias
    # gradient is -1 + 1 = 0.)
    grads_d = torch.autograd.grad(game.loss_d(), game.params_d)
    assert sum(g.abs().sum() for g in grads_d) > 0
    grads_g = torch.autograd.grad(game.loss_g(), game.params_g)
    assert sum(g.abs().sum() for g in grads_g) > 0


def test_undetached_d_loss_is_differentiable_in_g_for_consensus():
    game = _game(detach_fake_for_d=False)
    grads_g = torch.autograd.grad(game.loss_d(), game.params_g, allow_unused=True)
    assert all(g is not None and g.abs().sum() > 0 for g in grads_g)


def test_params_are_the_players_parameters():
    game = _game()
    assert [id(p) for p in game.params_g] == [
        id(p) for p in game.generator.parameters()
    ]
    assert [id(p) for p in game.params_d] == [
        id(p) for p in game.discriminator.parameters()
    ]


def test_losses_use_the_sampled_batch_and_current_parameters():
    game = _game()
    real, z = game._real, game._z
    with torch.no_grad():
        expected_d = discriminator_loss(
            "bce", game.discriminator(real), game.discriminator(game.generator(z))
        )
    assert game.loss_d().item() == pytest.approx(expected_d.item())
    before = game.loss_g().item()
    with torch.no_grad():  # a D step between the two losses must be seen by loss_g
        game.discriminator.net.bias.add_(1.0)
        expected_g = generator_loss("bce", game.discriminator(game.generator(z))).item()
    after = game.loss_g().item()
    assert after == pytest.approx(expected_g)
    assert after != pytest.approx(before)


def test_loss_before_sample_is_an_error():
    game = GANGame(nn.Linear(3, 2), _D())
    with pytest.raises(RuntimeError, match="sample"):
        game.loss_g()


def _count_forwards(module: nn.Module) -> dict:
    calls = {"n": 0}
    module.register_forward_hook(lambda *_: calls.__setitem__("n", calls["n"] + 1))
    return calls


def test_alternating_step_shares_one_generator_pass_and_matches_a_fresh_one():
    from cggan.games import build_scheme

    game = _game()
    reference = copy.deepcopy(game)  # the same players, for a by-hand step
    calls = _count_forwards(game.generator)
    opt_g = torch.optim.SGD(game.params_g, lr=0.1)
    opt_d = torch.optim.SGD(game.params_d, lr=0.1)
    build_scheme("alternating").step(game, opt_g, opt_d)
    assert calls["n"] == 1  # one G pass per iteration, as in the paper's code

    real, z = reference._real, reference._z
    g, d = reference.generator, reference.discriminator
    loss_d = discriminator_loss("bce", d(real), d(g(z).detach()))
    grads = torch.autograd.grad(loss_d, list(d.parameters()))
    with torch.no_grad():
        for p, grad in zip(d.parameters(), grads):
            p.sub_(0.1 * grad)
    loss_g = generator_loss("bce", d(g(z)))  # fresh generator pass after D's step
    grads = torch.autograd.grad(loss_g, list(g.parameters()))
    with torch.no_grad():
        for p, grad in zip(g.parameters(), grads):
            p.sub_(0.1 * grad)
    for a, b in zip(
        [*game.params_g, *game.params_d], [*g.parameters(), *d.parameters()]
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-7)


def test_generator_pass_is_rerun_when_theta_changed_or_already_used():
    game = _game()
    calls = _count_forwards(game.generator)
    game.loss_d()
    first = game.loss_g()
    first.backward()  # frees the shared pass's graph
    second = game.loss_g()  # must not reuse it
    second.backward()
    assert calls["n"] == 2
    assert second.item() == pytest.approx(first.item())
    game.loss_d()
    with torch.no_grad():
        game.generator.bias.add_(0.5)  # an in-place update of θ (an extrapolation step)
    moved = game.loss_g()
    assert calls["n"] == 4
    with torch.no_grad():
        expected = generator_loss("bce", game.discriminator(game.generator(game._z)))
    assert moved.item() == pytest.approx(expected.item())
