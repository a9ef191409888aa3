"""FID in memory against cached, protocol-keyed reference statistics.

The Fréchet distance itself is pytorch-fid's ``calculate_frechet_distance`` (no
hand-written matrix square root), so a number computed here equals ``python -m pytorch_fid``
on the same images saved as 8-bit PNGs and the same weights (tests/metrics/test_parity.py).

Reference statistics live in ``results/fid_stats/<key>.npz`` (``mu``, ``sigma`` and a seeded
subset of the real features for KID) with ``<key>.json`` beside it: the protocol (dataset,
split, n, image size, quantization, extractor with its weights' sha256) and the npz's
sha256. Loading verifies the hash (a corrupted file is never used) and refuses statistics
whose protocol differs from the caller's.
"""

from __future__ import annotations

import io
import json
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cggan.io import atomic_write_bytes, atomic_write_json, sha256_file
from cggan.metrics import stats_filename
from cggan.metrics.features import FeatureExtractor, build_extractor, extract_features
from cggan.metrics.kid import kernel_inception_distance, polynomial_kernel

__all__ = [
    "QUANTIZATION",
    "FORMAT_VERSION",
    "KID_REFERENCE_FEATURES",
    "ReferenceStats",
    "FIDEvaluator",
    "quantize_png8",
    "compute_statistics",
    "frechet_distance",
    "reference_protocol",
    "save_reference_stats",
    "load_reference_stats",
    "stats_filename",
    "classifier_path_for",
    "extractor_for_stats",
]

FORMAT_VERSION = 1
QUANTIZATION = (
    "png8: uint8(clamp((x+1)/2*255+0.5, 0, 255)) / 255, as torchvision save_image"
)
#: Real features kept in the npz for KID (a seeded random subset).
KID_REFERENCE_FEATURES = 2000


def quantize_png8(x: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] -> the [0, 1] values an 8-bit PNG written by
    ``torchvision.utils.save_image((x + 1) / 2)`` reads back as (``ToTensor``).

    save_image does ``mul(255).add_(0.5).clamp_(0, 255).to(uint8)`` (truncation, i.e.
    rounding half up); ToTensor divides the bytes by 255.
    """
    x01 = (x.detach().float() + 1) / 2
    return x01.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8).float().div_(255)


def compute_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (``np.cov(rowvar=False)``, as pytorch-fid) of N×d features."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(
            f"Invalid features: shape {features.shape} (expected N×d with N >= 2)"
        )
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> tuple[float, str]:
    """pytorch-fid's Fréchet distance, with failures reported instead of raised.

    Returns:
        ``(fid, status)``: status ``"ok"``; ``"nonfinite"`` (inputs or result not finite)
        or ``"complex"`` (pytorch-fid's "Imaginary component" error), both with fid = nan.
    """
    from pytorch_fid.fid_score import calculate_frechet_distance

    arrays = (mu1, sigma1, mu2, sigma2)
    if not all(np.isfinite(np.asarray(a)).all() for a in arrays):
        return math.nan, "nonfinite"
    try:
        with warnings.catch_warnings():
            # scipy >= 1.16 deprecates sqrtm's disp argument that pytorch-fid passes.
            warnings.simplefilter("ignore", DeprecationWarning)
            value = float(calculate_frechet_distance(mu1, sigma1, mu2, sigma2))
    except ValueError as exc:
        if "Imaginary component" in str(exc):
            return math.nan, "complex"
        raise
    if not math.isfinite(value):
        return math.nan, "nonfinite"
    return value, "ok"


def classifier_path_for(stats_path: str | os.PathLike) -> Path:
    """Where fid_stats writes the domain classifier for a statistics file."""
    p = Path(stats_path)
    return p.with_name(f"{p.stem}-classifier.pt")


def reference_protocol(
    *,
    dataset: str,
    split: str,
    n: int,
    image_size: int,
    channels: int,
    extractor: FeatureExtractor | dict,
    seed: int = 0,
) -> dict[str, Any]:
    """The cache key of a set of reference statistics (stored in the JSON beside the npz)."""
    ext = extractor if isinstance(extractor, dict) else extractor.protocol
    return {
        "format_version": FORMAT_VERSION,
        "dataset": dataset,
        "split": split,
        "n": int(n),
        "image_size": int(image_size),
        "channels": int(channels),
        "quantization": QUANTIZATION,
        "extractor": dict(ext),
        "seed": int(seed),
    }


@dataclass
class ReferenceStats:
    """Loaded reference statistics."""

    mu: np.ndarray
    sigma: np.ndarray
    protocol: dict[str, Any]
    kid_features: np.ndarray | None = None
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _json_path(path: Path) -> Path:
    return path.with_suffix(".json")


def save_reference_stats(
    path: str | os.PathLike,
    mu: np.ndarray,
    sigma: np.ndarray,
    protocol: dict[str, Any],
    *,
    kid_features: np.ndarray | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``path`` (.npz: mu, sigma[, kid_features]) and ``path.json`` atomically.

    The JSON holds the protocol, the npz's sha256 and ``extra`` (informational: not part
    of the key, e.g. the classifier's test accuracy). It is written last, so an npz
    without its JSON is never trusted.
    """
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"Invalid path: {path} (expected a .npz file)")
    mu, sigma = np.asarray(mu, np.float64), np.asarray(sigma, np.float64)
    if mu.ndim != 1 or sigma.shape != (mu.size, mu.size):
        raise ValueError(
            f"Invalid statistics: mu {mu.shape}, sigma {sigma.shape} (expected d, d×d)"
        )
    arrays = {"mu": mu, "sigma": sigma}
    if kid_features is not None:
        arrays["kid_features"] = np.asarray(kid_features, np.float64)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    data = buf.getvalue()
    atomic_write_bytes(path, data)
    atomic_write_json(
        _json_path(path),
        {
            "protocol": protocol,
            "npz_file": path.name,
            "npz_sha256": sha256_file(path),
            "extra": extra or {},
        },
    )
    return path


def _first_mismatch(
    expected: Any, found: Any, prefix: str = ""
) -> tuple[str, Any, Any] | None:
    """The first key (dotted path) given in ``expected`` whose value differs in ``found``."""
    if isinstance(expected, dict):
        if not isinstance(found, dict):
            return prefix or "<root>", expected, found
        for key in sorted(expected):
            name = f"{prefix}.{key}" if prefix else key
            if key not in found:
                return name, expected[key], "<missing>"
            hit = _first_mismatch(expected[key], found[key], name)
            if hit:
                return hit
        return None
    if isinstance(expected, (list, tuple)) and isinstance(found, (list, tuple)):
        return None if list(expected) == list(found) else (prefix, expected, found)
    return None if expected == found else (prefix, expected, found)


def load_reference_stats(
    path: str | os.PathLike, expected_protocol: dict[str, Any] | None = None
) -> ReferenceStats:
    """Load verified reference statistics.

    Args:
        path: the .npz file (its .json must be beside it).
        expected_protocol: every key given here (nested dicts compared key by key) must
            equal the stored protocol's value.

    Raises:
        FileNotFoundError: the npz or its JSON is missing.
        ValueError: the npz does not match the sha256 recorded in the JSON (corrupted or
            truncated), or a protocol key differs (the message names the key, the expected
            and the found value).
    """
    path = Path(path)
    meta_path = _json_path(path)
    for p in (path, meta_path):
        if not p.is_file():
            raise FileNotFoundError(
                f"Reference statistics file not found: {p} (make it with scripts/fid_stats.py)"
            )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        protocol, recorded = meta["protocol"], meta["npz_sha256"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"Invalid reference statistics metadata: {meta_path} ({exc})"
        ) from exc
    digest = sha256_file(path)
    if digest != recorded:
        raise ValueError(
            f"Invalid reference statistics: {path} has sha256 {digest}, but {meta_path.name} "
            f"records {recorded} (corrupted or truncated; recompute it with scripts/fid_stats.py)"
        )
    if expected_protocol is not None:
        hit = _first_mismatch(expected_protocol, protocol)
        if hit:
            key, want, got = hit
            raise ValueError(
                f"Reference statistics protocol mismatch in {meta_path}: key {key!r} "
                f"expected {want!r}, found {got!r}"
            )
    with np.load(path, allow_pickle=False) as npz:
        mu, sigma = npz["mu"], npz["sigma"]
        kid = npz["kid_features"] if "kid_features" in npz.files else None
    return ReferenceStats(mu, sigma, protocol, kid, path, meta.get("extra", {}))


def extractor_for_stats(
    reference: ReferenceStats,
    *,
    inception_weights: str | os.PathLike | None = None,
    device: str | torch.device = "cpu",
) -> FeatureExtractor:
    """Build the extractor that the statistics were computed with (hash-checked).

    The classifier is read from the file fid_stats wrote beside the npz; Inception weights
    are resolved as in :func:`cggan.metrics.features.build_extractor` and must have the
    hash recorded in the protocol.
    """
    ext = reference.protocol["extractor"]
    if ext["name"] == "classifier":
        if reference.path is None:
            raise ValueError(
                "Invalid reference: no path (cannot locate its classifier file)"
            )
        return build_extractor(
            "classifier", weights=classifier_path_for(reference.path), device=device
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
    returns ``{"fid", "fid_status", "kid", "kid_std"}``; generated images that are not
    finite give fid = kid = nan with fid_status "nonfinite".
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
        hit = _first_mismatch(
            reference.protocol.get("extractor", {}), extractor.protocol, "extractor"
        )
        if hit:
            key, want, got = hit
            raise ValueError(
                f"Reference statistics protocol mismatch in {reference.path}: key {key!r} "
                f"expected {want!r}, found {got!r} (the extractor differs from the one the "
                f"statistics were computed with)"
            )
        n_ref = int(reference.protocol.get("n", 0))
        if not isinstance(n_samples, int) or n_samples < 2:
            raise ValueError(
                f"Invalid n_samples: {n_samples} (must be an integer >= 2)"
            )
        if n_samples > n_ref:
            raise ValueError(
                f"Invalid n_samples: {n_samples} (larger than the reference set: "
                f"{reference.protocol.get('dataset')} {reference.protocol.get('split')} has "
                f"{n_ref} images)"
            )
        if batch_size < 1:
            raise ValueError(f"Invalid batch_size: {batch_size} (must be >= 1)")
        self.reference = reference
        self.extractor = extractor.to(device).eval()
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.kid_subsets = kid_subsets
        self.kid_subset_size = kid_subset_size
        self.seed = seed
        self._kernel_real: np.ndarray | None = None
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
                    f"Invalid samples: shape {got} (expected {b}×{c}×{h}×{w} in [-1, 1])"
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
            }
        mu, sigma = compute_statistics(feats)
        fid, status = frechet_distance(
            mu, sigma, self.reference.mu, self.reference.sigma
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
        return {"fid": fid, "fid_status": status, "kid": kid, "kid_std": kid_std}


class _NonFiniteSamples(Exception):
    """Raised inside the evaluation when the generator produced NaN/inf images."""
