"""Reference statistics files: protocol key, verified save and load, cached Σ^½.

``results/fid_stats/<key>.npz`` holds ``mu``, ``sigma``, a seeded subset of the real
features for KID (``kid_features``), and R = Σ^½ (``sqrt_sigma``, see
:mod:`cggan.metrics.frechet`) with the sha256 of the Σ it was computed from
(``sqrt_sigma_of``). ``<key>.json`` beside it records the protocol (dataset, split, n,
image size, quantization, extractor with its weights' sha256) and the npz's sha256, so
R is covered by the same key and checksum as μ and Σ. Loading verifies the hash (a
corrupted file is never used), refuses statistics whose protocol differs from the
caller's, and refuses an R that does not belong to the file's Σ, each with one line
that names the file and the command that rebuilds it.

Files written before R was cached still load (``sqrt_sigma`` is then None): the
evaluator computes R in memory once (one ``eigh``, about 1.5 s at 2048-d) and never
writes it back, because these files are pipeline outputs that parallel jobs share and
that Snakemake and DVC track. Rebuilding the file caches R.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shlex
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cggan.checks import check_choice, differences
from cggan.fid_protocol import protocol_record
from cggan.io import atomic_write_bytes, atomic_write_json, sha256_file
from cggan.metrics.frechet import sqrt_psd
from cggan.registry import (
    DEFAULT_PREPROCESSING,
    DEFAULT_REFERENCE_SPLIT,
    PREPROCESSINGS,
)

__all__ = [
    "FORMAT_VERSION",
    "KID_REFERENCE_FEATURES",
    "QUANTIZATION",
    "ReferenceStats",
    "classifier_path_for",
    "load_reference_stats",
    "rebuild_command",
    "reference_protocol",
    "save_reference_stats",
    "sigma_sha256",
]

FORMAT_VERSION = 1
QUANTIZATION = (
    "png8: uint8(clamp((x+1)/2*255+0.5, 0, 255)) / 255, as torchvision save_image"
)
#: Real features kept in the npz for KID (a seeded random subset).
KID_REFERENCE_FEATURES = 2000


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
    extractor: Any,
    seed: int = 0,
    preprocessing: str = DEFAULT_PREPROCESSING,
) -> dict[str, Any]:
    """The cache key of reference statistics (stored in the JSON beside the npz): the
    FID protocol as measured (:func:`cggan.fid_protocol.protocol_record`), the file
    format, the quantization and the subset seed.

    ``extractor`` is a :class:`cggan.metrics.features.FeatureExtractor` or its
    ``protocol`` dict; ``preprocessing`` is what the real images went through
    (:mod:`cggan.metrics.preprocessing`; a file without the key means the default).
    """
    check_choice("preprocessing", preprocessing, PREPROCESSINGS)
    ext = extractor if isinstance(extractor, dict) else extractor.protocol
    measured = protocol_record(
        dataset=dataset,
        split=split,
        n=int(n),
        image_size=int(image_size),
        channels=int(channels),
        extractor=dict(ext),
        preprocessing=preprocessing,
    )
    return {
        "format_version": FORMAT_VERSION,
        **measured,
        "extractor": dict(ext),  # as recorded, None values included
        "quantization": QUANTIZATION,
        "seed": int(seed),
    }


def rebuild_command(path: str | os.PathLike, protocol: dict[str, Any] | None) -> str:
    """The ``scripts/fid_stats.py`` command that rewrites ``path`` for ``protocol``.

    Protocol keys that are missing (an unreadable JSON) are left as placeholders; the
    data root is the pipeline's default, ``results/data``.
    """
    p = protocol if isinstance(protocol, dict) else {}
    ext = p.get("extractor") if isinstance(p.get("extractor"), dict) else {}
    args = {
        "--dataset": p.get("dataset", "DATASET"),
        "--data-root": "results/data",
        "--image-size": p.get("image_size", "SIZE"),
        "--split": p.get("split", DEFAULT_REFERENCE_SPLIT),
        "--extractor": ext.get("name", "EXTRACTOR"),
        "--dims": ext.get("dims", "DIMS"),
        "--n": p.get("n", "N"),
        "--seed": p.get("seed", 0),
    }
    if p.get("preprocessing", DEFAULT_PREPROCESSING) != DEFAULT_PREPROCESSING:
        args["--preprocessing"] = p["preprocessing"]
    args["--out"] = str(path)
    words = [f"{key} {shlex.quote(str(value))}" for key, value in args.items()]
    return "python scripts/fid_stats.py " + " ".join(words)


def sigma_sha256(sigma: np.ndarray) -> str:
    """sha256 of Σ as little-endian float64 bytes: ties a cached R to its Σ."""
    data = np.ascontiguousarray(sigma, dtype="<f8").tobytes()
    return hashlib.sha256(data).hexdigest()


@dataclass
class ReferenceStats:
    """Loaded reference statistics (``sqrt_sigma`` is None in files without R)."""

    mu: np.ndarray
    sigma: np.ndarray
    protocol: dict[str, Any]
    kid_features: np.ndarray | None = None
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    sqrt_sigma: np.ndarray | None = None


def _json_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def save_reference_stats(
    path: str | os.PathLike,
    mu: np.ndarray,
    sigma: np.ndarray,
    protocol: dict[str, Any],
    *,
    kid_features: np.ndarray | None = None,
    extra: dict[str, Any] | None = None,
    sqrt_sigma: np.ndarray | None = None,
) -> Path:
    """Write ``path`` (.npz) and ``path.json`` atomically, with R = Σ^½ cached.

    Args:
        path: the .npz file to write.
        mu, sigma: mean (d) and covariance (d×d) of the real features.
        protocol: the key from :func:`reference_protocol`.
        kid_features: real features kept for KID.
        extra: informational, not part of the key (e.g. the classifier's accuracy).
        sqrt_sigma: R if already known; else computed here (:func:`sqrt_psd`). A Σ
            without a real square root is saved without R (with a warning): FIDs
            against it then take pytorch-fid's path.

    The JSON holds the protocol, the npz's sha256 and ``extra``. It is written last,
    so an npz without its JSON is never trusted.
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
    try:
        root = sqrt_psd(sigma) if sqrt_sigma is None else np.asarray(sqrt_sigma, float)
    except ValueError as exc:
        warnings.warn(f"{path}: no cached square root ({exc})", RuntimeWarning, 2)
        root = None
    if root is not None:
        arrays["sqrt_sigma"] = root
        arrays["sqrt_sigma_of"] = np.array(sigma_sha256(sigma))
    atomic_write_bytes(path, _npz_bytes(arrays))
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


def _read_meta(path: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The JSON beside ``path``: (meta, protocol, recorded npz sha256)."""
    meta_path = _json_path(path)
    for p in (path, meta_path):
        if not p.is_file():
            raise FileNotFoundError(
                f"Reference statistics file not found: {p} (make it with "
                f"scripts/fid_stats.py)"
            )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return meta, meta["protocol"], meta["npz_sha256"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"Invalid reference statistics metadata: {meta_path} ({exc}); rebuild: "
            f"{rebuild_command(path, None)}"
        ) from exc


def _read_sqrt(path: Path, npz: Any, sigma: np.ndarray, protocol: dict) -> Any:
    """The cached R, checked against Σ (shape and sha256); None when not cached."""
    if "sqrt_sigma" not in npz.files:
        return None
    root = npz["sqrt_sigma"]
    recorded = str(npz["sqrt_sigma_of"]) if "sqrt_sigma_of" in npz.files else None
    problem = None
    if root.shape != sigma.shape:
        problem = f"shape {root.shape}, sigma {sigma.shape}"
    elif recorded != sigma_sha256(sigma):
        problem = f"computed from a sigma with sha256 {recorded}"
    if problem:
        raise ValueError(
            f"Invalid reference statistics: {path} has a sqrt_sigma that does not "
            f"match its sigma ({problem}); rebuild: {rebuild_command(path, protocol)}"
        )
    return root


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
        ValueError: the npz does not match the sha256 recorded in the JSON (corrupted
            or truncated), a protocol key differs (the message names the key, the
            expected and the found value), or the cached R does not belong to Σ.
    """
    path = Path(path)
    meta, protocol, recorded = _read_meta(path)
    digest = sha256_file(path)
    if digest != recorded:
        raise ValueError(
            f"Invalid reference statistics: {path} has sha256 {digest}, but "
            f"{_json_path(path).name} records {recorded} (corrupted or truncated); "
            f"rebuild: {rebuild_command(path, protocol)}"
        )
    if expected_protocol is not None:
        hit = next(differences(expected_protocol, protocol, only_a=True), None)
        if hit:
            key, want, got = hit
            raise ValueError(
                f"Reference statistics protocol mismatch in {_json_path(path)}: key "
                f"{key or '<root>'!r} expected {want!r}, found {got!r}"
            )
    with np.load(path, allow_pickle=False) as npz:
        mu, sigma = npz["mu"], npz["sigma"]
        kid = npz["kid_features"] if "kid_features" in npz.files else None
        root = _read_sqrt(path, npz, sigma, protocol)
    return ReferenceStats(
        mu, sigma, protocol, kid, path, meta.get("extra", {}), sqrt_sigma=root
    )
