"""Tests of cggan.optim.cg.ConjugateGradient.

Expected values come from the β formulas (Naganuma & Iiduka, AISTATS 2023, §3; the
authors' released class for variant="authors"), evaluated here in plain Python floats
(``_Ref*`` below), never from running the optimizer.
"""

from __future__ import annotations

import io
import math

import pytest
import torch
from tests.optim.host_sync import forbid_host_sync

from cggan.optim import BETA_RULES, ConjugateGradient

torch.set_num_threads(1)


# --------------------------------------------------------------------------- references
def _dot(u, v):
    return sum(a * b for a, b in zip(u, v))


def _div(num, den):
    return 0.0 if den == 0 else num / den


def _raw_rule(rule, g, p, d, mu):
    """The rule's value from its formula (g current, p previous, d last direction)."""
    y = [a - b for a, b in zip(g, p)]
    fr = _div(_dot(g, g), _dot(p, p))
    prp = _div(_dot(g, y), _dot(p, p))
    hs = _div(_dot(g, y), _dot(d, y))
    dy = _div(_dot(g, g), _dot(d, y))
    hz = 0.0 if _dot(d, y) == 0 else hs - mu * _dot(y, y) * _dot(g, d) / _dot(d, y) ** 2
    return {
        "FR": fr,
        "PRP": prp,
        "HS": hs,
        "DY": dy,
        "HS_DY": max(0.0, min(hs, dy)),
        "FR_PRP": max(0.0, min(fr, prp)),
        "HZ": hz,
    }[rule]


def _sums(parts):
    """Concatenate per-tensor vectors: a player's products sum over its tensors."""
    return [x for part in parts for x in part]


def _paper_reference(rule, grad_fn, thetas, lr, steps, *, coeff, beta_max, mu, scope):
    """Paper-variant CG on a list of parameter vectors, in plain floats.

    Returns the parameters after each step and the β of each tensor at each step.
    """
    thetas = [list(t) for t in thetas]
    history, betas = [], []
    prev = dirs = None
    for _ in range(steps):
        grads = grad_fn(thetas)
        if prev is None:
            step_betas = [0.0] * len(thetas)
        elif scope == "tensor":
            step_betas = [
                coeff * min(max(_raw_rule(rule, g, p, d, mu), 0.0), beta_max)
                for g, p, d in zip(grads, prev, dirs)
            ]
        else:
            raw = _raw_rule(rule, _sums(grads), _sums(prev), _sums(dirs), mu)
            step_betas = [coeff * min(max(raw, 0.0), beta_max)] * len(thetas)
        if dirs is None:
            dirs = [[-x for x in g] for g in grads]
        else:
            dirs = [
                [-gi + b * di for gi, di in zip(g, d)]
                for g, d, b in zip(grads, dirs, step_betas)
            ]
        thetas = [[t + lr * di for t, di in zip(th, d)] for th, d in zip(thetas, dirs)]
        prev = grads
        history.append([list(t) for t in thetas])
        betas.append(step_betas)
    return history, betas


def _authors_reference(rule, grad_fn, theta, lr, steps, *, coeff, mu):
    """The released class on one tensor with fresh gradients each step (no aliasing).

    Q1 ascent first step, Q2 double buffer update, Q3 HS/DY/HZ on the buffer, Q5 clip.
    """
    theta = list(theta)
    history, betas = [], []
    prev = buf = None
    for _ in range(steps):
        g = grad_fn([theta])[0]
        if prev is None:
            beta, d = 0.0, list(g)
        else:
            y = [a - b for a, b in zip(g, prev)]
            gg, pp, gy = _dot(g, g), _dot(prev, prev), _dot(g, y)
            dy, yy, gd = _dot(buf, y), _dot(y, y), _dot(g, buf)
            fr = 0.0 if pp == 0 else min(gg / pp, 0.5)
            prp = 0.0 if pp == 0 else min(gy / pp, 0.5)
            hs = 0.0 if dy == 0 else min(gy / dy, 0.5)
            dyv = 0.0 if dy == 0 else min(gg / dy, 0.5)
            raw = {
                "FR": fr,
                "PRP": prp,
                "HS": hs,
                "DY": dyv,
                "HS_DY": max(0.0, min(hs, dyv)),
                "FR_PRP": max(0.0, min(fr, prp)),
                "HZ": 0.0 if dy == 0 else min(hs - mu * yy * gd / dy**2, 0.5),
            }[rule]
            beta = raw * coeff
            d = [beta * b - gi for b, gi in zip(buf, g)]
        theta = [t + lr * di for t, di in zip(theta, d)]
        buf = [beta * di - gi for di, gi in zip(d, g)]
        prev = g
        history.append(list(theta))
        betas.append(beta)
    return history, betas


# ------------------------------------------------------------------------ test problems
# f(θ) = ½ θᵀ diag(1, 4) θ from θ0 = (1, 0.3), lr = 0.4: g0 = (1, 1.2),
# g1 = (0.6, -0.72) makes g1 slightly obtuse to g0 and shorter, so every rule lies
# strictly inside (0, ½) and the seven rules take distinct values (FR .36, PRP .468,
# HS .4225, DY .3249, HZ .145).
QUAD2_DIAG = (1.0, 4.0)
QUAD2_THETA0 = (1.0, 0.3)
QUAD2_LR = 0.4


def _quad2_grads(thetas):
    return [[c * t for c, t in zip(QUAD2_DIAG, thetas[0])]]


def _quad2_loss(theta):
    return 0.5 * (torch.tensor(QUAD2_DIAG, dtype=theta.dtype) * theta**2).sum()


# A 3-parameter quadratic where most rules fall outside [0, β̂] (clipping exercised).
QUAD3_A = ((3.0, 1.0, 0.0), (1.0, 2.0, 0.5), (0.0, 0.5, 1.0))
QUAD3_B = (1.0, -1.0, 2.0)
QUAD3_THETA0 = (0.5, -0.3, 0.8)


def _quad3_grads(thetas):
    t = thetas[0]
    return [[_dot(row, t) - b for row, b in zip(QUAD3_A, QUAD3_B)]]


def _quad3_loss(theta):
    a = torch.tensor(QUAD3_A, dtype=theta.dtype)
    b = torch.tensor(QUAD3_B, dtype=theta.dtype)
    return 0.5 * theta @ a @ theta - b @ theta


def _run(loss_fn, theta0, steps, **kwargs):
    """Run ConjugateGradient on one float64 tensor; params and β after each step."""
    theta = torch.nn.Parameter(torch.tensor(theta0, dtype=torch.float64))
    opt = ConjugateGradient([theta], **kwargs)
    params, betas = [], []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(theta).backward()
        opt.step()
        params.append(theta.detach().clone())
        betas.append(opt.state[theta]["beta"].clone())
    return params, betas, opt


def _mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)
    )


def _mlp_loss(model, step):
    gen = torch.Generator().manual_seed(100 + step)  # a new minibatch each step
    x = torch.randn(8, 3, generator=gen)
    target = torch.stack([x.sum(1), x[:, 0] * x[:, 1]], dim=1)
    return (model(x) - target).pow(2).mean()


# ---------------------------------------------------------------------------- arguments
@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": -0.1},
        {"lr": 0.1, "beta_rule": "XX"},
        {"lr": 0.1, "beta_rule": "fr"},
        {"lr": 0.1, "scope": "layer"},
        {"lr": 0.1, "variant": "textbook"},
        {"lr": 0.1, "beta_max": 1.0},
        {"lr": 0.1, "beta_max": -0.1},
        {"lr": 0.1, "beta_coeff": -0.5},
        {"lr": 0.1, "hz_mu": -1.0},
    ],
)
def test_bad_hyperparameters_raise(kwargs):
    with pytest.raises(ValueError, match="Invalid"):
        ConjugateGradient([torch.nn.Parameter(torch.zeros(2))], **kwargs)


def test_error_message_names_allowed_values():
    with pytest.raises(
        ValueError, match="beta_rule.*FR, PRP, HS, DY, HS_DY, FR_PRP, HZ"
    ):
        ConjugateGradient([torch.nn.Parameter(torch.zeros(2))], lr=0.1, beta_rule="XX")


# --------------------------------------------------------------------- hand computation
def test_hand_problem_keeps_every_rule_unclipped():
    # Guards the next test: a rule clipped to 0 or ½ would hide a wrong formula.
    g0, g1 = [1.0, 1.2], [0.6, -0.72]
    assert _quad2_grads([list(QUAD2_THETA0)])[0] == g0
    values = [_raw_rule(rule, g1, g0, [-x for x in g0], 2.0) for rule in BETA_RULES]
    assert all(0.0 < v < 0.5 for v in values)
    assert math.isclose(values[0], 0.36) and math.isclose(values[1], 1.1424 / 2.44)
    assert len({round(v, 6) for v in values if v}) == 5  # HS_DY = DY, FR_PRP = FR


@pytest.mark.parametrize("rule", BETA_RULES)
def test_first_two_steps_match_hand_computation(rule):
    coeff = 0.9
    params, betas, _ = _run(
        _quad2_loss, QUAD2_THETA0, 2, lr=QUAD2_LR, beta_rule=rule, beta_coeff=coeff
    )
    # Step 0: d0 = -g0 = (-1, -1.2), θ1 = θ0 + lr d0.
    assert params[0].tolist() == pytest.approx([1.0 - 0.4, 0.3 - 0.4 * 1.2], abs=1e-15)
    g0, g1 = [1.0, 1.2], [0.6, -0.72]
    d0 = [-1.0, -1.2]
    beta = coeff * _raw_rule(rule, g1, g0, d0, 2.0)
    d1 = [-g + beta * d for g, d in zip(g1, d0)]
    theta2 = [t + QUAD2_LR * d for t, d in zip([0.6, -0.18], d1)]
    assert betas[0].item() == 0.0
    assert betas[1].item() == pytest.approx(beta, rel=1e-12)
    assert params[1].tolist() == pytest.approx(theta2, rel=1e-12)


@pytest.mark.parametrize("rule", BETA_RULES)
def test_clipping_and_third_step_match_reference(rule):
    # Bounds [0, β̂] then × coeff; three steps pin the recursion through d1.
    kwargs = {"coeff": 0.75, "beta_max": 0.5, "mu": 1.5, "scope": "tensor"}
    ref, ref_betas = _paper_reference(
        rule, _quad3_grads, [QUAD3_THETA0], 0.1, 3, **kwargs
    )
    params, betas, _ = _run(
        _quad3_loss,
        QUAD3_THETA0,
        3,
        lr=0.1,
        beta_rule=rule,
        beta_coeff=0.75,
        beta_max=0.5,
        hz_mu=1.5,
    )
    for step in range(3):
        assert params[step].tolist() == pytest.approx(
            ref[step][0], rel=1e-12, abs=1e-14
        )
        assert betas[step].item() == pytest.approx(
            ref_betas[step][0], rel=1e-12, abs=1e-15
        )
        assert 0.0 <= betas[step].item() <= 0.75 * 0.5


def test_clip_is_active_on_the_three_parameter_problem():
    g0 = _quad3_grads([list(QUAD3_THETA0)])[0]
    theta1 = [t - 0.1 * g for t, g in zip(QUAD3_THETA0, g0)]
    g1 = _quad3_grads([theta1])[0]
    raw = {rule: _raw_rule(rule, g1, g0, [-x for x in g0], 2.0) for rule in BETA_RULES}
    assert raw["DY"] > 0.5 and raw["HZ"] > 0.5 and raw["FR"] > 0.5  # clipped to β̂
    assert raw["PRP"] < 0 and raw["HS"] < 0  # clipped to 0
    _, betas, _ = _run(
        _quad3_loss, QUAD3_THETA0, 2, lr=0.1, beta_rule="DY", beta_coeff=0.8
    )
    assert betas[1].item() == pytest.approx(0.8 * 0.5)
    _, betas, _ = _run(_quad3_loss, QUAD3_THETA0, 2, lr=0.1, beta_rule="PRP")
    assert betas[1].item() == 0.0


def test_zero_denominator_gives_zero_beta():
    # g0 = 0 makes ‖g0‖² = 0 and dᵀy = 0: every rule must give β = 0, not NaN.
    theta = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    for rule in BETA_RULES:
        opt = ConjugateGradient([theta], lr=0.1, beta_rule=rule)
        theta.grad = torch.zeros(2, dtype=torch.float64)
        opt.step()
        theta.grad = torch.tensor([1.0, -1.0], dtype=torch.float64)
        opt.step()
        beta = opt.state[theta]["beta"]
        assert torch.isfinite(theta).all()
        assert beta.item() == 0.0, rule


# ------------------------------------------------------------------ tensor vs player β
# Two tensors: a ∈ R² with f_a = ½ aᵀ diag(1, 4) a, c ∈ R with f_c = ½·2.5·c².
def _two_tensor_grads(thetas):
    a, c = thetas
    return [[a[0], 4.0 * a[1]], [2.5 * c[0]]]


@pytest.mark.parametrize("rule", BETA_RULES)
def test_tensor_and_player_scope_match_hand_computation(rule):
    theta0 = [[1.0, 0.3], [0.8]]
    got = {}
    for scope in ("tensor", "player"):
        a = torch.nn.Parameter(torch.tensor(theta0[0], dtype=torch.float64))
        c = torch.nn.Parameter(torch.tensor(theta0[1], dtype=torch.float64))
        opt = ConjugateGradient([a, c], lr=0.4, beta_rule=rule, scope=scope)
        for _ in range(3):
            opt.zero_grad()
            (0.5 * a[0] ** 2 + 2.0 * a[1] ** 2 + 1.25 * c[0] ** 2).backward()
            opt.step()
        ref, ref_betas = _paper_reference(
            rule,
            _two_tensor_grads,
            theta0,
            0.4,
            3,
            coeff=1.0,
            beta_max=0.5,
            mu=2.0,
            scope=scope,
        )
        assert a.tolist() == pytest.approx(ref[-1][0], rel=1e-12, abs=1e-14)
        assert c.tolist() == pytest.approx(ref[-1][1], rel=1e-12, abs=1e-14)
        betas = [opt.state[a]["beta"].item(), opt.state[c]["beta"].item()]
        assert betas == pytest.approx(ref_betas[-1], rel=1e-12, abs=1e-15)
        got[scope] = betas
    assert got["player"][0] == got["player"][1]


def test_tensor_and_player_scope_differ():
    # Second step, FR: per tensor ‖g1‖²/‖g0‖² for a and c; per player the pooled ratio.
    a0, c0 = [1.0, 0.3], [0.8]
    g0 = _two_tensor_grads([a0, c0])
    g1 = _two_tensor_grads(
        [[t - 0.4 * g for t, g in zip(a0, g0[0])], [c0[0] - 0.4 * g0[1][0]]]
    )
    fr_a = _dot(g1[0], g1[0]) / _dot(g0[0], g0[0])
    fr_c = _dot(g1[1], g1[1]) / _dot(g0[1], g0[1])
    fr_player = _dot(_sums(g1), _sums(g1)) / _dot(_sums(g0), _sums(g0))
    betas = {}
    for scope in ("tensor", "player"):
        a = torch.nn.Parameter(torch.tensor(a0, dtype=torch.float64))
        c = torch.nn.Parameter(torch.tensor(c0, dtype=torch.float64))
        opt = ConjugateGradient([a, c], lr=0.4, beta_rule="FR", scope=scope)
        for _ in range(2):
            opt.zero_grad()
            (0.5 * a[0] ** 2 + 2.0 * a[1] ** 2 + 1.25 * c[0] ** 2).backward()
            opt.step()
        betas[scope] = (opt.state[a]["beta"].item(), opt.state[c]["beta"].item())
    assert betas["tensor"] == pytest.approx((min(fr_a, 0.5), min(fr_c, 0.5)))
    assert betas["player"] == pytest.approx((min(fr_player, 0.5),) * 2)
    assert betas["tensor"][0] != pytest.approx(betas["player"][0])
    assert betas["tensor"][1] != pytest.approx(betas["player"][1])


# ------------------------------------------------------------------------- authors
def test_authors_first_step_is_ascent():
    params, _betas, opt = _run(_quad2_loss, QUAD2_THETA0, 1, lr=0.1, variant="authors")
    assert params[0].tolist() == pytest.approx([1.0 + 0.1 * 1.0, 0.3 + 0.1 * 1.2])
    theta = next(iter(opt.state))
    assert opt.state[theta]["direction"].tolist() == pytest.approx(
        [-1.0, -1.2]
    )  # D0 = -g0


@pytest.mark.parametrize("rule", BETA_RULES)
def test_authors_matches_released_semantics_with_fresh_grads(rule):
    # set_to_none=True (torch 2 default): no aliasing, so the Q1/Q2/Q3/Q5 recursion
    # shows.
    ref, ref_betas = _authors_reference(
        rule, _quad3_grads, QUAD3_THETA0, 0.05, 4, coeff=0.75, mu=2.0
    )
    params, betas, _ = _run(
        _quad3_loss,
        QUAD3_THETA0,
        4,
        lr=0.05,
        beta_rule=rule,
        beta_coeff=0.75,
        variant="authors",
    )
    for step in range(4):
        assert betas[step].item() == pytest.approx(
            ref_betas[step], rel=1e-12, abs=1e-15
        )
        assert params[step].tolist() == pytest.approx(ref[step], rel=1e-12, abs=1e-14)


def test_authors_reference_exercises_negative_beta():
    # Q5: without a lower bound the released PRP/HS go negative on this problem.
    _, ref_betas = _authors_reference(
        "HS", _quad3_grads, QUAD3_THETA0, 0.05, 4, coeff=0.75, mu=2.0
    )
    assert min(ref_betas) < 0


def _authors_run(rule, set_to_none, steps=6, coeff=0.75):
    model = _mlp()
    opt = ConjugateGradient(
        model.parameters(), lr=0.01, beta_rule=rule, beta_coeff=coeff, variant="authors"
    )
    betas = []
    for step in range(steps):
        opt.zero_grad(set_to_none=set_to_none)
        _mlp_loss(model, step).backward()
        opt.step()
        betas.append(torch.stack([opt.state[p]["beta"] for p in model.parameters()]))
    return torch.stack(betas[1:]), opt, model  # β of the first step is 0 by definition


@pytest.mark.parametrize("rule", BETA_RULES)
def test_authors_collapse_under_in_place_zero_grad(rule):
    betas, opt, model = _authors_run(rule, set_to_none=False)
    expected = 0.75 / 2 if rule == "FR" else 0.0
    assert torch.all(betas == expected), betas
    # The mechanism (Q4): the stored previous gradient IS the live .grad tensor.
    for p in model.parameters():
        assert opt.state[p]["prev_grad"] is p.grad


@pytest.mark.parametrize("rule", BETA_RULES)
def test_authors_no_collapse_with_set_to_none(rule):
    betas, _, _ = _authors_run(rule, set_to_none=True)
    if rule == "FR":
        assert torch.any(betas != 0.75 / 2)
    elif rule in ("HS_DY", "FR_PRP"):
        # The hybrids can legitimately be 0 at some steps; they must not be 0 everywhere
        # over a longer run with more steps.
        betas, _, _ = _authors_run(rule, set_to_none=True, steps=25)
        assert torch.any(betas != 0)
    else:
        assert torch.any(betas != 0)


@pytest.mark.parametrize("rule", BETA_RULES)
def test_paper_variant_is_immune_to_in_place_zero_grad(rule):
    finals = []
    for set_to_none in (False, True):
        model = _mlp()
        opt = ConjugateGradient(model.parameters(), lr=0.01, beta_rule=rule)
        for step in range(5):
            opt.zero_grad(set_to_none=set_to_none)
            _mlp_loss(model, step).backward()
            opt.step()
        for p in model.parameters():
            assert opt.state[p]["prev_grad"] is not p.grad
            assert torch.equal(opt.state[p]["prev_grad"], p.grad)
        finals.append([p.detach().clone() for p in model.parameters()])
    for a, b in zip(*finals):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


# ------------------------------------------------------------ state_dict, foreach, misc
CONFIGS = [
    {"beta_rule": rule, "scope": scope}
    for rule in BETA_RULES
    for scope in ("tensor", "player")
] + [{"beta_rule": rule, "variant": "authors"} for rule in ("FR", "PRP", "HZ")]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(c.values()))
def test_state_dict_round_trip_mid_run(config):
    model = _mlp()
    opt = ConjugateGradient(model.parameters(), lr=0.02, beta_coeff=0.9, **config)
    for step in range(3):
        opt.zero_grad()
        _mlp_loss(model, step).backward()
        opt.step()
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, buffer)
    buffer.seek(0)
    saved = torch.load(buffer, weights_only=True)
    resumed = _mlp(seed=123)  # different init: everything must come from the checkpoint
    resumed.load_state_dict(saved["model"])
    resumed_opt = ConjugateGradient(
        resumed.parameters(), lr=0.02, beta_coeff=0.9, **config
    )
    resumed_opt.load_state_dict(saved["opt"])
    for step in range(3, 7):  # lock-step: both must agree after every step
        for m, o in ((model, opt), (resumed, resumed_opt)):
            o.zero_grad()
            _mlp_loss(m, step).backward()
            o.step()
        for a, b in zip(model.parameters(), resumed.parameters()):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("scope", ["tensor", "player"])
@pytest.mark.parametrize("rule", BETA_RULES)
def test_foreach_equals_for_loop(rule, scope, maximize):
    runs = []
    for foreach in (False, True):
        model = _mlp()
        opt = ConjugateGradient(
            model.parameters(),
            lr=0.05,
            beta_rule=rule,
            scope=scope,
            beta_max=0.9,
            maximize=maximize,
            foreach=foreach,
        )
        for step in range(7):
            opt.zero_grad()
            loss = _mlp_loss(model, step)
            (-loss if maximize else loss).backward()
            opt.step()
        runs.append((model, opt))
    (m_loop, o_loop), (m_each, o_each) = runs
    for p_loop, p_each in zip(m_loop.parameters(), m_each.parameters()):
        torch.testing.assert_close(p_loop, p_each)
        s_loop, s_each = o_loop.state[p_loop], o_each.state[p_each]
        assert (
            s_loop.keys()
            == s_each.keys()
            == {"step", "prev_grad", "momentum_buffer", "beta"}
        )
        for key in s_loop:
            torch.testing.assert_close(s_loop[key], s_each[key])
    assert o_loop.state[next(m_loop.parameters())]["step"].item() == 7


@pytest.mark.parametrize("variant", ["paper", "authors"])
def test_param_without_grad_is_untouched(variant):
    used = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    unused = torch.nn.Parameter(torch.tensor([3.0]))
    opt = ConjugateGradient(
        [used, unused], lr=0.1, beta_rule="HZ", scope="player", variant=variant
    )
    for _ in range(3):
        opt.zero_grad()
        (used**2).sum().backward()
        opt.step()
    assert unused.grad is None
    assert unused.tolist() == [3.0]
    assert len(opt.state[unused]) == 0
    # And a tensor with state that gets no gradient this step keeps value and state.
    before = {k: v.clone() for k, v in opt.state[used].items()}
    value = used.detach().clone()
    opt.zero_grad()
    opt.step()
    assert torch.equal(used, value)
    for key, tensor in before.items():
        assert torch.equal(opt.state[used][key], tensor)


@pytest.mark.parametrize("variant", ["paper", "authors"])
@pytest.mark.parametrize("rule", BETA_RULES)
def test_maximize_flips_the_gradient(rule, variant):
    results = []
    for maximize in (False, True):
        model = _mlp()
        opt = ConjugateGradient(
            model.parameters(),
            lr=0.02,
            beta_rule=rule,
            variant=variant,
            maximize=maximize,
        )
        for step in range(4):
            opt.zero_grad()
            loss = _mlp_loss(model, step)
            (-loss if maximize else loss).backward()  # maximize(-L) == minimize(L)
            opt.step()
        results.append([p.detach().clone() for p in model.parameters()])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_maximize_first_step_ascends():
    params, _, _ = _run(_quad2_loss, QUAD2_THETA0, 1, lr=0.1, maximize=True)
    assert params[0].tolist() == pytest.approx([1.0 + 0.1 * 1.0, 0.3 + 0.1 * 1.2])


@pytest.mark.parametrize("scope", ["tensor", "player"])
@pytest.mark.parametrize("rule", BETA_RULES)
def test_converges_on_convex_quadratic(rule, scope):
    gen = torch.Generator().manual_seed(7)
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=gen, dtype=torch.float64))
    a = q @ torch.diag(torch.linspace(0.5, 5.0, 6, dtype=torch.float64)) @ q.T
    b = torch.randn(6, generator=gen, dtype=torch.float64)
    optimum = torch.linalg.solve(a, b)
    head = torch.nn.Parameter(torch.zeros(4, dtype=torch.float64))
    tail = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    opt = ConjugateGradient([head, tail], lr=0.15, beta_rule=rule, scope=scope)
    start = torch.linalg.vector_norm(optimum).item()
    for _ in range(300):
        opt.zero_grad()
        theta = torch.cat([head, tail])
        (0.5 * theta @ a @ theta - b @ theta).backward()
        opt.step()
    error = torch.linalg.vector_norm(torch.cat([head, tail]).detach() - optimum).item()
    assert error < 1e-6 * start


@pytest.mark.parametrize("scope", ["tensor", "player"])
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("variant", ["paper", "authors"])
@pytest.mark.parametrize("rule", BETA_RULES)
def test_step_has_no_host_sync(rule, variant, foreach, scope):
    model = _mlp()
    opt = ConjugateGradient(
        model.parameters(),
        lr=0.01,
        beta_rule=rule,
        scope=scope,
        variant=variant,
        foreach=foreach,
    )
    for step in range(3):
        opt.zero_grad()
        _mlp_loss(model, step).backward()
        with forbid_host_sync():
            opt.step()


def test_prev_grad_is_a_copy():
    _, _, opt = _run(_quad2_loss, QUAD2_THETA0, 2, lr=0.1)
    theta = next(iter(opt.state))
    stored = opt.state[theta]["prev_grad"].clone()
    assert opt.state[theta]["prev_grad"] is not theta.grad
    theta.grad.zero_()  # what zero_grad(set_to_none=False) does
    assert torch.equal(opt.state[theta]["prev_grad"], stored)
    assert opt.defaults["foreach"] is None and opt.defaults["variant"] == "paper"


@pytest.mark.parametrize("scope", ["tensor", "player"])
@pytest.mark.parametrize("rule", BETA_RULES)
def test_foreach_equals_chunked_for_loop_on_large_and_channels_last_tensors(
    rule, scope
):
    """The CUDA default (foreach: one ``dot`` per tensor) against the CPU default (the
    for-loop, which sums a tensor's products chunk by chunk): tensors larger than one
    chunk, a channels-last weight and small ones, as in the SNGAN-ResNet generator."""
    from cggan.optim.cg_rules import chunk_numel

    big = chunk_numel(torch.empty(0)) + 4099  # two chunks, the second one partial
    gen = torch.Generator().manual_seed(5)
    init = [
        torch.randn(big, generator=gen),
        torch.randn(8, 16, 3, 3, generator=gen).contiguous(
            memory_format=torch.channels_last
        ),
        torch.randn(16, generator=gen),
    ]
    grads = [
        [
            torch.randn(t.shape, generator=gen).to(memory_format=m)
            for t, m in zip(
                init,
                (torch.contiguous_format, torch.channels_last, torch.contiguous_format),
            )
        ]
        for _ in range(5)
    ]
    runs = []
    for foreach in (False, True):
        params = [t.clone().requires_grad_(True) for t in init]
        opt = ConjugateGradient(
            params, lr=0.01, beta_rule=rule, scope=scope, beta_max=0.9, foreach=foreach
        )
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = g.clone()
            opt.step()
        runs.append((params, opt))
    (p_loop, o_loop), (p_each, o_each) = runs
    for a, b in zip(p_loop, p_each):
        torch.testing.assert_close(a, b)
        for key in ("prev_grad", "momentum_buffer", "beta", "step"):
            torch.testing.assert_close(o_loop.state[a][key], o_each.state[b][key])
