"""Feature extractors for FID/KID: pytorch-fid's InceptionV3 (offline, hash-checked) and a
small domain classifier for 16×16/32×32 one-channel digits.

The Inception network is pytorch-fid's own ``InceptionV3`` (adapted from
https://github.com/mseitzer/pytorch-fid, ``src/pytorch_fid/inception.py``, v0.3.0,
Apache-2.0): we build the FID-patched torchvision Inception exactly as
``pytorch_fid.inception.fid_inception_v3`` does, but load its state dict from a local,
SHA-256-verified file instead of ``load_state_dict_from_url``. No network access is ever
attempted: a missing file fails at once with a message saying where to put it.

Every extractor exposes ``protocol`` (a JSON-able dict that goes into the reference
statistics' cache key) and is called on images in [-1, 1] (N×C×H×W), returning N×d float64
numpy features.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from cggan.io import atomic_torch_save, sha256_file

__all__ = [
    "INCEPTION_FILENAME",
    "INCEPTION_SHA256",
    "INCEPTION_DIMS",
    "InceptionWeightsError",
    "FeatureExtractor",
    "InceptionExtractor",
    "ClassifierExtractor",
    "DigitClassifier",
    "build_extractor",
    "resolve_inception_weights",
    "train_domain_classifier",
    "save_classifier",
    "extract_features",
    "save_random_inception_weights",
    "quantize_png8",
]

#: File name pytorch-fid downloads into ``$TORCH_HOME/hub/checkpoints``.
INCEPTION_FILENAME = "pt_inception-2015-12-05-6726825d.pth"
#: SHA-256 of the official pytorch-fid weights file (95,628,359 bytes). It cannot be
#: recomputed offline here: it is the value several independent public projects record for
#: this file (torch-fidelity's re-hosted copy has the same hash), and it starts with the
#: torch-hub filename suffix ``6726825d`` (torch hub names files ``<name>-<sha256[:8]>``).
#: Override with ``expected_sha256=`` or ``$CGGAN_INCEPTION_SHA256`` (tests pass the hash
#: of a randomly initialized fixture file).
INCEPTION_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
INCEPTION_DIMS = (64, 192, 768, 2048)
ENV_WEIGHTS = "CGGAN_INCEPTION_WEIGHTS"
ENV_SHA256 = "CGGAN_INCEPTION_SHA256"

# How pytorch-fid preprocesses (fid_score.ImagePathDataset + InceptionV3.forward): PNG ->
# RGB uint8 -> ToTensor ([0, 1]) -> bilinear resize to 299 (align_corners=False) -> 2x - 1.
INCEPTION_INPUT = (
    "[-1,1] -> (x+1)/2 in [0,1]; 1 channel repeated to 3; bilinear resize to 299x299 "
    "(align_corners=False, pytorch-fid resize_input=True); 2x-1 (normalize_input=True)"
)


class InceptionWeightsError(ValueError):
    """The Inception weights file is missing, unreadable or not the expected file."""


def _is_tty() -> bool:
    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def _check_images(x: torch.Tensor, channels: tuple[int, ...], size: int | None) -> None:
    """Raise ValueError for images of the wrong shape or range."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] not in channels:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        want = "|".join(str(c) for c in channels)
        raise ValueError(
            f"Invalid images: shape {shape} (expected N×{want}×H×W tensor in [-1, 1])"
        )
    if size is not None and tuple(x.shape[2:]) != (size, size):
        raise ValueError(
            f"Invalid images: shape {tuple(x.shape)} (expected N×{channels[0]}×{size}×{size})"
        )
    if x.numel():
        lo, hi = float(x.min()), float(x.max())
        # Small slack for float round-off of tanh outputs; quantization clamps anyway.
        if not (lo >= -1.0 - 1e-4 and hi <= 1.0 + 1e-4):
            raise ValueError(
                f"Invalid images: values in [{lo:.4g}, {hi:.4g}] (expected range [-1, 1])"
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
        _check_images(x01 * 2 - 1, self.image_channels, self.image_size)
        self.eval()
        out = self._forward_unit(x01.to(self.device, torch.float32))
        return out.detach().cpu().numpy().astype(np.float64)

    def forward(self, x: torch.Tensor) -> np.ndarray:  # noqa: D401 - nn.Module API
        """Features of images in [-1, 1], N×C×H×W -> N×d float64 numpy array."""
        _check_images(x, self.image_channels, self.image_size)
        return self.features_from_unit((x.clamp(-1, 1) + 1) / 2)


# --------------------------------------------------------------------------- Inception


def resolve_inception_weights(weights: str | os.PathLike | None = None) -> Path:
    """Where the Inception weights are read from: argument, env var, then torch hub cache.

    Raises:
        InceptionWeightsError: no file at the resolved location (never downloads).
    """
    hub_path = Path(torch.hub.get_dir()) / "checkpoints" / INCEPTION_FILENAME
    if weights is not None:
        path, origin = Path(weights), "the argument / config key fid.inception_weights"
    elif os.environ.get(ENV_WEIGHTS):
        path, origin = Path(os.environ[ENV_WEIGHTS]), f"${ENV_WEIGHTS}"
    else:
        path, origin = hub_path, "the torch hub cache"
    if not path.is_file():
        raise InceptionWeightsError(
            f"Inception weights not found: {path} (from {origin}). No download is attempted. "
            f"Put the official pytorch-fid file {INCEPTION_FILENAME} "
            f"(sha256 {INCEPTION_SHA256}) at {hub_path}, or point ${ENV_WEIGHTS} or the "
            f"config key fid.inception_weights at it."
        )
    return path


def _expected_inception_sha256(expected: str | None) -> str:
    expected = expected or os.environ.get(ENV_SHA256) or INCEPTION_SHA256
    expected = expected.strip().lower()
    if len(expected) < 8 or any(c not in "0123456789abcdef" for c in expected):
        raise ValueError(
            f"Invalid expected_sha256: {expected!r} (allowed: 8 to 64 hex digits)"
        )
    return expected


def _build_fid_inception() -> nn.Module:
    """The FID-patched torchvision Inception, as pytorch_fid.inception.fid_inception_v3
    builds it, without loading any weights."""
    from pytorch_fid import inception as pfi

    net = pfi._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    net.Mixed_5b = pfi.FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = pfi.FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = pfi.FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = pfi.FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = pfi.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = pfi.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = pfi.FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = pfi.FIDInceptionE_1(1280)
    net.Mixed_7c = pfi.FIDInceptionE_2(2048)
    return net


def _load_inception_state(path: Path, expected_sha256: str) -> tuple[dict, str]:
    """Hash-check then load the state dict; one clear error per failure mode."""
    digest = sha256_file(path)
    if not digest.startswith(expected_sha256):
        raise InceptionWeightsError(
            f"Inception weights file {path} has sha256 {digest}, expected {expected_sha256} "
            f"(the official pytorch-fid {INCEPTION_FILENAME}); the file is wrong or corrupted."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise TypeError(f"expected a state dict, found {type(state).__name__}")
    except Exception as exc:  # truncated zip, pickle error, wrong content
        raise InceptionWeightsError(
            f"Inception weights file {path} cannot be loaded ({exc}); expected the pytorch-fid "
            f"state dict {INCEPTION_FILENAME} with sha256 {expected_sha256}."
        ) from exc
    return state, digest


class InceptionExtractor(FeatureExtractor):
    """pytorch-fid InceptionV3 features (pool3 2048-d, or the 64/192/768 blocks)."""

    name = "inception"

    def __init__(self, weights_path: Path, dims: int, sha256: str, state: dict) -> None:
        super().__init__()
        from pytorch_fid import inception as pfi

        net = _build_fid_inception()
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            raise InceptionWeightsError(
                f"Inception weights file {weights_path} does not fit the FID InceptionV3 "
                f"({str(exc).splitlines()[0]}); expected {INCEPTION_FILENAME}."
            ) from exc
        # pytorch-fid's InceptionV3 calls fid_inception_v3(), which downloads; hand it our
        # locally loaded network instead so the block structure is pytorch-fid's own.
        original = pfi.fid_inception_v3
        pfi.fid_inception_v3 = lambda: net
        try:
            self.model = pfi.InceptionV3(
                [pfi.InceptionV3.BLOCK_INDEX_BY_DIM[dims]],
                resize_input=True,
                normalize_input=True,
            )
        finally:
            pfi.fid_inception_v3 = original
        self.model.eval()
        self.dims = dims
        self.weights_path = weights_path
        self.weights_sha256 = sha256

    @property
    def protocol(self) -> dict[str, Any]:
        import pytorch_fid

        return {
            "name": self.name,
            "dims": self.dims,
            "weights_sha256": self.weights_sha256,
            "input": INCEPTION_INPUT,
            "implementation": f"pytorch-fid {pytorch_fid.__version__} InceptionV3",
        }

    def _forward_unit(self, x01: torch.Tensor) -> torch.Tensor:
        if x01.shape[1] == 1:
            x01 = x01.repeat(1, 3, 1, 1)  # as PIL's convert("RGB") of a grey PNG
        if x01.device.type == "cpu":
            # channels_last is markedly faster for this network on CPU (environment.md).
            x01 = x01.contiguous(memory_format=torch.channels_last)
        out = self.model(x01)[0]
        if out.shape[2] != 1 or out.shape[3] != 1:  # as pytorch-fid's get_activations
            out = F.adaptive_avg_pool2d(out, output_size=(1, 1))
        return out.flatten(1)


# --------------------------------------------------------------------------- classifier


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
            nn.Conv2d(channels, w1, 3, padding=1), nn.ReLU(),
            nn.Conv2d(w1, w1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w1, w2, 3, padding=1), nn.ReLU(),
            nn.Conv2d(w2, w2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(w2 * (image_size // 4) ** 2, feature_dim),
        )  # fmt: skip
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
    _check_images(x, (x.shape[1],), x.shape[-1])
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
            # Random shifts of up to 1 pixel: cheap augmentation that helps on 1437 images.
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

    name = "classifier"

    def __init__(self, weights_path: str | os.PathLike) -> None:
        super().__init__()
        path = Path(weights_path)
        if not path.is_file():
            raise FileNotFoundError(
                f"Classifier weights not found: {path} (produced by scripts/fid_stats.py "
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


# --------------------------------------------------------------------------- factory


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
        InceptionWeightsError: Inception weights missing, unloadable or with the wrong hash.
        ValueError: unknown name or dims.
    """
    if name == "inception":
        if dims not in INCEPTION_DIMS:
            raise ValueError(
                f"Invalid dims: {dims} (allowed: {', '.join(map(str, INCEPTION_DIMS))})"
            )
        path = resolve_inception_weights(weights)
        state, digest = _load_inception_state(
            path, _expected_inception_sha256(expected_sha256)
        )
        extractor: FeatureExtractor = InceptionExtractor(path, dims, digest, state)
    elif name == "classifier":
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
            _check_images(x, extractor.image_channels, extractor.image_size)
            x01 = quantize_png8(x) if quantize else (x.clamp(-1, 1) + 1) / 2
            out[done : done + b] = extractor.features_from_unit(x01)
            done += b
            if bar is not None:
                bar.update(b)
    return out


def save_random_inception_weights(path: str | os.PathLike, seed: int = 0) -> str:
    """Write a randomly initialized FID-Inception state dict (tests and benchmarks only).

    The architecture and keys are those of the official file, so pytorch-fid loads it. The
    batch-norm running statistics are set from one forward pass of random images, so that
    activations keep a sensible scale through the deep network (plain default init makes
    the pool3 features vanish). Returns the file's sha256.
    """
    gen_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        net = _build_fid_inception()
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = None  # cumulative average: one batch sets the statistics
        net.train()
        with torch.no_grad():
            net(torch.rand(4, 3, 299, 299) * 2 - 1)
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = 0.1
    finally:
        torch.random.set_rng_state(gen_state)
    atomic_torch_save(path, net.state_dict())
    return sha256_file(path)
