"""Liang & Stokes (AISTATS 2019), checked on the real schemes and registry methods.

Oracles are the theorems' statements and the exact one-step operators of their proofs
(Liang & Stokes, "Interaction Matters: A Note on Non-asymptotic Local Convergence of
Generative Adversarial Networks": Theorem 1 and Corollary 1 on the strongly
convex–concave game, Theorems 3–6 on the bilinear game), computed here with numpy; the
iterates come from ``cggan.methods.build_method`` (sgd / omd / pm / co / iu) on float64
toy games. The step sizes, operators and bounds of :mod:`cggan.games.theory` are checked
against the same formulas. Notation: v(z) = M z, M = [[0, C], [−Cᵀ, 0]] (bilinear),
λ = eigenvalues of CCᵀ.
"""

import math

import numpy as np
import pytest
import torch

from cggan.games import BilinearGame, QuadraticGame
from cggan.games.theory import (
    measured_rate,
    one_step_operator,
    theory_bounds,
    theory_step_size,
)
from cggan.methods import build_method
from cggan.toy import run_toy

torch.set_num_threads(1)


def random_c():
    # Seeded, full rank, κ(CCᵀ) ≈ 18 (seed chosen for a moderate κ so runs stay short).
    gen = torch.Generator().manual_seed(1)
    C = torch.randn(3, 3, generator=gen, dtype=torch.float64).numpy()
    assert np.linalg.matrix_rank(C) == 3
    return C


COUPLINGS = {"random": random_c(), "scaled_identity": 1.5 * np.eye(3)}
Z0 = np.array([0.3, -0.2, 0.4, 0.1, 0.25, -0.35])


def spectrum(C):
    s = np.linalg.svd(C, compute_uv=False) ** 2
    return s.min(), s.max()


def trajectory(game_cls, C, method, lr, steps, z0=Z0, **kw):
    p = C.shape[0]
    game = game_cls(torch.tensor(C), theta=z0[:p], omega=z0[p:])
    built = build_method(method, game.params_g, game.params_d, lr_g=lr, lr_d=lr, **kw)
    zs = [game.point().numpy()]
    for _ in range(steps):
        built.step(game)
        zs.append(game.point().numpy())
    return np.array(zs)


def norms(zs):
    return np.linalg.norm(zs, axis=1)


@pytest.fixture(params=list(COUPLINGS), ids=list(COUPLINGS))
def C(request):
    return COUPLINGS[request.param]


def test_sga_bilinear_exact_divergence_on_joint_norm(C):
    eta, p = 0.1, C.shape[0]
    zs = trajectory(BilinearGame, C, "sgd", eta, 40, scheme="simultaneous")
    lam_min, _ = spectrum(C)
    for z, z_next in zip(zs[:-1], zs[1:], strict=True):
        theta, omega = z[:p], z[p:]
        growth = eta**2 * (np.sum((C @ omega) ** 2) + np.sum((C.T @ theta) ** 2))
        # an exact identity of the 2x2 update; float64 rounding of a few products
        # (any BLAS, any CPU) is ~1e-15 relative, far inside 1e-8, and eta² terms
        # (1e-2 relative) would show a wrong growth term
        assert z_next @ z_next == pytest.approx(z @ z + growth, rel=1e-8)
        assert z_next @ z_next >= (1 + eta**2 * lam_min) * (z @ z) * (1 - 1e-12)


def test_sga_per_player_inequality_is_false():
    # The erratum: C = 1, (θ0, ω0) = (1, 1), η = 0.1 gives θ1² = 0.81 < (1 + η²)θ0².
    zs = trajectory(
        BilinearGame,
        np.eye(1),
        "sgd",
        0.1,
        1,
        z0=np.array([1.0, 1.0]),
        scheme="simultaneous",
    )
    assert zs[1, 0] == pytest.approx(0.9)
    assert zs[1, 0] ** 2 < 1.01
    assert zs[1] @ zs[1] == pytest.approx(2.0 * 1.01)  # the joint identity holds


def test_omd_iterates_follow_the_two_step_recursion(C):
    eta, steps = 0.05, 30
    zs = trajectory(BilinearGame, C, "omd", eta, steps)
    p = C.shape[0]
    M = np.block([[np.zeros((p, p)), C], [-C.T, np.zeros((p, p))]])
    prev, cur = Z0, Z0  # first step uses v(z_{−1}) = v(z_0)
    for t in range(steps):
        prev, cur = cur, cur - 2 * eta * M @ cur + eta * M @ prev
        np.testing.assert_allclose(zs[t + 1], cur, rtol=1e-12, atol=1e-14)


def test_omd_contracts_inside_thm3_envelope(C):
    lam_min, lam_max = spectrum(C)
    eta = 1 / (2 * math.sqrt(2 * lam_max))
    zs = trajectory(BilinearGame, C, "omd", eta, 300)
    d = norms(zs)
    r = max(d[0], d[1])
    t = np.arange(len(d))
    assert np.all(d <= 4 * math.sqrt(2) * r * np.exp(-t * lam_min / (16 * lam_max)))
    assert d[-1] < 0.5 * d[0]


@pytest.mark.parametrize("method", ["pm", "co"])
@pytest.mark.parametrize("gamma", [0.5, 1.0])
def test_pm_co_contract_at_thm4_step(C, method, gamma):
    lam_min, lam_max = spectrum(C)
    eta = gamma * lam_min / (lam_max + gamma**2 * lam_max**2)
    rho = math.sqrt(1 - gamma**2 * lam_min**2 / (gamma**2 * lam_max**2 + lam_max))
    d = norms(trajectory(BilinearGame, C, method, eta, 300, gamma=gamma))
    assert np.all(d[1:] <= rho * d[:-1] * (1 + 1e-12))
    assert np.all(np.diff(d) < 0)


def test_pm_and_co_coincide_on_bilinear(C):
    eta, gamma = 0.07, 0.6
    pm = trajectory(BilinearGame, C, "pm", eta, 50, gamma=gamma)
    co = trajectory(BilinearGame, C, "co", eta, 50, gamma=gamma)
    np.testing.assert_allclose(pm, co, rtol=1e-10, atol=1e-14)


def _direction_norms(C, z):
    U, s, Vt = np.linalg.svd(C)
    p = C.shape[0]
    a, b = U.T @ z[:p], Vt @ z[p:]  # coordinates along the singular pairs (u_i, v_i)
    return np.hypot(a, b), s


@pytest.mark.parametrize(
    "method, factor",
    [
        (
            "pm",
            lambda s, eta, gamma: np.sqrt(
                (1 - eta * gamma * s**2) ** 2 + eta**2 * s**2
            ),
        ),
        (
            "co",
            lambda s, eta, gamma: np.sqrt(
                (1 - eta * gamma * s**2) ** 2 + eta**2 * s**2
            ),
        ),
        ("iu", lambda s, eta, gamma: 1 / np.sqrt(1 + eta**2 * s**2)),
        ("sgd", lambda s, eta, gamma: np.sqrt(1 + eta**2 * s**2)),
    ],
)
def test_exact_factor_per_singular_direction(C, method, factor):
    eta, gamma = 0.2, 0.5
    kw = {"gamma": gamma} if method in ("pm", "co") else {}
    if method == "sgd":
        kw["scheme"] = "simultaneous"
    zs = trajectory(BilinearGame, C, method, eta, 5, **kw)
    for z, z_next in zip(zs[:-1], zs[1:], strict=True):
        before, s = _direction_norms(C, z)
        after, _ = _direction_norms(C, z_next)
        np.testing.assert_allclose(after, factor(s, eta, gamma) * before, rtol=1e-10)


def test_iu_contracts_at_thm5_step(C):
    lam_min, lam_max = spectrum(C)
    eta = 1 / math.sqrt(lam_max)
    rho = 1 - (1 - 1 / math.sqrt(2)) * lam_min / lam_max
    d = norms(trajectory(BilinearGame, C, "iu", eta, 200))
    assert np.all(d[1:] <= rho * d[:-1] * (1 + 1e-12))
    assert d[-1] < 0.1 * d[0]


@pytest.mark.parametrize("eta", [0.05, 0.3, 1.0, 2.0])
def test_sga_quadratic_corollary1_lower_bound(C, eta):
    lam_min, _ = spectrum(C)
    zs = trajectory(QuadraticGame, C, "sgd", eta, 40, scheme="simultaneous")
    sq = np.sum(zs**2, axis=1)
    assert np.all(sq[1:] >= lam_min / (1 + lam_min) * sq[:-1] * (1 - 1e-12))


def test_sga_quadratic_thm1_rate_at_its_step(C):
    # A = B = I: α = 1, β = λ_max(F) = 1 + λ_max(CCᵀ); η = √α/β.
    lam_min, lam_max = spectrum(C)
    beta = 1 + lam_max
    d = norms(trajectory(QuadraticGame, C, "sgd", 1 / beta, 60, scheme="simultaneous"))
    assert np.all(d[1:] <= math.sqrt(1 - 1 / beta) * d[:-1] * (1 + 1e-12))
    assert np.all(d[1:] >= math.sqrt(lam_min / (1 + lam_min)) * d[:-1] * (1 - 1e-12))


def test_measured_rate_is_geometric_mean():
    assert measured_rate(3.0 * 0.5 ** np.arange(10)) == pytest.approx(0.5)
    assert measured_rate(np.array([1.0, 4.0, 1.0])) == pytest.approx(1.0)
    assert measured_rate(np.array([1.0, 0.5, np.nan, np.nan])) == pytest.approx(0.5)


def test_theory_step_sizes_and_bounds_from_formulas():
    C = np.diag([1.0, 2.0])  # λ_min = 1, λ_max = 4, κ = 4
    assert theory_step_size("bilinear", "omd", C) == pytest.approx(
        1 / (2 * math.sqrt(8))
    )
    assert theory_step_size("bilinear", "pm", C, gamma=1.0) == pytest.approx(
        1 / (4 + 16)
    )
    assert theory_step_size("bilinear", "iu", C) == pytest.approx(0.5)
    assert theory_bounds("bilinear", "iu", C, 0.5)[1] == pytest.approx(
        1 - (1 - 2**-0.5) / 4
    )
    lower, upper, _ = theory_bounds("quadratic", "sgd", C, 0.2)
    assert lower == pytest.approx(math.sqrt(1 / 2)) and upper == pytest.approx(
        math.sqrt(4 / 5)
    )
    with pytest.raises(ValueError, match="Invalid theory run"):
        theory_step_size("cg_paper", "sgd", C)


@pytest.mark.parametrize(
    "method, gamma", [("sgd", None), ("pm", 0.5), ("co", 0.5), ("iu", None)]
)
def test_one_step_operator_matches_the_scheme(method, gamma):
    z0 = [0.3, -1.0, 0.5, 0.7]
    scheme = "simultaneous" if method == "sgd" else None
    traj = run_toy(
        "bilinear",
        method,
        lr_g=0.2,
        lr_d=0.2,
        steps=1,
        dim=2,
        coupling=1.5,
        init=z0,
        scheme=scheme,
        gamma=gamma,
    )
    op = one_step_operator("bilinear", method, 1.5 * np.eye(2), 0.2, gamma)
    np.testing.assert_allclose(
        np.hstack([traj.theta[1], traj.omega[1]]), op @ z0, rtol=1e-12
    )
