"""2-D Gaussian mixtures for mode-collapse experiments, sampled from a seed.

* ``ring8``: 8 Gaussians with means on a circle of radius 2 (angles 2πk/8), std 0.02;
* ``grid25``: 25 Gaussians with means on the grid {−4, −2, 0, 2, 4}², std 0.05.

These are the usual settings (ring: Metz et al. 2017, unrolled GANs; grid: e.g.
Srivastava et al. 2017, VEEGAN). Both are divided by their scale (2 for the ring, 4 for
the grid), so the means lie in [−1, 1] and the stored std is the scaled one (0.01 and
0.0125); points of the outer modes spill a few std beyond ±1. Components are chosen
uniformly at random.

A split is ``N_SAMPLES[split]`` points (50,000 train, 10,000 test) drawn with NumPy's
``default_rng([seed, split_index])``: deterministic per (seed, split), and the two
splits are independent streams.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from cggan.data import Dataset
from cggan.registry import GRID25, RING8

__all__ = ["MIXTURES", "N_SAMPLES", "load", "mixture_params", "sample_mixture"]

# name -> (unscaled std, scale)
MIXTURES = {RING8: (0.02, 2.0), GRID25: (0.05, 4.0)}
N_SAMPLES = {"train": 50_000, "test": 10_000}
_SPLIT_INDEX = {"train": 0, "test": 1}


def mixture_params(name: str) -> tuple[np.ndarray, float, float]:
    """Scaled means (K×2), scaled std and the scale of a mixture.

    Raises:
        ValueError: unknown mixture.
    """
    if name not in MIXTURES:
        raise ValueError(f"Invalid mixture: {name!r} (allowed: {', '.join(MIXTURES)})")
    std, scale = MIXTURES[name]
    if name == RING8:
        angles = 2.0 * math.pi * np.arange(8) / 8
        means = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    else:
        axis = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
        means = np.array([(a, b) for a in axis for b in axis])
    return means / scale, std / scale, scale


def sample_mixture(
    name: str, n: int, seed: int | list[int]
) -> tuple[torch.Tensor, np.ndarray, float]:
    """Draw ``n`` points of a mixture (already scaled).

    Args:
        name: ``"ring8"`` or ``"grid25"``.
        n: number of points.
        seed: NumPy ``default_rng`` seed (an int or a list of ints).

    Returns:
        (points n×2 float32, scaled means K×2, scaled std).
    """
    if n < 0:
        raise ValueError(f"Invalid n: {n} (must be >= 0)")
    means, std, _ = mixture_params(name)
    rng = np.random.default_rng(seed)
    component = rng.integers(0, len(means), size=n)
    points = means[component] + std * rng.standard_normal((n, 2))
    return torch.from_numpy(points.astype(np.float32)), means, std


def load(
    root: Path, *, name: str, split: str, download: bool = False, seed: int = 0
) -> Dataset:
    """Sample a split; ``root`` and ``download`` are accepted for a
    uniform interface."""
    x, means, std = sample_mixture(name, N_SAMPLES[split], [seed, _SPLIT_INDEX[split]])
    info = {
        "means": means.tolist(),
        "std": float(std),
        "scale": MIXTURES[name][1],
        "seed": seed,
        "n": N_SAMPLES[split],
    }
    return Dataset(name=name, x=x, y=None, info=info)
