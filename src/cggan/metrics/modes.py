"""Mode coverage of 2-D Gaussian mixtures (ring8, grid25).

Definitions (Metz et al. 2017, Unrolled GAN; Srivastava et al. 2017, VEEGAN; Lin et al.
2018, PacGAN): a sample is *high quality* when it lies within ``threshold_sigmas``
standard deviations (Euclidean distance, isotropic std) of its nearest mode mean; it is
then *registered* to that mode. A mode is *captured* when at least ``min_fraction`` × N
of the N samples are registered to it. PacGAN's rule is the default: a mode is lost when
it receives fewer than 20 % of the samples it would get under a uniform mixture, i.e.
``min_fraction = 0.2 / K`` (20 of 2,500 samples for 25 modes). ``min_fraction = 0``
gives VEEGAN's rule (at least one high-quality sample).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["mode_coverage"]


def mode_coverage(
    samples,
    means,
    std: float,
    *,
    threshold_sigmas: float = 3.0,
    min_fraction: float | None = None,
) -> dict[str, float | int]:
    """Number of modes captured and fraction of high-quality samples.

    Args:
        samples: N×2 generated points (tensor or array); non-finite rows
            count as low quality.
        means: K×2 mode means.
        std: the modes' standard deviation (same units as the samples).
        threshold_sigmas: a sample within this many std of its nearest
            mean is high quality.
        min_fraction: share of all N samples a mode needs to count as captured; default
            0.2 / K (PacGAN). Counts are compared with max(1, ceil(min_fraction · N)).

    Returns:
        ``{"modes": int, "high_quality": float}``.
    """
    x = np.asarray(
        samples.detach().cpu() if hasattr(samples, "detach") else samples, np.float64
    )
    mu = np.asarray(means, np.float64)
    if x.ndim != 2 or mu.ndim != 2 or x.shape[1] != mu.shape[1] or len(x) == 0:
        raise ValueError(
            f"Invalid samples/means: shapes {x.shape} and {mu.shape} "
            "(expected N×D and K×D, N >= 1)"
        )
    if not std > 0:
        raise ValueError(f"Invalid std: {std} (must be > 0)")
    k = len(mu)
    if min_fraction is None:
        min_fraction = 0.2 / k
    if not 0 <= min_fraction <= 1:
        raise ValueError(f"Invalid min_fraction: {min_fraction} (allowed: 0 to 1)")
    finite = np.isfinite(x).all(axis=1)
    dist = np.linalg.norm(x[finite, None, :] - mu[None, :, :], axis=2)
    nearest = dist.argmin(axis=1) if dist.size else np.empty(0, int)
    good = (
        dist.min(axis=1) <= threshold_sigmas * std if dist.size else np.empty(0, bool)
    )
    counts = np.bincount(nearest[good], minlength=k)
    needed = max(1, math.ceil(min_fraction * len(x)))
    return {
        "modes": int((counts >= needed).sum()),
        "high_quality": float(good.sum() / len(x)),
    }
