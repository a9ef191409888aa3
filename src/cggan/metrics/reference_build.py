"""Computing reference statistics: images of a split -> features -> verified files.

:func:`compute_reference_stats` is what ``scripts/fid_stats.py`` (and so the
workflow's ``fid_stats`` rule) runs; import it from ``cggan.metrics.fid``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cggan.fid_protocol import FIDProtocol
from cggan.metrics import features as feat
from cggan.metrics.frechet import compute_statistics
from cggan.metrics.preprocessing import preprocess
from cggan.metrics.reference import (
    KID_REFERENCE_FEATURES,
    ReferenceStats,
    classifier_path_for,
    load_reference_stats,
    reference_protocol,
    save_reference_stats,
)
from cggan.registry import CLASSIFIER_EXTRACTOR

__all__ = ["compute_reference_stats"]

log = logging.getLogger(__name__)


def _images(
    dataset: str, data_root: Any, split: str, image_size: int, n: int | None, seed: int
):
    """The split and its ``n`` images used (a seeded random subset, or all of it)."""
    from cggan.data import load_dataset

    data = load_dataset(dataset, root=data_root, split=split, image_size=image_size)
    if data.x.dim() != 4:
        raise ValueError(f"Invalid dataset: {dataset!r} (not an image dataset)")
    n_total = len(data.x)
    n = n_total if n is None else n
    if n < 2 or n > n_total:
        raise ValueError(
            f"Invalid n: {n} (the {dataset} {split} split has {n_total} images; "
            f"allowed: 2 to {n_total})"
        )
    if n == n_total:
        return data, data.x
    gen = torch.Generator().manual_seed(seed)
    return data, data.x[torch.randperm(n_total, generator=gen)[:n]]


def _classifier(
    out: Path,
    data,
    *,
    dataset,
    data_root,
    split,
    dims,
    image_size,
    seed,
    epochs,
    min_accuracy,
    device,
) -> tuple[feat.FeatureExtractor, dict]:
    """Train the domain classifier, check its test accuracy, save it beside ``out``."""
    from cggan.data import load_dataset

    if dims not in (None, 128):
        raise ValueError(f"Invalid dims: {dims} (the classifier extractor has 128)")

    def load(name: str):
        return load_dataset(dataset, root=data_root, split=name, image_size=image_size)

    train = data if split == "train" else load("train")
    model, acc = feat.train_domain_classifier(
        train, load("test"), seed=seed, epochs=epochs, device=device
    )
    log.info("classifier test accuracy: %.4f", acc)
    if acc < min_accuracy:
        raise RuntimeError(
            f"classifier test accuracy {acc:.4f} < {min_accuracy} on {dataset}; "
            f"statistics not written"
        )
    path = classifier_path_for(out)
    feat.save_classifier(
        path, model, dataset=dataset, test_accuracy=acc, seed=seed, epochs=epochs
    )
    extractor = feat.build_extractor(CLASSIFIER_EXTRACTOR, weights=path, device=device)
    return extractor, {"classifier_file": path.name, "classifier_test_accuracy": acc}


def compute_reference_stats(
    out: str | os.PathLike,
    protocol: FIDProtocol,
    *,
    data_root: str | os.PathLike,
    inception_weights: str | os.PathLike | None = None,
    seed: int = 0,
    min_accuracy: float = 0.95,
    epochs: int = 15,
    batch_size: int = 250,
    device: str | torch.device = "cpu",
) -> ReferenceStats:
    """Compute and write the reference statistics of a dataset split; return them as
    written (read back and verified).

    Writes ``out`` (.npz: μ, Σ, R = Σ^½, seeded real features for KID) and its .json
    (protocol, the npz's sha256). The classifier extractor is first trained on the
    train split (``epochs``), must reach ``min_accuracy`` on the test split, and is
    saved as ``<out stem>-classifier.pt``.

    Args:
        protocol: the images (its dataset, image size and split, read from
            ``data_root``; ``n`` of them, a subset drawn with ``seed``, default the
            whole split), the extractor: ``classifier`` (128-d) or ``inception``
            (``dims`` 64, 192, 768 or 2048, default 2048; ``inception_weights`` else
            $CGGAN_INCEPTION_WEIGHTS, else the torch hub cache), and the preprocessing
            of the real images before extraction (:mod:`cggan.metrics.preprocessing`;
            the classifier trains on the images as they are).
        seed, batch_size, device: subset and training seed, images per forward
            pass, where the networks run.

    Raises:
        ValueError: bad arguments.
        RuntimeError: the classifier is too inaccurate (nothing is written).
    """
    out = _checked_out(out)
    dataset, split, image_size = protocol.dataset, protocol.split, protocol.image_size
    extractor, dims, preprocessing = (
        protocol.extractor,
        protocol.dims,
        protocol.preprocessing,
    )
    data, images = _images(dataset, data_root, split, image_size, protocol.n, seed)
    if extractor == CLASSIFIER_EXTRACTOR:
        net, extra = _classifier(
            out,
            data,
            dataset=dataset,
            data_root=data_root,
            split=split,
            dims=dims,
            image_size=image_size,
            seed=seed,
            epochs=epochs,
            min_accuracy=min_accuracy,
            device=device,
        )
    else:
        net, extra = (
            feat.build_extractor(
                extractor, weights=inception_weights, dims=dims or 2048, device=device
            ),
            {},
        )
    feats = feat.extract_features(
        net, preprocess(preprocessing, images), len(images), batch_size
    )
    protocol = reference_protocol(
        dataset=dataset,
        split=split,
        n=len(images),
        image_size=image_size,
        channels=int(images.shape[1]),
        extractor=net,
        seed=seed,
        preprocessing=preprocessing,
    )
    return _write(out, feats, protocol, extra, seed)


def _checked_out(out: str | os.PathLike) -> Path:
    """``out`` as a Path; one line for an ``out`` that is not an npz (before anything
    is loaded or trained)."""
    out = Path(out)
    if out.suffix != ".npz":
        raise ValueError(f"Invalid out: {out} (expected a .npz path)")
    return out


def _write(out: Path, feats, protocol: dict, extra: dict, seed: int) -> ReferenceStats:
    """μ, Σ (and R, in save_reference_stats) and seeded KID rows of ``feats``."""
    mu, sigma = compute_statistics(feats)
    n = len(feats)
    rows = np.random.default_rng(seed).choice(
        n, min(n, KID_REFERENCE_FEATURES), replace=False
    )
    save_reference_stats(
        out, mu, sigma, protocol, kid_features=feats[np.sort(rows)], extra=extra
    )
    log.info("wrote %s and %s", out, out.with_suffix(".json"))
    return load_reference_stats(out, expected_protocol=protocol)
