"""Fixtures for the data tests: a local HTTP server and tiny archives
in the real formats.

Nothing here touches the internet: the server listens on 127.0.0.1 (random port) and
serves files the tests write into a temporary directory.
"""

from __future__ import annotations

import collections
import functools
import gzip
import hashlib
import http.server
import io
import pickle
import struct
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    torch.set_num_threads(1)
    # No test may reach a real mirror through the environment.
    monkeypatch.delenv("CGGAN_DATA_MIRROR", raising=False)


@dataclass
class LocalServer:
    url: str
    directory: Path
    requests: collections.Counter = field(default_factory=collections.Counter)


@pytest.fixture
def http_server(tmp_path):
    """Serve ``tmp_path/served`` on 127.0.0.1; ``requests`` counts GETs per path."""
    directory = tmp_path / "served"
    directory.mkdir()
    requests: collections.Counter = collections.Counter()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server API)
            requests[self.path] += 1
            super().do_GET()

        def log_message(self, *args):  # keep test output clean
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(directory))
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield LocalServer(
            f"http://127.0.0.1:{server.server_address[1]}", directory, requests
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def md5_bytes(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


# --- CIFAR-10 python archive ----------------------------------------------------------

CIFAR_PER_BATCH = 3


def cifar_batch(batch_index: int) -> tuple[np.ndarray, list[int]]:
    """Deterministic tiny batch: image k of batch b has pixel values
    (b*37 + k*11 + c*5 + i) % 256."""
    n = CIFAR_PER_BATCH
    data = np.zeros((n, 3072), dtype=np.uint8)
    for k in range(n):
        for c in range(3):
            plane = (batch_index * 37 + k * 11 + c * 5 + np.arange(1024)) % 256
            data[k, c * 1024 : (c + 1) * 1024] = plane
    labels = [(batch_index + k) % 10 for k in range(n)]
    return data, labels


def make_cifar10_archive() -> bytes:
    """A CIFAR-10 python tar.gz with data_batch_1..5 and test_batch
    (batch index 0..5)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        for index, name in enumerate(names, start=1):
            data, labels = cifar_batch(index if name != "test_batch" else 0)
            # Bytes keys, as Python 2 pickles load with encoding="bytes".
            blob = pickle.dumps(
                {
                    b"batch_label": name.encode(),
                    b"labels": labels,
                    b"data": data,
                    b"filenames": [b"x.png"] * len(labels),
                },
                protocol=2,
            )
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
        meta = pickle.dumps({b"label_names": [b"airplane"] * 10}, protocol=2)
        info = tarfile.TarInfo("cifar-10-batches-py/batches.meta")
        info.size = len(meta)
        tar.addfile(info, io.BytesIO(meta))
    return buffer.getvalue()


# --- MNIST idx gz ---------------------------------------------------------------------


def mnist_images(n: int, offset: int) -> np.ndarray:
    return ((np.arange(n * 28 * 28).reshape(n, 28, 28) + offset) % 256).astype(np.uint8)


def idx_images(images: np.ndarray) -> bytes:
    n, rows, cols = images.shape
    return gzip.compress(
        struct.pack(">IIII", 2051, n, rows, cols) + images.tobytes(), mtime=0
    )


def idx_labels(labels: np.ndarray) -> bytes:
    return gzip.compress(
        struct.pack(">II", 2049, len(labels)) + labels.astype(np.uint8).tobytes(),
        mtime=0,
    )


def make_mnist_files() -> dict[str, bytes]:
    """The four MNIST files: 5 train and 2 test images."""
    return {
        "train-images-idx3-ubyte.gz": idx_images(mnist_images(5, 0)),
        "train-labels-idx1-ubyte.gz": idx_labels(np.array([5, 0, 4, 1, 9])),
        "t10k-images-idx3-ubyte.gz": idx_images(mnist_images(2, 100)),
        "t10k-labels-idx1-ubyte.gz": idx_labels(np.array([7, 2])),
    }


# --- CelebA aligned zip ---------------------------------------------------------------

CELEBA_TRAIN = (1, 2, 3)
CELEBA_TEST = (182_638, 202_599)
CELEBA_OTHER = (170_000,)  # official validation partition: in no offered split


def make_celeba_zip() -> bytes:
    """img_align_celeba/NNNNNN.jpg, 178×218, gray inside the central 178×178 and red in
    the 20-pixel bands above and below it (which the center crop must remove)."""
    from PIL import Image

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in CELEBA_TRAIN + CELEBA_TEST + CELEBA_OTHER:
            pixels = np.full((218, 178, 3), 128, dtype=np.uint8)
            pixels[:20] = (255, 0, 0)
            pixels[-20:] = (255, 0, 0)
            jpeg = io.BytesIO()
            Image.fromarray(pixels).save(jpeg, format="JPEG", quality=95)
            archive.writestr(f"img_align_celeba/{number:06d}.jpg", jpeg.getvalue())
    return buffer.getvalue()


@pytest.fixture
def formats():
    """The archive builders above, for tests (conftest modules are not
    imported directly)."""
    import types

    return types.SimpleNamespace(
        md5_bytes=md5_bytes,
        cifar_batch=cifar_batch,
        cifar_per_batch=CIFAR_PER_BATCH,
        make_cifar10_archive=make_cifar10_archive,
        mnist_images=mnist_images,
        make_mnist_files=make_mnist_files,
        idx_images=idx_images,
        celeba_train=CELEBA_TRAIN,
        celeba_test=CELEBA_TEST,
        make_celeba_zip=make_celeba_zip,
    )
