"""LR rules: formulas per rule and per player, isolation of the
players, reachability."""

import math

import pytest
import torch

from cggan.lr_rules import RULES, build_scheduler, rule_params

torch.set_num_threads(1)

BASE_G, BASE_D = 0.2, 0.05


def expected(rule, player, n, base, kw):
    if rule == "constant":
        return base
    if rule == "sqrt":
        return base / math.sqrt(n + 1)
    if rule == "power":
        return base * (n + 1) ** -kw[f"eta_{player}"]
    if rule == "step":
        return base * kw["gamma"] ** (n // kw["step_size"])
    if rule == "step_authors":  # the released code's "DL": D decays, G stays constant
        return base * (kw["gamma"] ** (n // kw["step_size"]) if player == "d" else 1.0)
    raise AssertionError(rule)


KWARGS = {
    "constant": {},
    "sqrt": {},
    "power": {"eta_g": 0.6, "eta_d": 0.9},
    "step": {"step_size": 3, "gamma": 0.5},
    "step_authors": {"step_size": 3, "gamma": 0.81},
}


def two_players():
    g = torch.nn.Parameter(torch.zeros(2))
    d = torch.nn.Parameter(torch.zeros(2))
    return torch.optim.SGD([g], lr=BASE_G), torch.optim.SGD([d], lr=BASE_D)


def test_every_rule_is_tested_and_reachable_by_name():
    assert (
        set(RULES)
        == set(KWARGS)
        == {"constant", "sqrt", "power", "step", "step_authors"}
    )
    for rule in RULES:
        opt_g, _ = two_players()
        sched = build_scheduler(opt_g, rule, "g", **KWARGS[rule])
        assert isinstance(sched, torch.optim.lr_scheduler.LambdaLR)


@pytest.mark.parametrize("rule", sorted(KWARGS))
def test_formula_per_player_and_isolation(rule):
    opt_g, opt_d = two_players()
    kw = KWARGS[rule]
    sched_g = build_scheduler(opt_g, rule, "g", **kw)
    sched_d = build_scheduler(opt_d, rule, "d", **kw)
    for n in range(10):
        assert opt_g.param_groups[0]["lr"] == pytest.approx(
            expected(rule, "g", n, BASE_G, kw)
        )
        assert opt_d.param_groups[0]["lr"] == pytest.approx(
            expected(rule, "d", n, BASE_D, kw)
        )
        opt_g.step()
        opt_d.step()
        sched_g.step()
        sched_d.step()


@pytest.mark.parametrize("rule", sorted(KWARGS))
@pytest.mark.parametrize("player", ["g", "d"])
def test_scheduler_changes_only_its_own_optimizer(rule, player):
    opt_g, opt_d = two_players()
    own, other = (opt_g, opt_d) if player == "g" else (opt_d, opt_g)
    base_own = own.param_groups[0]["lr"]
    base_other = other.param_groups[0]["lr"]
    sched = build_scheduler(own, rule, player, **KWARGS[rule])
    for n in range(1, 8):
        own.step()
        sched.step()
        assert other.param_groups[0]["lr"] == base_other
        want = expected(rule, player, n, base_own, KWARGS[rule])
        assert own.param_groups[0]["lr"] == pytest.approx(want)


def test_power_players_use_their_own_eta():
    opt_g, opt_d = two_players()
    sg = build_scheduler(opt_g, "power", "g", eta_g=0.5, eta_d=1.0)
    sd = build_scheduler(opt_d, "power", "d", eta_g=0.5, eta_d=1.0)
    for _ in range(3):
        opt_g.step()
        opt_d.step()
        sg.step()
        sd.step()
    assert opt_g.param_groups[0]["lr"] == pytest.approx(BASE_G / 2.0)  # 4^−0.5
    assert opt_d.param_groups[0]["lr"] == pytest.approx(BASE_D / 4.0)  # 4^−1


def test_rule_params_defaults():
    assert rule_params("constant") == {}
    assert rule_params("sqrt") == {}
    assert rule_params("power") == {"eta_g": 0.75, "eta_d": 0.75}
    assert rule_params("step") == {"step_size": 10000, "gamma": 0.9}
    # Defaults are used when kwargs are omitted.
    opt_g, _ = two_players()
    sched = build_scheduler(opt_g, "power", "g")
    opt_g.step()
    sched.step()
    assert opt_g.param_groups[0]["lr"] == pytest.approx(BASE_G * 2**-0.75)


@pytest.mark.parametrize(
    "rule, player, kwargs, match",
    [
        ("cosine", "g", {}, "Invalid lr rule"),
        ("TTScaleLR ", "g", {}, "Invalid lr rule"),
        ("constant", "x", {}, "Invalid player"),
        ("constant", "g", {"gamma": 0.5}, "Invalid lr rule argument"),
        ("power", "g", {"eta": 0.5}, "Invalid lr rule argument"),
        ("power", "g", {"eta_g": 0.0}, "Invalid eta_g"),
        ("power", "g", {"eta_d": -1.0}, "Invalid eta_d"),
        ("step", "d", {"step_size": 0}, "Invalid step_size"),
        ("step", "d", {"step_size": 2.5}, "Invalid step_size"),
        ("step", "d", {"gamma": 0.0}, "Invalid gamma"),
        ("power", "d", {"eta_g": 1.5}, "Invalid eta_g"),
        ("step_authors", "g", {"gamma": 1.2}, "Invalid gamma"),
        ("step_authors", "g", {"step_size": "10K"}, "Invalid step_size"),
    ],
)
def test_bad_input(rule, player, kwargs, match):
    opt_g, _ = two_players()
    with pytest.raises(ValueError, match=match):
        build_scheduler(opt_g, rule, player, **kwargs)
    if rule not in RULES:
        with pytest.raises(
            ValueError, match="allowed: constant, sqrt, power, step, step_a"
        ):
            rule_params(rule)


def test_step_authors_matches_the_released_schedule():
    """Two StepLR(0.9) on D's optimizer, none on G's: D x0.81 every 10K, G constant."""
    opt_g, opt_d = two_players()
    kw = {"step_size": 10000, "gamma": 0.81}
    factor_d = build_scheduler(opt_d, "step_authors", "d", **kw).lr_lambdas[0]
    factor_g = build_scheduler(opt_g, "step_authors", "g", **kw).lr_lambdas[0]
    for n in (0, 9999, 10000, 25000, 99999):
        assert factor_d(n) == pytest.approx(0.9 ** (2 * (n // 10000)))
        assert factor_g(n) == 1.0


def test_the_factors_do_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys, cggan.lr_rules as r; r.lr_factor('power', 'g', eta_g=0.5, "
        "eta_d=0.5); print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"
