"""The feature-extractor interface of FID/KID, and the images it accepts.

Every extractor exposes ``protocol`` (a JSON-able dict that goes into the reference
statistics' cache key) and is called on images in [-1, 1] (N×C×H×W), returning N×d
float64 numpy features. Images are quantized as an 8-bit PNG would store them first
(:func:`quantize_png8`, the FID protocol's quantization).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["FeatureExtractor", "check_images", "quantize_png8"]


def check_images(x: torch.Tensor, channels: tuple[int, ...], size: int | None) -> None:
    """Raise ValueError for images of the wrong shape or range."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] not in channels:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        want = "|".join(str(c) for c in channels)
        raise ValueError(
            f"Invalid images: shape {shape} (expected N×{want}×H×W tensor in [-1, 1])"
        )
    if size is not None and tuple(x.shape[2:]) != (size, size):
        raise ValueError(
            f"Invalid images: shape {tuple(x.shape)} "
            f"(expected N×{channels[0]}×{size}×{size})"
        )
    if x.numel():
        lo, hi = float(x.min()), float(x.max())
        # Small slack for float round-off of tanh outputs; quantization clamps anyway.
        if not (lo >= -1.0 - 1e-4 and hi <= 1.0 + 1e-4):
            raise ValueError(
                f"Invalid images: values in [{lo:.4g}, {hi:.4g}] "
                f"(expected range [-1, 1])"
            )


def quantize_png8(x: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] -> the [0, 1] values an 8-bit PNG written by
    ``torchvision.utils.save_image((x + 1) / 2)`` reads back as (``ToTensor``).

    save_image does ``mul(255).add_(0.5).clamp_(0, 255).to(uint8)`` (truncation, i.e.
    rounding half up); ToTensor divides the bytes by 255. This is the FID protocol's
    quantization (``cggan.metrics.reference.QUANTIZATION``).
    """
    x01 = (x.detach().float() + 1) / 2
    return x01.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8).float().div_(255)


class FeatureExtractor(nn.Module):
    """Base class: ``extractor(x in [-1, 1]) -> N×d float64 numpy``.

    Subclasses implement :meth:`_forward_unit`, which receives images already mapped to
    [0, 1] (the range of an 8-bit PNG read back by ``ToTensor``).
    """

    name: str = "base"
    dims: int
    image_channels: tuple[int, ...] = (1, 3)
    image_size: int | None = None

    @property
    def protocol(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def _forward_unit(self, x01: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def features_from_unit(self, x01: torch.Tensor) -> np.ndarray:
        """Features of images in [0, 1] (e.g. the output of ``quantize_png8``)."""
        check_images(x01 * 2 - 1, self.image_channels, self.image_size)
        self.eval()
        out = self._forward_unit(x01.to(self.device, torch.float32))
        return out.detach().cpu().numpy().astype(np.float64)

    def forward(self, x: torch.Tensor) -> np.ndarray:  # noqa: D401 - nn.Module API
        """Features of images in [-1, 1], N×C×H×W -> N×d float64 numpy array."""
        check_images(x, self.image_channels, self.image_size)
        return self.features_from_unit((x.clamp(-1, 1) + 1) / 2)
