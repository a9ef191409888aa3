r"""The Fréchet distance between two Gaussians, fast when one square root is cached.

FID (Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
Nash Equilibrium", NeurIPS 2017, the definition of FID) is

.. math::
    d^2 = \lVert\mu_1 - \mu_2\rVert^2 + \operatorname{tr}\Sigma_1
          + \operatorname{tr}\Sigma_2 - 2\operatorname{tr}\sqrt{\Sigma_1\Sigma_2}.

pytorch-fid's ``calculate_frechet_distance`` takes ``scipy.linalg.sqrtm`` of the
non-symmetric product at every call (about 14 s at 2048-d on two cores). The reference
covariance Σ₁ never changes, so its symmetric square root R = Σ₁^½ is computed once
(:func:`sqrt_psd`, one ``eigh``) and cached with the reference statistics. Then
Σ₁Σ₂ = R(RΣ₂) has the eigenvalues of (RΣ₂)R = RΣ₂R, a symmetric positive semidefinite
matrix, so tr √(Σ₁Σ₂) = Σᵢ √λᵢ(RΣ₂R): two matrix products and one ``eigvalsh``.

This module is torch-free at import; torch is imported only when R is given as a
torch tensor (the CUDA path of the training-time evaluator).
"""

from __future__ import annotations

import io
import math
import warnings
from contextlib import redirect_stdout
from typing import Any

import numpy as np

__all__ = ["IMAGINARY_ATOL", "compute_statistics", "frechet_distance", "sqrt_psd"]

#: pytorch-fid accepts a complex sqrtm when the imaginary parts of its diagonal are
#: within this bound (``np.allclose(..., atol=1e-3)``) and otherwise raises "Imaginary
#: component". The fast path applies the same bound to √|λ| of a negative eigenvalue.
IMAGINARY_ATOL = 1e-3


def compute_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (``np.cov(rowvar=False)`` as pytorch-fid) of N×d features."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(
            f"Invalid features: shape {features.shape} (expected N×d with N >= 2)"
        )
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _roundoff(eigenvalues: Any) -> float:
    """Absolute size of the round-off in the eigenvalues of a symmetric d×d matrix.

    ``eigh``/``eigvalsh`` are backward stable: each eigenvalue is exact for a matrix
    within about d·eps·‖M‖ of the input, so smaller negative values are round-off.
    """
    scale = float(np.max(np.abs(eigenvalues))) if np.size(eigenvalues) else 0.0
    return np.size(eigenvalues) * np.finfo(np.float64).eps * scale


def sqrt_psd(sigma: np.ndarray) -> np.ndarray:
    """The symmetric positive semidefinite square root R of a covariance (R R = Σ).

    One ``numpy.linalg.eigh``: R = V diag(√max(λ, 0)) Vᵀ, with eigenvalues that are
    negative only by round-off set to 0.

    Args:
        sigma: a symmetric positive semidefinite d×d matrix.

    Returns:
        R as a float64 d×d array, exactly symmetric.

    Raises:
        ValueError: sigma is not square, not finite, not symmetric, or has an
            eigenvalue below zero by more than round-off (R would not be real: a
            caller then falls back to pytorch-fid's sqrtm path, see
            :func:`frechet_distance`).
    """
    sigma = np.asarray(sigma, dtype=np.float64)
    if sigma.ndim != 2 or sigma.shape[0] != sigma.shape[1]:
        raise ValueError(f"Invalid sigma: shape {sigma.shape} (expected d×d)")
    if not np.isfinite(sigma).all():
        raise ValueError("Invalid sigma: not finite")
    scale = float(np.abs(sigma).max()) if sigma.size else 0.0
    if not np.allclose(sigma, sigma.T, rtol=0.0, atol=1e-10 * scale):
        raise ValueError("Invalid sigma: not symmetric")
    eigenvalues, vectors = np.linalg.eigh(sigma)
    floor = _roundoff(eigenvalues)
    if eigenvalues.size and eigenvalues[0] < -floor:
        raise ValueError(
            f"Invalid sigma: smallest eigenvalue {eigenvalues[0]:.3g} < -{floor:.3g} "
            f"(not positive semidefinite beyond round-off)"
        )
    root = (vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ vectors.T
    return (root + root.T) / 2


def _eigvalsh_of_sandwich(root: Any, sigma: np.ndarray) -> np.ndarray:
    """Eigenvalues of R Σ R in float64: numpy, or torch on R's device when R is a
    tensor (``torch.linalg.eigvalsh`` on CUDA is where the training runs)."""
    if isinstance(root, np.ndarray):
        product = root @ sigma @ root
        # eigvalsh reads one triangle: average out the products' rounding asymmetry.
        return np.linalg.eigvalsh((product + product.T) / 2)
    import torch

    sig = torch.as_tensor(sigma, dtype=torch.float64, device=root.device)
    r = root.to(torch.float64)
    product = r @ sig @ r
    return torch.linalg.eigvalsh((product + product.mT) / 2).cpu().numpy()


def _fast_trace_sqrt(root: Any, sigma2: np.ndarray) -> tuple[float, str]:
    """tr √(Σ₁Σ₂) = Σᵢ √λᵢ(RΣ₂R), with its status ("ok" or "complex")."""
    eigenvalues = _eigvalsh_of_sandwich(root, sigma2)
    if eigenvalues.size == 0:
        return 0.0, "ok"
    # A negative eigenvalue beyond round-off means Σ₂ is not a covariance: pytorch-fid
    # would get an imaginary square root; its own tolerance decides "complex".
    floor = max(_roundoff(eigenvalues), IMAGINARY_ATOL**2)
    if eigenvalues[0] < -floor:
        return math.nan, "complex"
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum()), "ok"


def _pytorch_fid(mu1, sigma1, mu2, sigma2) -> tuple[float, str]:
    """pytorch-fid's own function; its "Imaginary component" error becomes a status."""
    from pytorch_fid.fid_score import calculate_frechet_distance

    printed = io.StringIO()
    try:
        with warnings.catch_warnings(), redirect_stdout(printed):
            # scipy >= 1.16 deprecates sqrtm's disp argument that pytorch-fid passes.
            warnings.simplefilter("ignore", DeprecationWarning)
            value = float(calculate_frechet_distance(mu1, sigma1, mu2, sigma2))
    except ValueError as exc:
        if "Imaginary component" in str(exc):
            return math.nan, "complex"
        raise
    finally:
        # pytorch-fid prints its ε-offset notice; keep it, as a warning, off stdout.
        if printed.getvalue().strip():
            warnings.warn(printed.getvalue().strip(), RuntimeWarning, stacklevel=3)
    return value, "ok"


def _check_shapes(mu1, sigma1, mu2, sigma2, root) -> None:
    d = mu1.shape[0]
    square = [sigma1, sigma2] + ([root] if root is not None else [])
    if (
        mu1.ndim != 1
        or mu2.shape != mu1.shape
        or any(tuple(m.shape) != (d, d) for m in square)
    ):
        shapes = [tuple(a.shape) for a in (mu1, mu2, *square)]
        raise ValueError(
            f"Invalid statistics: shapes {shapes} (expected mu1, mu2 of d, then "
            f"sigma1, sigma2[, sqrt_sigma1] of d×d)"
        )


def frechet_distance(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    *,
    sqrt_sigma1: Any = None,
) -> tuple[float, str]:
    """The Fréchet distance of N(μ₁, Σ₁) and N(μ₂, Σ₂), failures as a status.

    Args:
        mu1, sigma1: the first Gaussian (the reference, when ``sqrt_sigma1`` is given).
        mu2, sigma2: the second Gaussian.
        sqrt_sigma1: R = Σ₁^½ from :func:`sqrt_psd` (numpy array, or a float64 torch
            tensor on the device to compute on). Given: the fast path,
            tr √(Σ₁Σ₂) = Σᵢ √λᵢ(RΣ₂R) in float64. None: pytorch-fid's
            ``calculate_frechet_distance`` itself (``scipy.linalg.sqrtm``, with its
            ε·I offset when the product is singular); this is also the fallback
            when R cannot be formed (``sqrt_psd`` raises).

    Returns:
        ``(fid, status)``: status ``"ok"``; ``"nonfinite"`` (inputs or result not
        finite) or ``"complex"`` (an imaginary square root beyond pytorch-fid's
        tolerance), both with fid = nan. Both paths agree with pytorch-fid to
        about 1e-8 relative (tests/metrics/test_frechet.py).

    Raises:
        ValueError: the shapes do not fit together.
    """
    mu1, mu2 = np.atleast_1d(mu1), np.atleast_1d(mu2)
    sigma1, sigma2 = np.atleast_2d(sigma1), np.atleast_2d(sigma2)
    _check_shapes(mu1, sigma1, mu2, sigma2, sqrt_sigma1)
    if not all(np.isfinite(a).all() for a in (mu1, sigma1, mu2, sigma2)):
        return math.nan, "nonfinite"
    if sqrt_sigma1 is None:
        value, status = _pytorch_fid(mu1, sigma1, mu2, sigma2)
    else:
        tr_covmean, status = _fast_trace_sqrt(sqrt_sigma1, np.asarray(sigma2, float))
        diff = mu1 - mu2
        # The same order of terms as pytorch-fid, so both round alike.
        value = float(
            diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean
        )
    if status != "ok":
        return math.nan, status
    if not math.isfinite(value):
        return math.nan, "nonfinite"
    return value, "ok"
