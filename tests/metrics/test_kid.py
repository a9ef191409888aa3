"""Tests for cggan.metrics.kid."""

import numpy as np
import pytest

from cggan.metrics.kid import (
    kernel_inception_distance,
    mmd2_unbiased,
    polynomial_kernel,
)


def _direct_mmd2(x, y):
    # Written out pair by pair from Bińkowski et al. (2018), eq. for the unbiased
    # estimator.
    m, d = len(x), x.shape[1]
    k = lambda a, b: (a @ b / d + 1.0) ** 3  # noqa: E731
    sxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    syy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    sxy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return sxx / (m * (m - 1)) + syy / (m * (m - 1)) - 2 * sxy / (m * m)


def test_polynomial_kernel_by_hand():
    x = np.array([[1.0, 2.0]])
    y = np.array([[3.0, -1.0]])
    assert polynomial_kernel(x, y)[0, 0] == pytest.approx(
        ((1 * 3 + 2 * -1) / 2 + 1) ** 3
    )


def test_equals_direct_formula_on_small_inputs():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(9, 4)), rng.normal(0.5, 1.0, size=(9, 4))
    direct = _direct_mmd2(x, y)
    assert mmd2_unbiased(x, y) == pytest.approx(direct, rel=1e-10)
    # One subset of every row: KID is that estimate (row order does not matter), std 0.
    mean, std = kernel_inception_distance(x, y, n_subsets=1, subset_size=9)
    assert mean == pytest.approx(direct, rel=1e-10) and std == 0.0


def test_identical_sets_near_zero_and_shifted_positive():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(400, 16))
    b = rng.normal(size=(400, 16))
    same, _ = kernel_inception_distance(a, a.copy(), n_subsets=20, subset_size=200)
    iid, iid_std = kernel_inception_distance(a, b, n_subsets=20, subset_size=200)
    shifted, _ = kernel_inception_distance(a, b + 1.0, n_subsets=20, subset_size=200)
    assert abs(same) < 0.05 and abs(iid) < 3 * iid_std + 0.05
    assert shifted > 10 * max(abs(iid), iid_std)


def test_seeded_and_validated():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(60, 3))
    assert kernel_inception_distance(a, b, n_subsets=5, subset_size=20, seed=3) == (
        kernel_inception_distance(a, b, n_subsets=5, subset_size=20, seed=3)
    )
    with pytest.raises(ValueError, match="Invalid features"):
        kernel_inception_distance(a, rng.normal(size=(10, 4)))
    with pytest.raises(ValueError, match="Invalid subset_size"):
        kernel_inception_distance(a[:1], b)


def test_subset_average_equals_per_subset_estimates():
    # torch-fidelity's loop: draw a subset of each set, estimate MMD² on it, average.
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(40, 5)), rng.normal(0.3, 1.0, size=(70, 5))
    draw = np.random.default_rng(7)
    per_subset = []
    for _ in range(6):
        x = a[draw.choice(40, 15, replace=False)]
        y = b[draw.choice(70, 15, replace=False)]
        per_subset.append(mmd2_unbiased(x, y))
    mean, std = kernel_inception_distance(a, b, n_subsets=6, subset_size=15, seed=7)
    assert mean == pytest.approx(np.mean(per_subset), rel=1e-9)
    assert std == pytest.approx(np.std(per_subset), rel=1e-7)
    # A precomputed real-feature kernel gives the same numbers.
    cached = kernel_inception_distance(
        a, b, n_subsets=6, subset_size=15, seed=7, kernel_2=polynomial_kernel(b, b)
    )
    assert cached == pytest.approx((mean, std), rel=1e-12)
