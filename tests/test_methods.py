"""Method registry: names, optimizers and schemes each name resolves to, bad input."""

import pytest
import torch

from cggan.games import (
    Alternating,
    CGPaperGame,
    Consensus,
    Extragradient,
    Implicit,
    QuadraticGame,
    Simultaneous,
)
from cggan.methods import METHODS, Method, build_method, method_hparams
from cggan.optim import ConjugateGradient, Graft, NormalizedSGD, Optimistic

torch.set_num_threads(1)

CG_RULES = {
    "fr": "FR",
    "prp": "PRP",
    "hs": "HS",
    "dy": "DY",
    "hs_dy": "HS_DY",
    "fr_prp": "FR_PRP",
    "hz": "HZ",
}
CONTRACT_NAMES = (
    {
        "sgd",
        "momentum",
        "adam",
        "nsgda",
        "graft_adam_sgd",
        "graft_sgd_adam",
        "omd",
        "pm",
        "co",
        "iu",
    }
    | {f"cg_{r}" for r in CG_RULES}
    | {f"cg_{r}_authors" for r in CG_RULES}
)


def players():
    return [torch.nn.Parameter(torch.ones(3))], [torch.nn.Parameter(torch.ones(2))]


def build(name, **kw):
    g, d = players()
    return build_method(name, g, d, lr_g=0.01, lr_d=0.02, **kw)


def test_registry_has_exactly_the_contract_names():
    assert set(METHODS) == CONTRACT_NAMES


@pytest.mark.parametrize("name", sorted(CONTRACT_NAMES))
def test_every_method_builds_and_documents_itself(name):
    method = build(name)
    assert isinstance(method, Method) and method.name == name
    assert method.opt_g.param_groups[0]["lr"] == 0.01
    assert method.opt_d.param_groups[0]["lr"] == 0.02
    assert type(method.opt_g) is type(method.opt_d)
    spec = METHODS[name]
    assert spec.reference and spec.update
    assert spec.toy_only == (name == "iu")


@pytest.mark.parametrize("suffix, rule", sorted(CG_RULES.items()))
@pytest.mark.parametrize("variant", ["paper", "authors"])
def test_cg_methods(suffix, rule, variant):
    name = f"cg_{suffix}" if variant == "paper" else f"cg_{suffix}_authors"
    method = build(name, beta_coeff=0.5)
    assert isinstance(method.opt_g, ConjugateGradient)
    assert isinstance(method.scheme, Alternating)
    for opt in (method.opt_g, method.opt_d):
        group = opt.param_groups[0]
        assert group["beta_rule"] == rule
        assert group["variant"] == variant
        assert group["beta_coeff"] == 0.5


def test_cg_hparams_and_scope():
    assert method_hparams("cg_fr") == {"beta_coeff": 1.0, "scope": "tensor"}
    assert method_hparams("cg_fr_authors") == {"beta_coeff": 1.0}
    assert build("cg_hz", scope="player").opt_d.param_groups[0]["scope"] == "player"


def test_baselines():
    sgd = build("sgd")
    assert (
        type(sgd.opt_g) is torch.optim.SGD
        and sgd.opt_g.param_groups[0]["momentum"] == 0
    )
    assert isinstance(sgd.scheme, Alternating)
    mom = build("momentum")
    assert mom.opt_g.param_groups[0]["momentum"] == 0.9
    adam = build("adam")
    assert type(adam.opt_g) is torch.optim.Adam
    assert adam.opt_g.param_groups[0]["betas"] == (0.5, 0.999)
    assert build("adam", betas=[0.0, 0.9]).opt_d.param_groups[0]["betas"] == (0.0, 0.9)


def test_game_methods():
    assert isinstance(build("nsgda").opt_g, NormalizedSGD)
    assert build("nsgda", momentum=0.5).opt_g.param_groups[0]["momentum"] == 0.5
    for name, mag, direction in (
        ("graft_adam_sgd", "adam", "sgd"),
        ("graft_sgd_adam", "sgd", "adam"),
    ):
        opt = build(name).opt_g
        assert isinstance(opt, Graft)
        assert (opt.param_groups[0]["magnitude"], opt.param_groups[0]["direction"]) == (
            mag,
            direction,
        )
    omd = build("omd")
    assert isinstance(omd.opt_g, Optimistic) and isinstance(omd.scheme, Simultaneous)
    pm = build("pm", gamma=0.3)
    assert isinstance(pm.scheme, Extragradient) and pm.scheme.gamma == 0.3
    assert type(pm.opt_g) is torch.optim.SGD
    assert build("pm").scheme.gamma == method_hparams("pm")["gamma"] == 1.0
    co = build("co", gamma=0.2)
    assert isinstance(co.scheme, Consensus) and co.scheme.gamma == 0.2
    assert isinstance(build("iu").scheme, Implicit)


def test_scheme_override():
    assert isinstance(build("sgd", scheme="simultaneous").scheme, Simultaneous)
    assert isinstance(build("omd", scheme="alternating").scheme, Alternating)
    eg = build("sgd", scheme="extragradient", gamma=0.1)
    assert isinstance(eg.scheme, Extragradient) and eg.scheme.gamma == 0.1
    with pytest.raises(ValueError, match="Invalid scheme"):
        build("sgd", scheme="leapfrog")
    with pytest.raises(ValueError, match="Invalid hyperparameter.*gamma"):
        build("pm", scheme="simultaneous", gamma=0.5)


@pytest.mark.parametrize(
    "name, kw, match",
    [
        ("cg_xx", {}, "Invalid method.*allowed: sgd"),
        (
            "sgd",
            {"gamma": 0.1},
            "Invalid hyperparameter for method sgd: gamma.*allowed: none",
        ),
        (
            "cg_fr",
            {"momentum": 0.9},
            "Invalid hyperparameter.*allowed: beta_coeff, scope",
        ),
        ("pm", {"gamma": 0.0}, "Invalid gamma"),
        ("co", {"gamma": -1.0}, "Invalid gamma"),
        ("cg_fr", {"scope": "layer"}, "Invalid scope"),
    ],
)
def test_bad_names_and_hparams(name, kw, match):
    with pytest.raises(ValueError, match=match):
        build(name, **kw)


@pytest.mark.parametrize("name", ["sgd", "cg_fr", "nsgda", "graft_adam_sgd", "omd"])
@pytest.mark.parametrize("lr_g, lr_d", [(-0.1, 0.1), (0.1, -1e-9)])
def test_negative_lr_is_refused_by_the_optimizers(name, lr_g, lr_d):
    # the factory does not re-check learning rates: each player optimizer refuses
    # lr < 0 as torch.optim's do (a run's spec refuses lr <= 0 before any job)
    g, d = players()
    with pytest.raises(ValueError, match="Invalid"):
        build_method(name, g, d, lr_g=lr_g, lr_d=lr_d)


@pytest.mark.parametrize("name", sorted(CONTRACT_NAMES))
def test_every_method_steps_on_a_toy_game(name):
    game = QuadraticGame(dim=2, theta=[1.0, -0.5], omega=[0.5, 0.25])
    method = build_method(name, game.params_g, game.params_d, lr_g=0.05, lr_d=0.05)
    z0 = game.point()
    out = method.step(game)
    assert set(out) == {"loss_g", "loss_d"}
    assert torch.isfinite(game.point()).all()
    assert not torch.equal(game.point(), z0)


def test_sgd_method_on_cg_paper_is_alternating_d_then_g():
    game = CGPaperGame()
    lr = 1e-3
    method = build_method("sgd", game.params_g, game.params_d, lr_g=lr, lr_d=lr)
    method.step(game)
    y = -4.0 - lr * (2 * -4.0 * (1 + 2.0**2))  # D descends −f: ∂(−f)/∂y = 2y(1 + x²)
    x = 2.0 - lr * (2 * 2.0 * (100 - y**2))
    assert game.point().tolist() == pytest.approx([x, y])
