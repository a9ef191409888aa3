"""CelebA aligned faces (Liu et al. 2015), center-cropped and
resized to 64 or 32 pixels.

Source: ``img_align_celeba.zip`` (202,599 JPEGs of 178×218 in ``img_align_celeba/``),
md5 ``00d2c5bc6d35e252742224ab0c1e8fcb``, Google Drive file id
``0B7EVK8r0v71pZjFTYXZWM3FlRnM`` (both as in torchvision's ``celeba.py``). The only
published location is Google Drive, which may answer a scripted request with an HTML
page (quota or virus-scan notice); the checksum then fails and the page is moved aside.
On clusters without access, download the zip by hand and place it at
``root/celeba/img_align_celeba.zip``: it is accepted once its MD5 matches, and never
fetched again. ``CGGAN_DATA_MIRROR`` redirects the download to
``$CGGAN_DATA_MIRROR/celeba/img_align_celeba.zip``.

Splits follow the official evaluation partition (``list_eval_partition.txt``), which is
contiguous in the file numbering: train = 000001–162770, (valid = 162771–182637, not
offered), test = 182638–202599. Each image is center-cropped to 178×178 (the usual DCGAN
CelebA preprocessing) and resized with PIL's bilinear filter (antialiased when
shrinking), kept as uint8 in the cache ``root/celeba/{split}_{size}.pt`` and mapped to
[-1, 1] by ``v / 127.5 - 1``.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import torch

from cggan.data import (
    Dataset,
    _load_archive,
)
from cggan.data.download import Resource
from cggan.registry import CELEBA

__all__ = ["ARCHIVE", "CROP", "SPLIT_RANGES", "load", "read_archive"]

GDRIVE_ID = "0B7EVK8r0v71pZjFTYXZWM3FlRnM"
ARCHIVE = Resource(
    filename="img_align_celeba.zip",
    # confirm=t skips Google Drive's "cannot scan for viruses" page for large files.
    url=f"https://drive.usercontent.google.com/download?id={GDRIVE_ID}&export=download&confirm=t",
    md5="00d2c5bc6d35e252742224ab0c1e8fcb",
)
CROP = 178
# Inclusive image-number ranges of the official partition.
SPLIT_RANGES = {"train": (1, 162_770), "test": (182_638, 202_599)}


def _image_number(name: str) -> int | None:
    stem = Path(name).stem
    if not name.lower().endswith(".jpg") or not stem.isdigit():
        return None
    return int(stem)


def read_archive(path: str | Path, split: str, image_size: int) -> torch.Tensor:
    """Decode, center-crop and resize a split's images: uint8 N×3×S×S in file order."""
    from PIL import Image

    lo, hi = SPLIT_RANGES[split]
    with zipfile.ZipFile(path) as archive:
        names = sorted(
            (
                n
                for n in archive.namelist()
                if (num := _image_number(n)) is not None and lo <= num <= hi
            ),
            key=_image_number,
        )
        out = np.empty((len(names), image_size, image_size, 3), dtype=np.uint8)
        for i, name in enumerate(names):
            with Image.open(io.BytesIO(archive.read(name))) as img:
                img = img.convert("RGB")
                w, h = img.size
                left, top = (w - CROP) // 2, (h - CROP) // 2
                img = img.crop((left, top, left + CROP, top + CROP))
                img = img.resize((image_size, image_size), Image.BILINEAR)
                out[i] = np.asarray(img, dtype=np.uint8)
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()


def load(
    root: Path, *, split: str, image_size: int, download: bool = False, seed: int = 0
) -> Dataset:
    """Load a split, downloading the zip if allowed and converting it once."""

    def convert(archive: Path):
        return read_archive(archive, split, image_size), None, {"crop": CROP}

    return _load_archive(
        CELEBA,
        ARCHIVE,
        root,
        split=split,
        image_size=image_size,
        download=download,
        convert=convert,
    )
