"""Kernel Inception Distance (Bińkowski et al., "Demystifying MMD GANs", ICLR 2018).

Unbiased MMD² with the polynomial kernel k(x, y) = (xᵀy / d + 1)³, averaged over random
subsets, as torch-fidelity computes it (``torch_fidelity/metric_kid.py``: n_subsets=100,
subset_size=1000, degree 3, gamma = 1/d, coef0 = 1; std with ddof=0).
"""

from __future__ import annotations

import numpy as np

__all__ = ["polynomial_kernel", "mmd2_unbiased", "kernel_inception_distance"]


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """k(x, y) = (xᵀy / d + 1)³ for all pairs of rows."""
    d = x.shape[1]
    return (x @ y.T / d + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² estimate between two equally sized samples (m rows each).

    MMD²_u = [Σ_{i≠j} k(xᵢ,xⱼ) + Σ_{i≠j} k(yᵢ,yⱼ)] / (m(m−1)) − 2 Σ_{i,j} k(xᵢ,yⱼ) / m².
    """
    m = x.shape[0]
    kxx, kyy, kxy = (
        polynomial_kernel(x, x),
        polynomial_kernel(y, y),
        polynomial_kernel(x, y),
    )
    within = kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)
    return float(within / (m * (m - 1)) - 2.0 * kxy.sum() / (m * m))


def kernel_inception_distance(
    features_1: np.ndarray,
    features_2: np.ndarray,
    *,
    n_subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
    kernel_2: np.ndarray | None = None,
) -> tuple[float, float]:
    """KID mean and standard deviation over random subsets.

    The same estimate as torch-fidelity's subset loop, computed without re-evaluating
    the kernel per subset: the three kernel matrices are computed once and each subset's
    sums are indicator-vector products (sum over S×S of K = 1_Sᵀ K 1_S).

    Args:
        features_1: N₁×d features (e.g. generated).
        features_2: N₂×d features (e.g. real).
        n_subsets: number of subsets.
        subset_size: rows drawn without replacement from each set per subset; clipped to
            min(N₁, N₂) (then with one subset the estimate uses every row).
        seed: subset sampling seed.
        kernel_2: optional precomputed ``polynomial_kernel(features_2, features_2)``
            (the real features do not change between evaluations).

    Returns:
        ``(kid_mean, kid_std)``. The estimate is unbiased, so it can
        be slightly negative.
    """
    f1, f2 = np.asarray(features_1, np.float64), np.asarray(features_2, np.float64)
    if f1.ndim != 2 or f2.ndim != 2 or f1.shape[1] != f2.shape[1]:
        raise ValueError(
            f"Invalid features: shapes {f1.shape} and {f2.shape} (expected N×d, M×d)"
        )
    if n_subsets < 1:
        raise ValueError(f"Invalid n_subsets: {n_subsets} (must be >= 1)")
    n1, n2 = f1.shape[0], f2.shape[0]
    m = min(subset_size, n1, n2)
    if m < 2:
        raise ValueError(f"Invalid subset_size: {m} (need at least 2 rows in each set)")
    k11 = polynomial_kernel(f1, f1)
    k22 = polynomial_kernel(f2, f2) if kernel_2 is None else kernel_2
    if k22.shape != (n2, n2):
        raise ValueError(f"Invalid kernel_2: shape {k22.shape} (expected {n2}×{n2})")
    k12 = polynomial_kernel(f1, f2)
    d11, d22 = np.diagonal(k11), np.diagonal(k22)
    rng = np.random.default_rng(seed)
    mmds = np.empty(n_subsets)
    v1, v2 = np.zeros(n1), np.zeros(n2)
    for i in range(n_subsets):
        s1 = rng.choice(n1, m, replace=False)
        s2 = rng.choice(n2, m, replace=False)
        v1[:] = 0.0
        v2[:] = 0.0
        v1[s1] = 1.0
        v2[s2] = 1.0
        within = (v1 @ k11 @ v1 - d11[s1].sum()) + (v2 @ k22 @ v2 - d22[s2].sum())
        mmds[i] = within / (m * (m - 1)) - 2.0 * (v1 @ k12 @ v2) / (m * m)
    return float(mmds.mean()), float(mmds.std())
