"""Toy games: objectives, vector fields and equilibria against hand-computed values."""

import math

import pytest
import torch

from cggan.games import (
    BilinearGame,
    CGPaperGame,
    DiracGAN,
    QuadraticGame,
    coupling_matrix,
)

torch.set_num_threads(1)


def test_default_coupling_is_scaled_identity():
    C = coupling_matrix(dim=3, coupling=0.5)
    torch.testing.assert_close(C, 0.5 * torch.eye(3, dtype=torch.float64))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"dim": 0}, "Invalid dim"),
        ({"dim": 1.5}, "Invalid dim"),
        ({"coupling": float("inf")}, "Invalid coupling"),
        ({"matrix": [1.0, 2.0]}, "Invalid C"),
    ],
)
def test_coupling_matrix_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        coupling_matrix(**kwargs)


def test_bilinear_objective_field_and_operator():
    C = torch.tensor([[1.0, 2.0], [0.0, -1.0]], dtype=torch.float64)
    game = BilinearGame(C, theta=[1.0, -1.0], omega=[2.0, 0.5])
    th, om = torch.tensor([1.0, -1.0]).double(), torch.tensor([2.0, 0.5]).double()
    assert float(game.objective().detach()) == pytest.approx(float(th @ C @ om))
    v = torch.cat([C @ om, -C.T @ th])
    torch.testing.assert_close(game.vector_field(), v)
    M, b = game.linear_operator()
    torch.testing.assert_close(M @ game.point() + b, v)
    assert game.params_g[0].dtype == torch.float64
    assert game.distance() == pytest.approx(math.sqrt(1 + 1 + 4 + 0.25))


def test_quadratic_objective_field_and_operator():
    game = QuadraticGame(dim=2, coupling=3.0, theta=[1.0, 2.0], omega=[-1.0, 0.5])
    th, om = torch.tensor([1.0, 2.0]).double(), torch.tensor([-1.0, 0.5]).double()
    u = 0.5 * th @ th - 0.5 * om @ om + 3.0 * th @ om
    assert float(game.objective().detach()) == pytest.approx(float(u))
    v = torch.cat([th + 3.0 * om, om - 3.0 * th])
    torch.testing.assert_close(game.vector_field(), v)
    M, b = game.linear_operator()
    torch.testing.assert_close(M @ game.point() + b, v)


def test_cg_paper_game_values():
    game = CGPaperGame()
    assert game.point().tolist() == [2.0, -4.0]
    assert float(game.objective().detach()) == pytest.approx(420.0)  # (1 + 4)(100 − 16)
    # v = (∂f/∂x, −∂f/∂y) = (2x(100 − y²), 2y(1 + x²)).
    torch.testing.assert_close(
        game.vector_field(), torch.tensor([4.0 * 84.0, -8.0 * 5.0], dtype=torch.float64)
    )
    assert game.distance() == pytest.approx(math.sqrt(20.0))
    # loss_d = −f: D (y) maximizes f.
    assert float(game.loss_d().detach()) == pytest.approx(-420.0)


def test_dirac_gan_values():
    game = DiracGAN(theta=0.5, psi=-2.0)
    t = 0.5 * -2.0
    f = lambda s: -math.log1p(math.exp(-s))  # noqa: E731
    assert float(game.objective().detach()) == pytest.approx(f(t) + f(0.0))
    fprime = 1.0 / (1.0 + math.exp(t))  # f'(s) = σ(−s)
    expected = torch.tensor([fprime * -2.0, -fprime * 0.5], dtype=torch.float64)
    torch.testing.assert_close(game.vector_field(), expected)


@pytest.mark.parametrize(
    "game",
    [
        BilinearGame(dim=3, coupling=2.0),
        QuadraticGame(dim=2),
        CGPaperGame(),
        DiracGAN(),
    ],
    ids=["bilinear", "quadratic", "cg_paper", "dirac"],
)
def test_vector_field_vanishes_at_equilibrium(game):
    theta_star, omega_star = game.equilibrium
    game.set_point(torch.cat([theta_star, omega_star]))
    assert game.distance() == 0.0
    assert torch.count_nonzero(game.vector_field()) == 0


def test_init_length_is_checked():
    with pytest.raises(ValueError, match="Invalid theta"):
        BilinearGame(dim=2, theta=[1.0])
