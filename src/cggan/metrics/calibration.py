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

__all__ = ["calibrate", "noise_like", "held_out_split"]


def held_out_split(reference_split: str) -> str:
    """The split of real images the reference statistics did not use."""
    return "test" if reference_split == "train" else "train"


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
    *,
    dataset: str,
    image_size: int,
    data_root: str | os.PathLike,
    reference_split: str,
    n: int,
    batch_size: int = 250,
    device: str = "cpu",
    inception_weights: str | os.PathLike | None = None,
    seed: int = 0,
    preprocessing: str = "fixed",
) -> dict[str, Any]:
    """Real floor and noise reference of one FID protocol.

    Args:
        stats_path: the experiment's reference statistics (npz).
        dataset, image_size, data_root: the experiment's prepared dataset.
        reference_split: the split of the reference statistics; the floor uses the
            other.
        n: images of each kind (the experiment's ``eval.n_samples``); fewer when the
            held-out split is smaller, and the record says how many.
        preprocessing: the experiment's ``eval.preprocessing``, applied to the real and
            the noise images; the statistics must have been made with it (one line
            otherwise; statistics without the key count as ``fixed``).

    Returns:
        ``{"real_floor", "real_floor_status", "noise_reference",
        "noise_reference_status", "n", "real_split", "stats", "preprocessing"}``.
    """
    from cggan.data import load_dataset
    from cggan.metrics.fid import FIDEvaluator
    from cggan.metrics.preprocessing import (
        check_preprocessing,
        check_reference_preprocessing,
        preprocess,
    )

    check_int_min("n", n, 2)
    check_preprocessing(preprocessing)
    split = held_out_split(reference_split)
    real = load_dataset(dataset, root=data_root, split=split, image_size=image_size).x
    n = min(n, real.shape[0])
    train = load_dataset(
        dataset, root=data_root, split="train", image_size=image_size
    ).x
    evaluator = FIDEvaluator.from_stats(
        stats_path,
        n_samples=n,
        batch_size=min(batch_size, n),
        device=device,
        inception_weights=inception_weights,
    )
    check_reference_preprocessing(evaluator.reference, preprocessing)
    floor = evaluator(_sampler(preprocess(preprocessing, real[:n])))
    noise = preprocess(preprocessing, noise_like(train, n, seed))
    ceiling = evaluator(_sampler(noise))
    return {"real_floor": floor["fid"], "real_floor_status": floor["fid_status"],
            "noise_reference": ceiling["fid"],
            "noise_reference_status": ceiling["fid_status"],
            "n": int(n), "real_split": split, "stats": os.path.basename(stats_path),
            "preprocessing": preprocessing}  # fmt: skip
