"""The scale of an FID experiment: a real floor and a noise reference on the same
features.

An FID number means little alone: on a 128-d domain classifier, real digits score ~20
and pixel noise ~5,500. Every FID experiment therefore measures, with the same reference
statistics, extractor, number of images and image preprocessing as its training runs:

* the **real floor**: held-out real images (the split the reference statistics did not
  use, e.g. the test split), i.e. what a perfect generator would score at this N;
* the **noise reference**: Gaussian pixel noise with the training data's per-channel
  mean and standard deviation, clipped to [-1, 1], i.e. what a generator that learned
  only the first two moments of the pixels scores.

Both sets go through the experiment's preprocessing (``minmax``: each image stretched by
its own min and max, :mod:`cggan.metrics.preprocessing`) before scoring, as generated
images do. A method whose FID is near the noise reference has learned little an FID
can see (a reference, not a ceiling: an untrained generator can score above it);
the tables set both rows beside every FID table (``cggan.results``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch

from cggan.checks import check_int_min
from cggan.fid_protocol import FIDProtocol
from cggan.registry import REFERENCE_SPLITS

__all__ = ["calibrate", "noise_like", "held_out_split"]


def held_out_split(reference_split: str) -> str:
    """The split of real images the reference statistics did not use."""
    return next(s for s in REFERENCE_SPLITS if s != reference_split)


def noise_like(x: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` images of Gaussian pixel noise with ``x``'s per-channel mean and std."""
    mean = x.mean(dim=(0, 2, 3)).view(1, -1, 1, 1)
    std = x.std(dim=(0, 2, 3)).view(1, -1, 1, 1)
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn((n, *x.shape[1:]), generator=gen)
    return (noise * std + mean).clamp_(-1.0, 1.0)


def _sampler(images: torch.Tensor) -> Callable[[int], torch.Tensor]:
    cursor = 0

    def sample(b: int) -> torch.Tensor:
        nonlocal cursor
        batch = images[cursor : cursor + b]
        cursor += b
        return batch

    return sample


def calibrate(
    stats_path: str | os.PathLike,
    protocol: FIDProtocol,
    *,
    data_root: str | os.PathLike,
    n_samples: int,
    batch_size: int = 250,
    device: str = "cpu",
    inception_weights: str | os.PathLike | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Real floor and noise reference of one FID protocol.

    Args:
        stats_path: the experiment's reference statistics (npz); they must state
            ``protocol`` (one line naming the first key that differs otherwise;
            statistics without ``preprocessing`` count as ``fixed``).
        protocol: the experiment's FID protocol: its dataset and image size (read
            from ``data_root``), the reference split (the floor uses the other) and
            the preprocessing, applied to the real and the noise images.
        n_samples: images of each kind (the experiment's ``eval.n_samples``); fewer
            when the held-out split is smaller, and the record says how many.

    Returns:
        ``{"real_floor", "real_floor_status", "noise_reference",
        "noise_reference_status", "n", "real_split", "stats", "preprocessing"}``.
    """
    from cggan.data import load_dataset
    from cggan.metrics.fid import FIDEvaluator
    from cggan.metrics.preprocessing import check_reference_preprocessing, preprocess

    check_int_min("n_samples", n_samples, 2)
    dataset, size = protocol.dataset, protocol.image_size
    preprocessing = protocol.preprocessing
    split = held_out_split(protocol.split)
    real = load_dataset(dataset, root=data_root, split=split, image_size=size).x
    n = min(n_samples, real.shape[0])
    # the noise matches the moments of the images the generator learns from
    train = load_dataset(dataset, root=data_root, split="train", image_size=size).x
    expected = protocol.statistics_protocol()
    del expected["preprocessing"]  # checked below: absent in older statistics
    evaluator = FIDEvaluator.from_stats(
        stats_path,
        n_samples=n,
        batch_size=min(batch_size, n),
        device=device,
        expected_protocol=expected,
        inception_weights=inception_weights,
    )
    check_reference_preprocessing(evaluator.reference, preprocessing)
    floor = evaluator(_sampler(preprocess(preprocessing, real[:n])))
    noise = preprocess(preprocessing, noise_like(train, n, seed))
    ceiling = evaluator(_sampler(noise))
    return {
        "real_floor": floor["fid"],
        "real_floor_status": floor["fid_status"],
        "noise_reference": ceiling["fid"],
        "noise_reference_status": ceiling["fid_status"],
        "n": int(n),
        "real_split": split,
        "stats": os.path.basename(stats_path),
        "preprocessing": preprocessing,
    }
