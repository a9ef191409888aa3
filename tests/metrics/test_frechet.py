"""Tests of cggan.metrics.frechet: the cached-square-root Fréchet distance against
pytorch-fid's ``calculate_frechet_distance`` (the reference), cases (a)-(d) of the
fast-FID design: full-rank statistics, rank-deficient generated statistics (N < d),
a nearly singular reference covariance, and low-dimensional domain features."""

from __future__ import annotations

import contextlib
import io
import math
import warnings

import numpy as np
import pytest
import torch

from cggan.metrics import features as feat
from cggan.metrics.frechet import compute_statistics, frechet_distance, sqrt_psd

RTOL = 1e-6  # the parity required of the fast path


def pytorch_fid(mu1, sigma1, mu2, sigma2) -> float:
    from pytorch_fid.fid_score import calculate_frechet_distance

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return float(calculate_frechet_distance(mu1, sigma1, mu2, sigma2))


def gaussian_features(n, d, seed, *, scale=1.0, shift=0.0, rank=None):
    """n samples of a correlated d-dim Gaussian with a decaying spectrum."""
    rng = np.random.default_rng(seed)
    k = d if rank is None else rank
    mix = rng.normal(size=(k, d)) * np.exp(-np.arange(k) / (0.3 * k))[:, None]
    return scale * rng.normal(size=(n, k)) @ mix + shift


def stats(x):
    return compute_statistics(x)


def check_parity(ref, gen):
    (mu_r, sigma_r), (mu_g, sigma_g) = ref, gen
    root = sqrt_psd(sigma_r)
    fast, status = frechet_distance(mu_r, sigma_r, mu_g, sigma_g, sqrt_sigma1=root)
    expected = pytorch_fid(mu_r, sigma_r, mu_g, sigma_g)
    assert status == "ok"
    assert abs(fast - expected) <= RTOL * abs(expected), (fast, expected)
    return fast


# ----------------------------------------------------------------------- sqrt_psd


def test_sqrt_psd_is_the_symmetric_root():
    sigma = stats(gaussian_features(300, 20, 0))[1]
    root = sqrt_psd(sigma)
    assert np.array_equal(root, root.T)
    # eigh is backward stable on any LAPACK: |R R − Σ| ≲ d·u·‖Σ‖ ≈ 20 · 1.1e-16 · 19
    # ≈ 4e-14 (measured 1.2e-14); 1e-12 leaves a factor 25
    np.testing.assert_allclose(root @ root, sigma, rtol=0, atol=1e-12)
    assert np.linalg.eigvalsh(root).min() > -1e-12


def test_sqrt_psd_of_a_singular_covariance():
    # 10 samples in 30-d: rank 9, eigenvalues negative by round-off only.
    sigma = stats(gaussian_features(10, 30, 1))[1]
    root = sqrt_psd(sigma)
    # d·u·‖Σ‖ ≈ 30 · 1.1e-16 · 44 ≈ 1.5e-13 (measured 3e-14), plus the clipped round-off
    # eigenvalues (√|λ| of ~1e-14 each, squared back); 1e-10 is generous
    np.testing.assert_allclose(root @ root, sigma, rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    "sigma, match",
    [
        (np.ones((2, 3)), "shape"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), "not finite"),
        (np.array([[1.0, 0.5], [0.0, 1.0]]), "not symmetric"),
        (np.diag([1.0, -1e-6]), "not positive semidefinite"),
    ],
)
def test_sqrt_psd_refuses(sigma, match):
    with pytest.raises(ValueError, match=f"Invalid sigma: .*{match}"):
        sqrt_psd(sigma)


# ------------------------------------------------------------- parity, small d


@pytest.mark.parametrize("d", [64, 128])
def test_parity_full_rank(d):  # (a) at small d
    check_parity(
        stats(gaussian_features(4 * d, d, 0)),
        stats(gaussian_features(3 * d, d, 1, scale=1.1, shift=0.2)),
    )


@pytest.mark.parametrize("d", [64, 128])
def test_parity_rank_deficient_generated(d):  # (b) N_gen < d
    check_parity(
        stats(gaussian_features(4 * d, d, 2)),
        stats(gaussian_features(d // 2, d, 3, scale=0.9)),
    )


@pytest.mark.parametrize("n_ref", [40, 64])
def test_parity_nearly_singular_reference(n_ref):  # (c): N_ref <= d, rank < d
    ref = stats(gaussian_features(n_ref, 64, 4))
    assert np.linalg.eigvalsh(ref[1])[0] < 1e-12 * np.linalg.eigvalsh(ref[1])[-1]
    check_parity(ref, stats(gaussian_features(200, 64, 5, shift=0.1)))
    check_parity(ref, stats(gaussian_features(30, 64, 6, rank=5)))


def test_reference_without_real_root_falls_back_to_pytorch_fid():  # (c) fallback
    from cggan.metrics.fid import _reference_root
    from cggan.metrics.reference import ReferenceStats

    # A nearly singular "covariance" whose smallest eigenvalue went below zero by more
    # than round-off (as a float32 accumulation can leave it): R is not real.
    rng = np.random.default_rng(7)
    q, _ = np.linalg.qr(rng.normal(size=(32, 32)))
    eigenvalues = np.linspace(1.0, 2.0, 32)
    eigenvalues[0] = -1e-7
    sigma_r = (q * eigenvalues) @ q.T
    sigma_r = (sigma_r + sigma_r.T) / 2
    mu_r = rng.normal(size=32)
    mu_g, sigma_g = stats(gaussian_features(100, 32, 8))
    with pytest.raises(ValueError, match="not positive semidefinite"):
        sqrt_psd(sigma_r)
    ref = ReferenceStats(mu_r, sigma_r, {}, path=None)
    with pytest.warns(RuntimeWarning, match="pytorch-fid's sqrtm path"):
        root = _reference_root(ref, "cpu")
    assert root is None  # the evaluator's FID then is pytorch-fid's own number
    value, status = frechet_distance(mu_r, sigma_r, mu_g, sigma_g, sqrt_sigma1=root)
    assert status == "ok" and value == pytorch_fid(mu_r, sigma_r, mu_g, sigma_g)


@pytest.mark.parametrize("dims", [64, 128])
def test_parity_domain_classifier_features(dims):  # (d) 64-d and 128-d features
    torch.manual_seed(0)
    net = feat.DigitClassifier(image_size=16, feature_dim=dims, widths=(8, 16))
    gen = torch.Generator().manual_seed(1)
    base = torch.rand(1, 1, 16, 16, generator=gen)
    real = (base + 0.5 * torch.rand(600, 1, 16, 16, generator=gen)) * 1.3 - 1
    fake = (base + 0.8 * torch.rand(300, 1, 16, 16, generator=gen)) * 1.1 - 1
    with torch.no_grad():
        f_real, f_fake = (
            net.features(x.clamp(-1, 1)).double().numpy() for x in (real, fake)
        )
    check_parity(stats(f_real), stats(f_fake))
    check_parity(stats(f_real), stats(f_fake[: dims // 2]))  # and N_gen < d


# ----------------------------------------------------------- statuses and paths


def test_statuses_on_the_fast_path():
    eye = np.eye(2)
    value, status = frechet_distance(
        np.zeros(2), eye, np.array([np.inf, 0.0]), eye, sqrt_sigma1=eye
    )
    assert math.isnan(value) and status == "nonfinite"
    bad = np.diag([1.0, -4.0])  # not a covariance: imaginary square root
    value, status = frechet_distance(
        np.zeros(2), eye, np.zeros(2), bad, sqrt_sigma1=eye
    )
    assert math.isnan(value) and status == "complex"
    # By hand: N(0, diag(1, 4)) vs N(0, diag(4, 1)): 5 + 5 - 2 (2 + 2) = 2.
    value, status = frechet_distance(
        np.zeros(2),
        np.diag([1.0, 4.0]),
        np.zeros(2),
        np.diag([4.0, 1.0]),
        sqrt_sigma1=np.diag([1.0, 2.0]),
    )
    # a 2x2 diagonal problem: a LAPACK may still rotate it, with rounding of a few
    # eps x cond (4) ~ 1e-15, and FID's cancellation (10 -> 2) multiplies that by 5;
    # 1e-10 leaves 1e4 of headroom on any LAPACK and still catches any formula error
    assert status == "ok" and value == pytest.approx(2.0, rel=1e-10)


def test_torch_path_equals_numpy_path():
    ref = stats(gaussian_features(300, 48, 9))
    gen = stats(gaussian_features(100, 48, 10, shift=0.3))
    root = sqrt_psd(ref[1])
    by_numpy = frechet_distance(*ref, *gen, sqrt_sigma1=root)
    by_torch = frechet_distance(*ref, *gen, sqrt_sigma1=torch.from_numpy(root))
    assert by_torch[1] == "ok"
    # two LAPACK/BLAS builds (torch's, numpy's; threaded reductions in either order)
    # on a 48x48 float64 covariance of condition ~5: a few 1e-14 relative in each
    # eigenvalue, amplified by FID's cancellation (|mu|^2 + traces - 2 tr sqrt) by at
    # most ~1e3 here, so ~1e-11; 1e-7 leaves 1e4 of headroom, and a wrong path differs
    # by more than 1e-3
    assert by_torch[0] == pytest.approx(by_numpy[0], rel=1e-7)


def test_shape_mismatch_is_an_error():
    eye = np.eye(3)
    with pytest.raises(ValueError, match="Invalid statistics: shapes"):
        frechet_distance(np.zeros(3), eye, np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="Invalid statistics: shapes"):
        frechet_distance(np.zeros(3), eye, np.zeros(3), eye, sqrt_sigma1=np.eye(2))


# ------------------------------------------------------------------- 2048-d
# pytorch-fid's sqrtm takes 15-40 s per call at 2048-d on two cores, so its values for
# these seeded statistics are recorded here (pytorch-fid 0.3.0, scipy 1.17.1) and the
# default test checks the fast path (a few seconds) against them; the slow test
# recomputes them with pytorch-fid.
PYTORCH_FID_2048 = {"full rank": 681259.9456324368, "N_gen 500": 735977.549178644}
# How far pytorch-fid's own value moves between machines (BLAS/LAPACK build, CPU):
# scipy's sqrtm of the non-symmetric product S = Σ_ref Σ_gen has a backward error
# δ ≈ u‖Σ_ref‖‖Σ_gen‖ ≈ 2e-9 (u = 2^-53), and the square root of each eigenvalue of S
# below δ moves by up to √δ ≈ 5e-5 (√ is not Lipschitz at 0). S has 2 such eigenvalues
# at full rank (bound 2·2·√δ/FID ≈ 2e-10) and 1,549 with N_gen = 500 < d (≈ 2e-7;
# measured: 2.5e-9 between two x86-64 machines). The tolerances are these bounds, with a
# margin, and stay below the parity RTOL that the recorded values serve.
RECORDED_RTOL = {"full rank": 1e-8, "N_gen 500": 5e-7}


def _statistics_2048():
    d = 2048
    ref = stats(gaussian_features(2500, d, 11))
    gens = {
        "full rank": stats(gaussian_features(2200, d, 12, scale=1.05, shift=0.05)),
        "N_gen 500": stats(gaussian_features(500, d, 13, scale=0.95)),
    }
    return ref, gens


def test_parity_2048():  # (a) full rank and (b) rank-deficient, at 2048-d
    ref, gens = _statistics_2048()
    root = sqrt_psd(ref[1])
    for name, gen in gens.items():
        fast, status = frechet_distance(*ref, *gen, sqrt_sigma1=root)
        expected = PYTORCH_FID_2048[name]
        assert status == "ok" and abs(fast - expected) <= RTOL * expected, name


@pytest.mark.slow
def test_recorded_2048_values_are_pytorch_fid():
    ref, gens = _statistics_2048()
    for name, gen in gens.items():
        live = pytorch_fid(*ref, *gen)
        expected = PYTORCH_FID_2048[name]
        assert live == pytest.approx(expected, rel=RECORDED_RTOL[name]), name


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_path_equals_numpy_path():
    from cggan.metrics.fid import _reference_root
    from cggan.metrics.reference import ReferenceStats

    ref = stats(gaussian_features(600, 256, 14))
    gen = stats(gaussian_features(200, 256, 15, shift=0.1))
    root = _reference_root(ReferenceStats(*ref, {}), "cuda")
    assert isinstance(root, torch.Tensor) and root.is_cuda
    on_gpu = frechet_distance(*ref, *gen, sqrt_sigma1=root)
    on_cpu = frechet_distance(*ref, *gen, sqrt_sigma1=sqrt_psd(ref[1]))
    # cuSOLVER/cuBLAS against LAPACK in float64 on a 256x256 covariance of condition
    # ~23 (600 samples): n x eps x cond ~ 6e-13, times FID's cancellation (up to ~2e2
    # at this small shift) ~ 1e-10; 1e-6 leaves 1e4 of headroom on any GPU
    assert on_gpu[1] == "ok" and on_gpu[0] == pytest.approx(on_cpu[0], rel=1e-6)
    assert on_gpu[0] == pytest.approx(pytorch_fid(*ref, *gen), rel=RTOL)
