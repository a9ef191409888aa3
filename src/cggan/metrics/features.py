"""Feature extractors for FID/KID: pytorch-fid's InceptionV3 (offline, hash-checked,
:mod:`cggan.metrics.inception`) and a small domain classifier for 16×16/32×32
one-channel digits (:mod:`cggan.metrics.classifier`), built by :func:`build_extractor`
and run over images or a sampler by :func:`extract_features`.

Every extractor (:class:`cggan.metrics.extractor.FeatureExtractor`) exposes
``protocol`` (a JSON-able dict that goes into the reference statistics' cache key) and
is called on images in [-1, 1] (N×C×H×W), returning N×d float64 numpy features. This
module re-exports the public names of those modules.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

import numpy as np
import torch

from cggan.io import sha256_file
from cggan.metrics.classifier import (
    ClassifierExtractor,
    DigitClassifier,
    save_classifier,
    train_domain_classifier,
)
from cggan.metrics.extractor import FeatureExtractor, check_images, quantize_png8
from cggan.metrics.inception import (
    ENV_SHA256,
    ENV_WEIGHTS,
    INCEPTION_DIMS,
    INCEPTION_FILENAME,
    INCEPTION_INPUT,
    INCEPTION_SHA256,
    InceptionExtractor,
    InceptionWeightsError,
    load_inception_extractor,
    resolve_inception_weights,
    save_random_inception_weights,
)
from cggan.registry import CLASSIFIER_EXTRACTOR, INCEPTION_EXTRACTOR

__all__ = [
    "ENV_SHA256",
    "ENV_WEIGHTS",
    "INCEPTION_DIMS",
    "INCEPTION_FILENAME",
    "INCEPTION_INPUT",
    "INCEPTION_SHA256",
    "ClassifierExtractor",
    "DigitClassifier",
    "FeatureExtractor",
    "InceptionExtractor",
    "InceptionWeightsError",
    "build_extractor",
    "extract_features",
    "quantize_png8",
    "resolve_inception_weights",
    "save_classifier",
    "save_random_inception_weights",
    "sha256_file",
    "train_domain_classifier",
]


def _is_tty() -> bool:
    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def build_extractor(
    name: str,
    *,
    weights: str | os.PathLike | None = None,
    dims: int = 2048,
    device: str | torch.device = "cpu",
    expected_sha256: str | None = None,
) -> FeatureExtractor:
    """Build a feature extractor.

    Args:
        name: ``"inception"`` or ``"classifier"``.
        weights: weights file. Inception: else ``$CGGAN_INCEPTION_WEIGHTS``, else
            ``torch.hub.get_dir()/checkpoints/pt_inception-2015-12-05-6726825d.pth``.
            Classifier: required (the ``.pt`` written by ``scripts/fid_stats.py``).
        dims: Inception feature block, one of 64, 192, 768, 2048 (ignored by the
            classifier, whose width is stored in its file).
        device: where the network runs.
        expected_sha256: Inception only: the expected file hash (full or a prefix of at
            least 8 hex digits); default ``$CGGAN_INCEPTION_SHA256``, else
            :data:`INCEPTION_SHA256`.

    Raises:
        InceptionWeightsError: Inception weights missing, unloadable or with the wrong
            hash.
        ValueError: unknown name or dims.
    """
    if name == INCEPTION_EXTRACTOR:
        extractor: FeatureExtractor = load_inception_extractor(
            weights, dims, expected_sha256
        )
    elif name == CLASSIFIER_EXTRACTOR:
        if weights is None:
            raise ValueError(
                "Invalid weights: None (the classifier extractor needs its .pt file)"
            )
        extractor = ClassifierExtractor(weights)
    else:
        raise ValueError(
            f"Invalid extractor: {name!r} (allowed: inception, classifier)"
        )
    return extractor.to(device).eval()


def extract_features(
    extractor: FeatureExtractor,
    images_or_sample_fn: torch.Tensor | Callable[[int], torch.Tensor],
    n: int,
    batch_size: int = 250,
    *,
    quantize: bool = True,
) -> np.ndarray:
    """Features of ``n`` images, in batches.

    Args:
        extractor: a :class:`FeatureExtractor`.
        images_or_sample_fn: a tensor of at least ``n`` images in [-1, 1], or a callable
            ``sample_fn(b)`` returning ``b`` new images in [-1, 1].
        n: number of images.
        batch_size: images per forward pass.
        quantize: pass images through ``quantize_png8`` first (the FID protocol).

    Returns:
        n×d float64 array. A progress bar is shown only when stderr is a terminal.
    """
    if n < 1 or batch_size < 1:
        raise ValueError(f"Invalid n/batch_size: {n}/{batch_size} (both must be >= 1)")
    if isinstance(images_or_sample_fn, torch.Tensor) and len(images_or_sample_fn) < n:
        raise ValueError(
            f"Invalid n: {n} (larger than the {len(images_or_sample_fn)} images given)"
        )
    out = np.empty((n, extractor.dims), dtype=np.float64)
    bar = None
    if _is_tty():
        from tqdm import tqdm

        bar = tqdm(total=n, desc=f"features ({extractor.name})", unit="img")
    done = 0
    with torch.no_grad(), bar if bar is not None else contextlib.nullcontext():
        while done < n:
            b = min(batch_size, n - done)
            if isinstance(images_or_sample_fn, torch.Tensor):
                x = images_or_sample_fn[done : done + b]
            else:
                x = images_or_sample_fn(b)
                if not isinstance(x, torch.Tensor) or len(x) != b:
                    got = (
                        tuple(x.shape)
                        if isinstance(x, torch.Tensor)
                        else type(x).__name__
                    )
                    raise ValueError(
                        f"Invalid sample_fn output: {got} (expected {b} images)"
                    )
            x = x.detach().cpu()
            check_images(x, extractor.image_channels, extractor.image_size)
            x01 = quantize_png8(x) if quantize else (x.clamp(-1, 1) + 1) / 2
            out[done : done + b] = extractor.features_from_unit(x01)
            done += b
            if bar is not None:
                bar.update(b)
    return out
