"""Tests of ConjugateGradient.beta_stats: the β diagnostics accumulated on the device.

Hand-checked cases reuse the problems of test_cg.py: on the 2-parameter quadratic
every rule lies strictly inside (0, ½); on the 3-parameter one DY is clipped to ½ and
PRP to 0.
"""

from __future__ import annotations

import io

import pytest
import torch
from tests.optim.host_sync import forbid_host_sync
from tests.optim.test_cg import (
    QUAD2_LR,
    QUAD2_THETA0,
    QUAD3_THETA0,
    _mlp,
    _mlp_loss,
    _quad2_loss,
    _quad3_loss,
    _raw_rule,
    _run,
)

from cggan.optim import BETA_RULES, ConjugateGradient

KEYS = {"beta_mean", "beta_capped", "beta_zero"}


def _train(opt, model, steps, start=0, *, zero_in_place=False):
    for step in range(start, start + steps):
        opt.zero_grad(set_to_none=not zero_in_place)
        _mlp_loss(model, step).backward()
        opt.step()


def test_unclipped_beta_is_reported_by_hand():
    _, betas, opt = _run(_quad2_loss, QUAD2_THETA0, 2, lr=QUAD2_LR, beta_rule="FR")
    beta = _raw_rule("FR", [0.6, -0.72], [1.0, 1.2], [-1.0, -1.2], 2.0)
    assert beta == pytest.approx(0.36)
    stats = opt.beta_stats()
    # The first step (β = 0 by construction) is not counted: one step, β = 0.36.
    assert stats == pytest.approx(
        {"beta_mean": beta, "beta_capped": 0.0, "beta_zero": 0.0}, rel=1e-12
    )
    assert opt.beta_stats() is None  # reset: no step since


@pytest.mark.parametrize("rule, capped, zero", [("DY", 1.0, 0.0), ("PRP", 0.0, 1.0)])
def test_cap_and_zero_are_counted(rule, capped, zero):
    _, betas, opt = _run(
        _quad3_loss, QUAD3_THETA0, 2, lr=0.1, beta_rule=rule, beta_coeff=0.8
    )
    stats = opt.beta_stats(reset=False)
    assert stats["beta_capped"] == capped and stats["beta_zero"] == zero
    assert stats["beta_mean"] == pytest.approx(betas[1].item(), rel=1e-12)
    assert opt.beta_stats(reset=False) == stats  # reset=False keeps the sums


def _two_tensor_run(scope):
    """Tensor a is capped at 0.8·½ (DY on the 3-parameter quadratic), tensor b has
    β = 0 (zero first gradient, so every denominator is 0)."""
    a = torch.nn.Parameter(torch.tensor(QUAD3_THETA0, dtype=torch.float64))
    b = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    opt = ConjugateGradient([a, b], lr=0.1, beta_rule="DY", beta_coeff=0.8, scope=scope)
    for step in range(3):
        opt.zero_grad()
        _quad3_loss(a).backward()
        b.grad = torch.full((2,), float(step), dtype=torch.float64)  # 0, then 1, 2
        opt.step()
        if step == 1:
            first = opt.beta_stats()
    return first, opt


def test_tensor_scope_shares_are_per_tensor():
    first, opt = _two_tensor_run("tensor")
    assert first == pytest.approx(
        {"beta_mean": 0.2, "beta_capped": 0.5, "beta_zero": 0.5}, rel=1e-12
    )


def test_player_scope_share_is_the_players():
    first, opt = _two_tensor_run("player")
    assert first is not None and set(first) == KEYS
    assert first["beta_capped"] in (0.0, 1.0) and first["beta_zero"] in (0.0, 1.0)
    beta = opt.state[opt.param_groups[0]["params"][0]]["beta"]
    stats = opt.beta_stats()  # the third step alone
    assert stats["beta_mean"] == pytest.approx(beta.item(), rel=1e-12)


@pytest.mark.parametrize("scope", ["tensor", "player"])
@pytest.mark.parametrize("variant", ["paper", "authors"])
@pytest.mark.parametrize("rule", BETA_RULES)
def test_values_are_in_range(rule, variant, scope):
    model = _mlp()
    opt = ConjugateGradient(
        model.parameters(), lr=0.02, beta_rule=rule, scope=scope, variant=variant
    )
    _train(opt, model, 6)
    stats = opt.beta_stats()
    assert set(stats) == KEYS
    assert 0.0 <= stats["beta_capped"] <= 1.0 and 0.0 <= stats["beta_zero"] <= 1.0
    low = -float("inf") if variant == "authors" else 0.0  # authors: β < 0 possible
    assert low <= stats["beta_mean"] <= 0.5


@pytest.mark.parametrize("rule, key", [("FR", "beta_capped"), ("PRP", "beta_zero")])
def test_authors_collapse_is_visible(rule, key):
    # Q4: with zero_grad(set_to_none=False) y ≡ 0: FR sits at coeff/2, PRP at 0.
    model = _mlp()
    opt = ConjugateGradient(
        model.parameters(), lr=0.02, beta_rule=rule, variant="authors"
    )
    _train(opt, model, 5, zero_in_place=True)
    assert opt.beta_stats()[key] == 1.0


@pytest.mark.parametrize("scope", ["tensor", "player"])
@pytest.mark.parametrize("variant", ["paper", "authors"])
def test_resumed_run_reports_the_same_statistics(variant, scope):
    config = {"lr": 0.02, "beta_rule": "HZ", "variant": variant, "scope": scope}
    model = _mlp()
    opt = ConjugateGradient(model.parameters(), **config)
    _train(opt, model, 3)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    resumed = _mlp(seed=1)
    resumed.load_state_dict(saved["model"])
    resumed_opt = ConjugateGradient(resumed.parameters(), **config)
    resumed_opt.load_state_dict(saved["opt"])
    _train(opt, model, 4, start=3)
    _train(resumed_opt, resumed, 4, start=3)
    assert resumed_opt.beta_stats() == opt.beta_stats()  # exactly


def test_foreach_and_for_loop_report_the_same():
    stats = []
    for foreach in (False, True):
        model = _mlp()
        opt = ConjugateGradient(
            model.parameters(), lr=0.05, beta_rule="HS", foreach=foreach
        )
        _train(opt, model, 5)
        stats.append(opt.beta_stats())
    assert stats[0] == pytest.approx(stats[1], rel=1e-6, abs=1e-12)


def test_groups_are_reported_alone_or_pooled():
    model = _mlp()
    first, second = list(model)[0], list(model)[2]
    opt = ConjugateGradient(
        [
            {"params": first.parameters()},
            {"params": second.parameters(), "beta_coeff": 0.0},
        ],
        lr=0.02,
        beta_rule="FR",
    )
    _train(opt, model, 4)
    one = opt.beta_stats(reset=False, group=1)
    assert one == {"beta_mean": 0.0, "beta_capped": 1.0, "beta_zero": 1.0}  # c = 0
    zero = opt.beta_stats(reset=False, group=0)
    pooled = opt.beta_stats(reset=True)
    for key in KEYS:
        assert pooled[key] == pytest.approx((one[key] + zero[key]) / 2)
    assert opt.beta_stats(group=0) is None and opt.beta_stats(group=1) is None


def test_statistics_need_no_host_sync_until_read():
    model = _mlp()
    opt = ConjugateGradient(model.parameters(), lr=0.02, beta_rule="HZ")
    for step in range(3):
        opt.zero_grad()
        _mlp_loss(model, step).backward()
        with forbid_host_sync():
            opt.step()
    assert opt.beta_stats() is not None
