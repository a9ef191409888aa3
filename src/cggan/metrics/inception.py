"""pytorch-fid's InceptionV3 as a feature extractor, offline and hash-checked.

The network is pytorch-fid's own ``InceptionV3`` (adapted from
https://github.com/mseitzer/pytorch-fid, ``src/pytorch_fid/inception.py``, v0.3.0,
Apache-2.0): we build the FID-patched torchvision Inception exactly as
``pytorch_fid.inception.fid_inception_v3`` does, but load its state dict from a local,
SHA-256-verified file instead of ``load_state_dict_from_url``. No network access is
ever attempted: a missing file fails at once with a message saying where to put it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from cggan.io import atomic_torch_save, sha256_file
from cggan.metrics.extractor import FeatureExtractor
from cggan.registry import INCEPTION_EXTRACTOR

__all__ = [
    "ENV_SHA256",
    "ENV_WEIGHTS",
    "INCEPTION_DIMS",
    "INCEPTION_FILENAME",
    "INCEPTION_INPUT",
    "INCEPTION_SHA256",
    "InceptionExtractor",
    "InceptionWeightsError",
    "load_inception_extractor",
    "resolve_inception_weights",
    "save_random_inception_weights",
]

#: File name pytorch-fid downloads into ``$TORCH_HOME/hub/checkpoints``.
INCEPTION_FILENAME = "pt_inception-2015-12-05-6726825d.pth"
#: SHA-256 of the official pytorch-fid weights file (95,628,359 bytes). It cannot be
#: recomputed offline here: it is the value several independent public projects record
#: for this file (torch-fidelity's re-hosted copy has the same hash), and it starts with
#: the torch-hub filename suffix ``6726825d`` (torch hub names files
#: ``<name>-<sha256[:8]>``). Override with ``expected_sha256=`` or
#: ``$CGGAN_INCEPTION_SHA256`` (tests pass the hash of a randomly initialized fixture
#: file).
INCEPTION_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
INCEPTION_DIMS = (64, 192, 768, 2048)
ENV_WEIGHTS = "CGGAN_INCEPTION_WEIGHTS"
ENV_SHA256 = "CGGAN_INCEPTION_SHA256"

# How pytorch-fid preprocesses (fid_score.ImagePathDataset + InceptionV3.forward): PNG
# -> RGB uint8 -> ToTensor ([0, 1]) -> bilinear resize to 299 (align_corners=False) ->
# 2x - 1.
INCEPTION_INPUT = (
    "[-1,1] -> (x+1)/2 in [0,1]; 1 channel repeated to 3; bilinear resize to 299x299 "
    "(align_corners=False, pytorch-fid resize_input=True); 2x-1 (normalize_input=True)"
)


class InceptionWeightsError(ValueError):
    """The Inception weights file is missing, unreadable or not the expected file."""


def resolve_inception_weights(weights: str | os.PathLike | None = None) -> Path:
    """Where the Inception weights are read from: argument, env var, torch hub cache.

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
            f"Inception weights not found: {path} (from {origin}). No download is "
            f"attempted. Put the official pytorch-fid file {INCEPTION_FILENAME} "
            f"(sha256 {INCEPTION_SHA256}) at {hub_path}, or point ${ENV_WEIGHTS} or "
            f"the config key fid.inception_weights at it."
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
            f"Inception weights file {path} has sha256 {digest}, expected "
            f"{expected_sha256} (the official pytorch-fid {INCEPTION_FILENAME}); the "
            f"file is wrong or corrupted."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise TypeError(f"expected a state dict, found {type(state).__name__}")
    except Exception as exc:  # truncated zip, pickle error, wrong content
        raise InceptionWeightsError(
            f"Inception weights file {path} cannot be loaded ({exc}); expected the "
            f"pytorch-fid state dict {INCEPTION_FILENAME} with sha256 "
            f"{expected_sha256}."
        ) from exc
    return state, digest


class InceptionExtractor(FeatureExtractor):
    """pytorch-fid InceptionV3 features (pool3 2048-d, or the 64/192/768 blocks)."""

    name = INCEPTION_EXTRACTOR

    def __init__(self, weights_path: Path, dims: int, sha256: str, state: dict) -> None:
        super().__init__()
        from pytorch_fid import inception as pfi

        net = _build_fid_inception()
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            raise InceptionWeightsError(
                f"Inception weights file {weights_path} does not fit the FID "
                f"InceptionV3 ({str(exc).splitlines()[0]}); expected "
                f"{INCEPTION_FILENAME}."
            ) from exc
        # pytorch-fid's InceptionV3 calls fid_inception_v3(), which downloads; hand it
        # our locally loaded network instead so the block structure is pytorch-fid's.
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


def load_inception_extractor(
    weights: str | os.PathLike | None, dims: int, expected_sha256: str | None
) -> InceptionExtractor:
    """Resolve, hash-check and load the weights into an :class:`InceptionExtractor`
    (arguments as :func:`cggan.metrics.features.build_extractor`'s)."""
    if dims not in INCEPTION_DIMS:
        raise ValueError(
            f"Invalid dims: {dims} (allowed: {', '.join(map(str, INCEPTION_DIMS))})"
        )
    path = resolve_inception_weights(weights)
    state, digest = _load_inception_state(
        path, _expected_inception_sha256(expected_sha256)
    )
    return InceptionExtractor(path, dims, digest, state)


def save_random_inception_weights(path: str | os.PathLike, seed: int = 0) -> str:
    """Write a randomly initialized FID-Inception state dict (tests, benchmarks only).

    The architecture and keys are those of the official file, so pytorch-fid loads it.
    The batch-norm running statistics are set from one forward pass of random images,
    so that activations keep a sensible scale through the deep network (plain default
    init makes the pool3 features vanish). Returns the file's sha256.
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
