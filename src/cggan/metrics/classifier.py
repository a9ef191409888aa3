"""A small domain classifier for one-channel digits, whose penultimate layer serves as
FID/KID features where Inception weights are not available (offline)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from cggan.io import atomic_torch_save, sha256_file
from cggan.metrics.extractor import FeatureExtractor, check_images
from cggan.registry import CLASSIFIER_EXTRACTOR

__all__ = [
    "ClassifierExtractor",
    "DigitClassifier",
    "save_classifier",
    "train_domain_classifier",
]


class DigitClassifier(nn.Module):
    """Small CNN for 1-channel 16×16 or 32×32 digits; the features are the penultimate
    (pre-ReLU) layer, so their covariance is full rank (no dead ReLU units)."""

    def __init__(
        self,
        image_size: int = 16,
        channels: int = 1,
        num_classes: int = 10,
        feature_dim: int = 128,
        widths: tuple[int, int] = (32, 64),
    ) -> None:
        super().__init__()
        if image_size % 4:
            raise ValueError(
                f"Invalid image_size: {image_size} (must be a multiple of 4)"
            )
        self.config = {
            "image_size": image_size,
            "channels": channels,
            "num_classes": num_classes,
            "feature_dim": feature_dim,
            "widths": list(widths),
        }
        w1, w2 = widths
        self.body = nn.Sequential(
            nn.Conv2d(channels, w1, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(w1, w1, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(w1, w2, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(w2, w2, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(w2 * (image_size // 4) ** 2, feature_dim),
        )
        self.head = nn.Sequential(
            nn.ReLU(), nn.Dropout(0.3), nn.Linear(feature_dim, num_classes)
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def _accuracy(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 512
) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += int(
                (model(x[i : i + batch]).argmax(1) == y[i : i + batch]).sum()
            )
    return correct / max(len(x), 1)


def train_domain_classifier(
    train: Any,
    test: Any,
    *,
    seed: int = 0,
    epochs: int = 15,
    batch_size: int = 64,
    lr: float = 2e-3,
    device: str | torch.device = "cpu",
) -> tuple[DigitClassifier, float]:
    """Train the domain classifier on ``train`` and measure its accuracy on ``test``.

    Args:
        train: dataset with ``x`` (N×C×S×S float in [-1, 1]) and ``y`` (int64 labels).
        test: held-out dataset of the same form.
        seed: makes initialization and batch order deterministic.
        epochs: passes over the training set.
        batch_size: minibatch size.
        lr: Adam learning rate (cosine-annealed to 0).
        device: where to train.

    Returns:
        The trained model (eval mode, on CPU) and its test accuracy in [0, 1].
    """
    if train.y is None or test.y is None:
        raise ValueError(
            f"Invalid dataset: {train.name!r} has no labels (a classifier needs them)"
        )
    x, y = train.x.float(), train.y.long()
    check_images(x, (x.shape[1],), x.shape[-1])
    device = torch.device(device)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = DigitClassifier(
        image_size=x.shape[-1],
        channels=x.shape[1],
        num_classes=int(max(y.max(), test.y.max())) + 1,
    ).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((len(x) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    x, y = x.to(device), y.to(device)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen).to(device)
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            xb = x[idx]
            # Random shifts of up to 1 pixel: cheap augmentation that helps on 1437
            # images.
            dx, dy = torch.randint(-1, 2, (2,), generator=gen).tolist()
            xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    model = model.cpu().eval()
    return model, _accuracy(model, test.x.float(), test.y.long())


def save_classifier(
    path: str | os.PathLike, model: DigitClassifier, **info: Any
) -> str:
    """Save architecture config + state dict atomically; return the file's sha256."""
    payload = {
        "config": dict(model.config),
        "state_dict": model.state_dict(),
        "info": info,
    }
    atomic_torch_save(path, payload)
    return sha256_file(path)


class ClassifierExtractor(FeatureExtractor):
    """Penultimate-layer features of a saved :class:`DigitClassifier`."""

    name = CLASSIFIER_EXTRACTOR

    def __init__(self, weights_path: str | os.PathLike) -> None:
        super().__init__()
        path = Path(weights_path)
        if not path.is_file():
            raise FileNotFoundError(
                f"Classifier weights not found: {path} (produced by "
                f"scripts/fid_stats.py "
                f"--extractor classifier)"
            )
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            cfg = payload["config"]
            self.model = DigitClassifier(
                image_size=cfg["image_size"],
                channels=cfg["channels"],
                num_classes=cfg["num_classes"],
                feature_dim=cfg["feature_dim"],
                widths=tuple(cfg["widths"]),
            )
            self.model.load_state_dict(payload["state_dict"])
        except Exception as exc:
            raise ValueError(
                f"Invalid classifier weights file: {path} ({exc})"
            ) from exc
        self.model.eval()
        self.weights_path = path
        self.weights_sha256 = sha256_file(path)
        self.dims = cfg["feature_dim"]
        self.image_channels = (cfg["channels"],)
        self.image_size = cfg["image_size"]
        self.info = payload.get("info", {})

    @property
    def protocol(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dims": self.dims,
            "weights_sha256": self.weights_sha256,
            "input": (
                f"[-1,1] -> (x+1)/2 in [0,1] -> 2x-1; {self.image_channels[0]}x"
                f"{self.image_size}x{self.image_size}, no resize"
            ),
            "implementation": "cggan DigitClassifier penultimate layer (pre-ReLU)",
        }

    def _forward_unit(self, x01: torch.Tensor) -> torch.Tensor:
        return self.model.features(x01 * 2 - 1)

    @torch.no_grad()
    def class_probabilities(self, features: np.ndarray) -> np.ndarray:
        """The classifier's class probabilities of images from their features (the
        head applied to the penultimate layer: no second pass over the images)."""
        param = next(self.model.head.parameters())
        x = torch.as_tensor(
            np.asarray(features), dtype=param.dtype, device=param.device
        )
        return torch.softmax(self.model.head(x), dim=1).double().cpu().numpy()


#: A generated image is "confident" when the classifier gives one class at least this.
CONFIDENCE = 0.9


def sample_quality(probabilities: np.ndarray) -> dict[str, float]:
    """Two classifier numbers a reader can picture, beside FID.

    ``confident``: the share of samples whose most likely class has probability
    >= :data:`CONFIDENCE` (a recognisable digit); ``class_entropy``: the entropy, in
    bits, of the histogram of predicted classes (log2(10) = 3.32 when every digit is
    generated equally often; lower means missing or over-produced classes).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or not len(p) or not np.isfinite(p).all():
        return {"confident": math.nan, "class_entropy": math.nan}
    confident = float((p.max(axis=1) >= CONFIDENCE).mean())
    counts = np.bincount(p.argmax(axis=1), minlength=p.shape[1]).astype(np.float64)
    share = counts[counts > 0] / counts.sum()
    entropy = float(-(share * np.log2(share)).sum()) + 0.0  # + 0.0: never -0.0
    return {"confident": confident, "class_entropy": entropy}
