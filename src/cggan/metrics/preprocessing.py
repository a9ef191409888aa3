"""FID image preprocessing (protocol key ``preprocessing``): ``fixed`` or ``minmax``.

What happens to images in [-1, 1] before the FID protocol's fixed map (x + 1) / 2 and
8-bit quantization (:func:`cggan.metrics.extractor.quantize_png8`):

* ``fixed``: nothing;
* ``minmax``: each image stretched by its own min and max, as the released CG-GAN code
  saved every image it scored (``torchvision.utils.save_image(normalize=True)``, one
  image at a time).

The same preprocessing applies to the real images of the reference statistics
(:func:`cggan.metrics.fid.compute_reference_stats`), to the generated images of a run
(:mod:`cggan.train.evaluation`) and to the calibration's real floor and noise reference
(:mod:`cggan.metrics.calibration`). The statistics' JSON protocol records it at its top
level; a file without the key was written before it existed and means ``fixed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from cggan.checks import check_choice
from cggan.registry import (
    DEFAULT_PREPROCESSING,
    FIXED_PREPROCESSING,
    MINMAX_PREPROCESSING,
    PREPROCESSINGS,
)

__all__ = [
    "PREPROCESSORS",
    "check_preprocessing",
    "check_reference_preprocessing",
    "minmax_per_image",
    "preprocess",
    "reference_preprocessing",
]


def minmax_per_image(x: torch.Tensor) -> torch.Tensor:
    """The ``minmax`` FID preprocessing: each image stretched by its own min and max.

    Returns, in [-1, 1], the 8-bit values that ``torchvision.utils.save_image(image,
    normalize=True)`` writes for each image separately (the released code saved every
    image it scored that way) and ``ToTensor`` reads back, ``b / 255``, as ``2 b / 255
    − 1``; the FID protocol's 8-bit quantization (``quantize_png8``) then reproduces the
    same bytes exactly. save_image subtracts the image's min, divides by max(max − min,
    1e-5) and quantizes with ``mul(255).add_(0.5).clamp_(0, 255)`` then truncation.
    Images that are not finite are returned as they are (the evaluator reports them).

    Args:
        x: N×C×H×W images (any range).
    """
    if not torch.isfinite(x).all():
        return x
    x = x.detach().float()
    flat = x.flatten(1)
    low = flat.min(1).values.view(-1, *([1] * (x.dim() - 1)))
    span = (flat.max(1).values.view_as(low) - low).clamp_min(1e-5)
    unit = (x - low).div_(span)
    png = unit.mul_(255).add_(0.5).clamp_(0, 255).to(torch.uint8)
    return png.float().div_(255).mul_(2).sub_(1)


#: ``preprocessing`` -> what happens to images (in [-1, 1]) before the FID protocol's
#: fixed map (x + 1) / 2 and 8-bit quantization.
PREPROCESSORS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    FIXED_PREPROCESSING: lambda x: x,
    MINMAX_PREPROCESSING: minmax_per_image,
}


def check_preprocessing(value: Any, key: str = "preprocessing") -> None:
    """One line unless ``value`` is a known preprocessing."""
    check_choice(key, value, PREPROCESSINGS)


def preprocess(name: str, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """``x`` preprocessed by ``name``, ``batch_size`` images at a time (``minmax``
    makes a few float copies of what it is given; a whole split at once would hold
    several gigabytes for CIFAR-10)."""
    check_preprocessing(name)
    if name == FIXED_PREPROCESSING:  # the identity: no copy
        return x
    fn = PREPROCESSORS[name]
    return torch.cat([fn(chunk) for chunk in x.split(batch_size)]) if len(x) else x


def reference_preprocessing(reference: Any) -> str:
    """The preprocessing that reference statistics were made with (the default,
    ``fixed``, when their protocol has no ``preprocessing``: written before the key
    existed)."""
    return reference.protocol.get("preprocessing", DEFAULT_PREPROCESSING)


def check_reference_preprocessing(reference: Any, expected: str) -> None:
    """Refuse statistics (:class:`cggan.metrics.reference.ReferenceStats`) made with
    another preprocessing than ``expected``, in one line naming their JSON."""
    found = reference_preprocessing(reference)
    if found != expected:
        raise ValueError(
            f"Reference statistics protocol mismatch in "
            f"{reference.path.with_suffix('.json')}: key 'preprocessing' expected "
            f"{expected!r}, found {found!r}"
        )
