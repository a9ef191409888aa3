"""Update schemes against hand-computed steps (player optimizer: torch.optim.SGD)."""

import pytest
import torch

from cggan.games import (
    SCHEMES,
    BilinearGame,
    CGPaperGame,
    Game,
    QuadraticGame,
    build_scheme,
)

torch.set_num_threads(1)


def scalar_bilinear(theta=1.0, omega=2.0, c=3.0):
    return BilinearGame([[c]], theta=[theta], omega=[omega])


def sgd_pair(game, lr_g, lr_d, **kw):
    return (
        torch.optim.SGD(game.params_g, lr=lr_g, **kw),
        torch.optim.SGD(game.params_d, lr=lr_d, **kw),
    )


def point(game):
    return [float(v) for v in game.point()]


def test_registry_names():
    assert set(SCHEMES) == {
        "alternating",
        "simultaneous",
        "extragradient",
        "consensus",
        "implicit",
    }


@pytest.mark.parametrize("name", ["extragradient", "consensus"])
@pytest.mark.parametrize("gamma", [0.0, -1.0, float("nan")])
def test_gamma_must_be_positive(name, gamma):
    with pytest.raises(ValueError, match="Invalid gamma"):
        build_scheme(name, gamma=gamma)


def test_unknown_scheme_and_hparam():
    with pytest.raises(ValueError, match="Invalid scheme.*allowed"):
        build_scheme("leapfrog")
    with pytest.raises(ValueError, match="Invalid hyperparameter.*gamma"):
        build_scheme("simultaneous", gamma=1.0)


@pytest.mark.parametrize("players", [(), ("g", "g"), ("x",), ("d", "g", "d")])
def test_bad_players(players):
    game = scalar_bilinear()
    opt_g, opt_d = sgd_pair(game, 0.1, 0.1)
    with pytest.raises(ValueError, match="Invalid players"):
        build_scheme("simultaneous").step(game, opt_g, opt_d, players=players)


def test_simultaneous_is_sga():
    # U = c θ ω: v = (cω, −cθ); θ' = θ − η_g c ω, ω' = ω + η_d c θ.
    game = scalar_bilinear(1.0, 2.0, 3.0)
    opt_g, opt_d = sgd_pair(game, 0.1, 0.01)
    out = build_scheme("simultaneous").step(game, opt_g, opt_d)
    assert point(game) == pytest.approx([1.0 - 0.1 * 6.0, 2.0 + 0.01 * 3.0])
    assert float(out["loss_g"]) == pytest.approx(6.0)
    assert float(out["loss_d"]) == pytest.approx(-6.0)
    assert not out["loss_g"].requires_grad
    # The consumed gradients stay in p.grad.
    assert float(game.params_g[0].grad) == pytest.approx(6.0)
    assert float(game.params_d[0].grad) == pytest.approx(-3.0)


def test_alternating_d_then_g_on_fresh_evaluation():
    game = scalar_bilinear(1.0, 2.0, 3.0)
    opt_g, opt_d = sgd_pair(game, 0.1, 0.01)
    out = build_scheme("alternating").step(game, opt_g, opt_d)
    omega = 2.0 + 0.01 * 3.0 * 1.0
    theta = 1.0 - 0.1 * 3.0 * omega
    assert point(game) == pytest.approx([theta, omega])
    assert float(out["loss_d"]) == pytest.approx(-6.0)  # at the start
    assert float(out["loss_g"]) == pytest.approx(3.0 * 1.0 * omega)  # after D moved


def test_alternating_order_follows_players():
    game = scalar_bilinear(1.0, 2.0, 3.0)
    opt_g, opt_d = sgd_pair(game, 0.1, 0.01)
    build_scheme("alternating").step(game, opt_g, opt_d, players=("g", "d"))
    theta = 1.0 - 0.1 * 3.0 * 2.0
    assert point(game) == pytest.approx([theta, 2.0 + 0.01 * 3.0 * theta])


@pytest.mark.parametrize(
    "name", ["alternating", "simultaneous", "extragradient", "consensus", "implicit"]
)
def test_d_only_step_leaves_g(name):
    game = QuadraticGame([[2.0]], theta=[1.0], omega=[-0.3])
    opt_g, opt_d = sgd_pair(game, 0.1, 0.1)
    kwargs = {"gamma": 0.5} if name in ("extragradient", "consensus") else {}
    out = build_scheme(name, **kwargs).step(game, opt_g, opt_d, players=("d",))
    assert float(game.params_g[0].detach()) == 1.0
    assert float(game.params_d[0].detach()) != -0.3
    assert set(out) == {"loss_d"}


def test_extragradient_is_pm_with_per_player_lr():
    # z ← z − η v(z − γ v(z)) with η = (η_g, η_d).
    c, gamma = 3.0, 0.2
    game = scalar_bilinear(1.0, 2.0, c)
    opt_g, opt_d = sgd_pair(game, 0.1, 0.05)
    out = build_scheme("extragradient", gamma=gamma).step(game, opt_g, opt_d)
    th_h, om_h = 1.0 - gamma * c * 2.0, 2.0 + gamma * c * 1.0
    assert point(game) == pytest.approx([1.0 - 0.1 * c * om_h, 2.0 + 0.05 * c * th_h])
    assert float(out["loss_g"]) == pytest.approx(6.0)  # losses at the original point
    assert float(game.params_g[0].grad) == pytest.approx(c * om_h)  # gradient at z_half


def test_extragradient_hands_extrapolated_gradient_to_optimizer_state():
    # With momentum SGD the buffer receives the extrapolated gradient, and nothing else
    # (no snapshot) enters the optimizer state.
    c, gamma, lr, mu = 3.0, 0.2, 0.1, 0.5
    game = scalar_bilinear(1.0, 2.0, c)
    opt_g, opt_d = sgd_pair(game, lr, lr, momentum=mu)
    scheme = build_scheme("extragradient", gamma=gamma)
    scheme.step(game, opt_g, opt_d)
    th_h, om_h = 1.0 - gamma * c * 2.0, 2.0 + gamma * c * 1.0
    buf = opt_g.state[game.params_g[0]]["momentum_buffer"]
    assert float(buf) == pytest.approx(c * om_h)
    buf_d = opt_d.state[game.params_d[0]]["momentum_buffer"]
    assert float(buf_d) == pytest.approx(-c * th_h)
    assert set(opt_g.state[game.params_g[0]]) == {"momentum_buffer"}
    assert not hasattr(scheme, "state") and scheme.hparams() == {"gamma": gamma}


def test_consensus_gradients():
    # U = cθω: v = (cω, −cθ), ∇R = Jᵀv = (c²θ, c²ω).
    c, gamma = 2.0, 0.3
    game = scalar_bilinear(1.0, -0.5, c)
    opt_g, opt_d = sgd_pair(game, 0.1, 0.2)
    build_scheme("consensus", gamma=gamma).step(game, opt_g, opt_d)
    g_theta = c * -0.5 + gamma * c * c * 1.0
    g_omega = -c * 1.0 + gamma * c * c * -0.5
    assert float(game.params_g[0].grad) == pytest.approx(g_theta)
    assert float(game.params_d[0].grad) == pytest.approx(g_omega)
    assert point(game) == pytest.approx([1.0 - 0.1 * g_theta, -0.5 - 0.2 * g_omega])


def test_consensus_on_cg_paper_matches_autograd_hessian():
    game = CGPaperGame(0.5, -1.0)
    gamma, lr = 0.01, 1e-3
    opt_g, opt_d = sgd_pair(game, lr, lr)
    z = game.point().clone()

    def field(z):
        x, y = z
        return torch.stack([2 * x * (100 - y * y), 2 * y * (1 + x * x)])

    jac = torch.autograd.functional.jacobian(field, z)
    v = field(z)
    expected = z - lr * (v + gamma * jac.T @ v)
    build_scheme("consensus", gamma=gamma).step(game, opt_g, opt_d)
    torch.testing.assert_close(game.point(), expected)


def test_implicit_exact_solve_on_bilinear():
    game = BilinearGame([[1.0, 2.0], [0.5, -1.0]], theta=[1.0, 0.0], omega=[0.5, 2.0])
    eta_g, eta_d = 0.3, 0.2
    opt_g, opt_d = sgd_pair(game, eta_g, eta_d)
    z = game.point()
    M, _ = game.linear_operator()
    H = torch.diag(torch.tensor([eta_g, eta_g, eta_d, eta_d], dtype=torch.float64))
    expected = torch.linalg.solve(torch.eye(4, dtype=torch.float64) + H @ M, z)
    build_scheme("implicit").step(game, opt_g, opt_d)
    torch.testing.assert_close(game.point(), expected)
    # The fixed point: z_next = z − H v(z_next).
    torch.testing.assert_close(game.point(), z - H @ game.vector_field())


class NoOperator(BilinearGame):
    def linear_operator(self):
        return None


def test_implicit_fixed_point_matches_exact_solve():
    a = BilinearGame([[1.0]], theta=[1.0], omega=[0.5])
    b = NoOperator([[1.0]], theta=[1.0], omega=[0.5])
    for game in (a, b):
        opt_g, opt_d = sgd_pair(game, 0.5, 0.5)
        build_scheme("implicit").step(game, opt_g, opt_d)
    torch.testing.assert_close(a.point(), b.point(), rtol=0, atol=1e-10)


def test_implicit_fixed_point_on_cg_paper_satisfies_equation():
    game = CGPaperGame()
    opt_g, opt_d = sgd_pair(game, 1e-3, 1e-3)
    z = game.point()
    build_scheme("implicit", tol=1e-13).step(game, opt_g, opt_d)
    torch.testing.assert_close(
        game.point(), z - 1e-3 * game.vector_field(), rtol=0, atol=1e-9
    )


def test_implicit_raises_without_fixed_point():
    game = NoOperator([[1.0]], theta=[1.0], omega=[0.5])
    opt_g, opt_d = sgd_pair(game, 1.5, 1.5)  # η·Lip = 1.5: the iteration diverges
    z = game.point()
    with pytest.raises(RuntimeError, match="did not converge"):
        build_scheme("implicit", max_iter=50).step(game, opt_g, opt_d)
    torch.testing.assert_close(game.point(), z)  # nothing moved


class GeneralSum(Game):
    """loss_g = (θ − ω)², loss_d = (ω − 1)² + θω: not zero-sum."""

    def __init__(self):
        self.params_g = [torch.tensor([0.5], requires_grad=True)]
        self.params_d = [torch.tensor([2.0], requires_grad=True)]

    def loss_g(self):
        return ((self.params_g[0] - self.params_d[0]) ** 2).sum()

    def loss_d(self):
        return ((self.params_d[0] - 1) ** 2 + self.params_g[0] * self.params_d[0]).sum()


def test_general_sum_game_each_player_descends_its_own_loss():
    game = GeneralSum()
    opt_g, opt_d = sgd_pair(game, 0.1, 0.1)
    build_scheme("simultaneous").step(game, opt_g, opt_d)
    # ∂L_G/∂θ = 2(θ−ω) = −3; ∂L_D/∂ω = 2(ω−1) + θ = 2.5 (D's loss does not move θ).
    assert float(game.params_g[0].detach()) == pytest.approx(0.5 + 0.3)
    assert float(game.params_d[0].detach()) == pytest.approx(2.0 - 0.25)
