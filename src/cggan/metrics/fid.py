"""FID in memory against cached, protocol-keyed reference statistics.

The Fréchet distance is computed from the reference's cached square root R = Σ_r^½
(:mod:`cggan.metrics.frechet`): tr √(Σ_r Σ_g) = Σᵢ √λᵢ(R Σ_g R), one symmetric
eigenvalue problem per evaluation, on the training device when it is CUDA. It agrees
with pytorch-fid's ``calculate_frechet_distance`` (``scipy.linalg.sqrtm``, kept as the
reference and as the fallback when Σ_r has no real square root) to about 1e-8
relative, so a number computed here equals ``python -m pytorch_fid`` on the same images
saved as 8-bit PNGs and the same weights (tests/metrics/test_parity.py).

Reference statistics files (:mod:`cggan.metrics.reference`) live in
``results/fid_stats/<key>.npz`` with ``<key>.json`` beside it; they are made by
:func:`compute_reference_stats` (``scripts/fid_stats.py``). This module re-exports
every public name of those modules, so ``cggan.metrics.fid`` is the one import.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from cggan.checks import differences
from cggan.metrics.features import (
    FeatureExtractor,
    build_extractor,
    extract_features,
    quantize_png8,
)
from cggan.metrics.frechet import compute_statistics, frechet_distance, sqrt_psd
from cggan.metrics.kid import kernel_inception_distance, polynomial_kernel
from cggan.metrics.reference import (
    FORMAT_VERSION,
    KID_REFERENCE_FEATURES,
    QUANTIZATION,
    ReferenceStats,
    classifier_path_for,
    load_reference_stats,
    rebuild_command,
    reference_protocol,
    save_reference_stats,
    sigma_sha256,
)
from cggan.metrics.reference_build import compute_reference_stats
from cggan.registry import CLASSIFIER_EXTRACTOR

__all__ = [
    "QUANTIZATION",
    "FORMAT_VERSION",
    "KID_REFERENCE_FEATURES",
    "ReferenceStats",
    "FIDEvaluator",
    "quantize_png8",
    "compute_statistics",
    "compute_reference_stats",
    "frechet_distance",
    "sqrt_psd",
    "reference_protocol",
    "rebuild_command",
    "save_reference_stats",
    "load_reference_stats",
    "sigma_sha256",
    "classifier_path_for",
    "extractor_for_stats",
]


def extractor_for_stats(
    reference: ReferenceStats,
    *,
    inception_weights: str | os.PathLike | None = None,
    device: str | torch.device = "cpu",
) -> FeatureExtractor:
    """Build the extractor that the statistics were computed with (hash-checked).

    The classifier is read from the file fid_stats wrote beside the npz; Inception
    weights are resolved as in :func:`cggan.metrics.features.build_extractor` and
    must have the hash recorded in the protocol.
    """
    ext = reference.protocol["extractor"]
    if ext["name"] == CLASSIFIER_EXTRACTOR:
        if reference.path is None:
            raise ValueError(
                "Invalid reference: no path (cannot locate its classifier file)"
            )
        return build_extractor(
            CLASSIFIER_EXTRACTOR,
            weights=classifier_path_for(reference.path),
            device=device,
        )
    return build_extractor(
        ext["name"],
        weights=inception_weights,
        dims=ext["dims"],
        device=device,
        expected_sha256=ext["weights_sha256"],
    )


class FIDEvaluator:
    """FID (and KID) of a generator against cached reference statistics, in memory.

    Args:
        reference: :class:`ReferenceStats` or the path of its npz.
        extractor: the feature extractor; its protocol must equal the one the reference
            statistics were computed with.
        n_samples: generated images per evaluation (at most the reference's n).
        batch_size: images per ``sample_fn`` call and per forward pass.
        device: device for feature extraction (the extractor is moved there).
        kid_subsets: KID subsets; kid_subset_size: KID subset size (clipped to the
            sample counts); seed: KID subset sampling seed (fixed: repeatable numbers).

    Call it with ``sample_fn(b) -> b images in [-1, 1]`` (put G in eval mode first). It
    returns ``{"fid", "fid_status", "kid", "kid_std", "confident", "class_entropy"}``
    (the last two from a classifier extractor only, else NaN); generated images that
    are not finite give fid = kid = nan with fid_status "nonfinite".

    The Fréchet distance takes the fast path with the reference's R = Σ_r^½ (read from
    the statistics file, or computed here once for files written before R was cached),
    on ``device`` when it is CUDA (``torch.linalg.eigvalsh``), else with numpy. A Σ_r
    without a real square root takes pytorch-fid's sqrtm path (with a warning).
    """

    def __init__(
        self,
        reference: ReferenceStats | str | os.PathLike,
        extractor: FeatureExtractor,
        n_samples: int,
        batch_size: int = 250,
        device: str | torch.device = "cpu",
        *,
        kid_subsets: int = 100,
        kid_subset_size: int = 1000,
        seed: int = 0,
    ) -> None:
        if not isinstance(reference, ReferenceStats):
            reference = load_reference_stats(reference)
        _check_evaluator_args(reference, extractor, n_samples, batch_size)
        self.reference = reference
        self.extractor = extractor.to(device).eval()
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.kid_subsets = kid_subsets
        self.kid_subset_size = kid_subset_size
        self.seed = seed
        self._kernel_real: np.ndarray | None = None
        self._sqrt_ref = _reference_root(reference, device)
        self.image_shape = (
            int(reference.protocol["channels"]),
            int(reference.protocol["image_size"]),
            int(reference.protocol["image_size"]),
        )

    @classmethod
    def from_stats(
        cls,
        stats_path: str | os.PathLike,
        *,
        n_samples: int,
        batch_size: int = 250,
        device: str | torch.device = "cpu",
        expected_protocol: dict[str, Any] | None = None,
        inception_weights: str | os.PathLike | None = None,
    ) -> FIDEvaluator:
        """Load verified statistics, build their extractor, return the evaluator."""
        reference = load_reference_stats(stats_path, expected_protocol)
        extractor = extractor_for_stats(
            reference, inception_weights=inception_weights, device=device
        )
        return cls(reference, extractor, n_samples, batch_size, device)

    def _checked_sample_fn(
        self, sample_fn: Callable[[int], torch.Tensor]
    ) -> Callable[[int], torch.Tensor]:
        def wrapped(b: int) -> torch.Tensor:
            x = sample_fn(b)
            if not isinstance(x, torch.Tensor) or tuple(x.shape) != (
                b,
                *self.image_shape,
            ):
                got = (
                    tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                )
                c, h, w = self.image_shape
                raise ValueError(
                    f"Invalid samples: shape {got} "
                    f"(expected {b}×{c}×{h}×{w} in [-1, 1])"
                )
            if not torch.isfinite(x).all():
                raise _NonFiniteSamples
            return x

        return wrapped

    def features(self, sample_fn: Callable[[int], torch.Tensor]) -> np.ndarray:
        """Features of ``n_samples`` generated, quantized images."""
        return extract_features(
            self.extractor,
            self._checked_sample_fn(sample_fn),
            self.n_samples,
            self.batch_size,
        )

    def __call__(self, sample_fn: Callable[[int], torch.Tensor]) -> dict[str, Any]:
        try:
            feats = self.features(sample_fn)
        except _NonFiniteSamples:
            return {
                "fid": math.nan,
                "fid_status": "nonfinite",
                "kid": math.nan,
                "kid_std": math.nan,
                **self._sample_quality(None),
            }
        mu, sigma = compute_statistics(feats)
        fid, status = frechet_distance(
            self.reference.mu,
            self.reference.sigma,
            mu,
            sigma,
            sqrt_sigma1=self._sqrt_ref,
        )
        kid, kid_std = math.nan, math.nan
        if self.reference.kid_features is not None and np.isfinite(feats).all():
            if self._kernel_real is None:  # the real features never change: once
                ref = self.reference.kid_features
                self._kernel_real = polynomial_kernel(ref, ref)
            kid, kid_std = kernel_inception_distance(
                feats,
                self.reference.kid_features,
                kernel_2=self._kernel_real,
                n_subsets=self.kid_subsets,
                subset_size=self.kid_subset_size,
                seed=self.seed,
            )
        return {
            "fid": fid,
            "fid_status": status,
            "kid": kid,
            "kid_std": kid_std,
            **self._sample_quality(feats),
        }

    def _sample_quality(self, feats: np.ndarray | None) -> dict[str, float]:
        """The classifier's ``confident`` share and ``class_entropy`` of the samples
        (:func:`cggan.metrics.classifier.sample_quality`); NaN for an extractor that
        is not a classifier (Inception) and for non-finite samples."""
        if feats is None or not hasattr(self.extractor, "class_probabilities"):
            return {"confident": math.nan, "class_entropy": math.nan}
        from cggan.metrics.classifier import sample_quality

        return sample_quality(self.extractor.class_probabilities(feats))


def _check_evaluator_args(
    reference: ReferenceStats, extractor: FeatureExtractor, n_samples, batch_size
) -> None:
    hit = next(
        differences(
            reference.protocol.get("extractor", {}),
            extractor.protocol,
            "extractor",
            only_a=True,
        ),
        None,
    )
    if hit:
        key, want, got = hit
        raise ValueError(
            f"Reference statistics protocol mismatch in {reference.path}: key {key!r} "
            f"expected {want!r}, found {got!r} (the extractor differs from the one "
            f"the statistics were computed with)"
        )
    n_ref = int(reference.protocol.get("n", 0))
    if not isinstance(n_samples, int) or n_samples < 2:
        raise ValueError(f"Invalid n_samples: {n_samples} (must be an integer >= 2)")
    if n_samples > n_ref:
        raise ValueError(
            f"Invalid n_samples: {n_samples} (larger than the reference set: "
            f"{reference.protocol.get('dataset')} {reference.protocol.get('split')} "
            f"has {n_ref} images)"
        )
    if batch_size < 1:
        raise ValueError(f"Invalid batch_size: {batch_size} (must be >= 1)")


def _reference_root(reference: ReferenceStats, device: str | torch.device) -> Any:
    """R = Σ_r^½ where the Fréchet distance will use it; None: pytorch-fid's path."""
    root = reference.sqrt_sigma
    if root is None:  # written before R was cached: compute it once, in memory only
        try:
            root = sqrt_psd(reference.sigma)
        except ValueError as exc:
            warnings.warn(
                f"{reference.path}: FID takes pytorch-fid's sqrtm path ({exc})",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
    if torch.device(device).type == "cuda":
        return torch.as_tensor(root, dtype=torch.float64, device=device)
    return root


class _NonFiniteSamples(Exception):
    """Raised inside the evaluation when the generator produced NaN/inf images."""
