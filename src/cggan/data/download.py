"""Checksum-verified downloads into the dataset cache.

A download streams into a temporary file beside its destination and is renamed to the
final name only after the published checksum matched, so a killed job or a bad mirror
never leaves a file the pipeline would take as done. A file that fails verification is
moved aside to ``<dest>.corrupt`` (kept for inspection, never read again) and the error
names the file, the expected and the actual checksum. A file already present and
verified is never fetched again, which is also how files are supplied by hand on an
offline cluster: put the file where the download would go and it is accepted once
its checksum matches.

Base URLs can be redirected, for a local mirror or for tests:

* environment variable ``CGGAN_DATA_MIRROR``: every resource is fetched from
  ``$CGGAN_DATA_MIRROR/<dataset>/<filename>``;
* module-level ``MIRRORS`` (dataset name -> base URL): resource fetched from
  ``MIRRORS[dataset] + filename``. The environment variable wins.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MIRROR_ENV",
    "MIRRORS",
    "ChecksumError",
    "DownloadError",
    "Resource",
    "download_file",
    "ensure_resource",
    "file_checksum",
    "resource_url",
    "verify_or_move_aside",
]

MIRROR_ENV = "CGGAN_DATA_MIRROR"

# Per-dataset base URL overrides (dataset name -> base URL ending in "/"). Empty by
# default: the published URL of each resource is used.
MIRRORS: dict[str, str] = {}

_CHUNK = 1 << 20


class DownloadError(OSError):
    """A download failed for a network reason (URL and reason in the message)."""


class ChecksumError(ValueError):
    """A file's checksum does not match the published one."""


@dataclass(frozen=True)
class Resource:
    """One published file of a dataset.

    Attributes:
        filename: name of the file in the dataset's cache directory.
        url: published download URL.
        md5: published MD5 (hex); the algorithm the dataset authors publish.
    """

    filename: str
    url: str
    md5: str


def file_checksum(path: str | os.PathLike, algorithm: str = "md5") -> str:
    """Hex digest of a file, read in chunks.

    Args:
        path: file to hash.
        algorithm: ``"md5"`` or ``"sha256"``.
    """
    digest = _new_digest(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _new_digest(algorithm: str):
    if algorithm == "md5":
        # MD5 only identifies the published files here; it is not used for security.
        return hashlib.md5(usedforsecurity=False)
    if algorithm == "sha256":
        return hashlib.sha256()
    raise ValueError(f"Invalid algorithm: {algorithm!r} (allowed: 'md5', 'sha256')")


def _expected(md5: str | None, sha256: str | None) -> tuple[str, str]:
    if (md5 is None) == (sha256 is None):
        raise ValueError("Invalid checksum: give exactly one of md5=, sha256=")
    return ("md5", md5.lower()) if md5 is not None else ("sha256", sha256.lower())


def _move_aside(path: Path) -> Path:
    corrupt = path.with_name(path.name + ".corrupt")
    os.replace(path, corrupt)
    return corrupt


def _mismatch(
    dest: Path,
    corrupt: Path,
    algorithm: str,
    expected: str,
    actual: str,
    url: str | None,
) -> ChecksumError:
    source = f" downloaded from {url}" if url else ""
    return ChecksumError(
        f"Checksum mismatch for {dest}{source}: expected {algorithm} {expected}, "
        f"got {actual}; the file was moved aside to {corrupt}"
    )


def verify_or_move_aside(
    dest: str | os.PathLike, *, md5: str | None = None, sha256: str | None = None
) -> bool:
    """Check a file already in the cache.

    Returns:
        True if ``dest`` exists and its checksum matches; False if it does not exist.

    Raises:
        ChecksumError: ``dest`` exists but does not match; it has been moved to
            ``<dest>.corrupt``.
    """
    algorithm, expected = _expected(md5, sha256)
    dest = Path(dest)
    if not dest.is_file():
        return False
    actual = file_checksum(dest, algorithm)
    if actual != expected:
        raise _mismatch(dest, _move_aside(dest), algorithm, expected, actual, None)
    return True


def download_file(
    url: str,
    dest: str | os.PathLike,
    *,
    md5: str | None = None,
    sha256: str | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest`` unless a verified copy is already there.

    Args:
        url: source URL (http, https or file).
        dest: final path; its directory is created.
        md5: expected MD5 hex digest (give exactly one of md5, sha256).
        sha256: expected SHA-256 hex digest.
        timeout: socket timeout in seconds.

    Returns:
        ``dest``.

    Raises:
        DownloadError: the server could not be reached or answered with an error.
        ChecksumError: the downloaded bytes do not match; they are kept at
            ``<dest>.corrupt`` and nothing is left at ``dest``.
    """
    algorithm, expected = _expected(md5, sha256)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_file():
        if file_checksum(dest, algorithm) == expected:
            return dest
        # A stale or damaged copy: keep it for inspection and fetch a fresh one.
        _move_aside(dest)

    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{dest.name}.", suffix=".part", dir=dest.parent
    )
    tmp = Path(tmp_name)
    digest = _new_digest(algorithm)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    for block in iter(lambda: response.read(_CHUNK), b""):
                        digest.update(block)
                        out.write(block)
            except urllib.error.HTTPError as err:
                raise DownloadError(
                    f"Download failed: {url}: HTTP {err.code} {err.reason}"
                ) from err
            except urllib.error.URLError as err:
                raise DownloadError(f"Download failed: {url}: {err.reason}") from err
            except (TimeoutError, ConnectionError) as err:
                raise DownloadError(f"Download failed: {url}: {err}") from err
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != expected:
            corrupt = dest.with_name(dest.name + ".corrupt")
            os.replace(tmp, corrupt)
            raise _mismatch(dest, corrupt, algorithm, expected, actual, url)
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return dest


def resource_url(dataset: str, resource: Resource) -> str:
    """The URL a resource is fetched from, after mirror overrides (see
    module docstring)."""
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        return f"{mirror.rstrip('/')}/{dataset}/{resource.filename}"
    if dataset in MIRRORS:
        return MIRRORS[dataset] + resource.filename
    return resource.url


def ensure_resource(
    dataset: str,
    resource: Resource,
    directory: str | os.PathLike,
    *,
    download: bool,
    timeout: float = 60.0,
) -> Path:
    """Return the verified path of ``resource`` in ``directory``,
    downloading it if allowed.

    Args:
        dataset: dataset name (for mirror lookup and messages).
        resource: the published file.
        directory: the dataset's cache directory (``root/<dataset>``).
        download: fetch the file when it is missing.
        timeout: socket timeout in seconds.

    Raises:
        FileNotFoundError: missing and ``download`` is False; says how to get it.
        ChecksumError: a present file does not match (moved aside), or
            the download does not.
        DownloadError: the download failed.
    """
    dest = Path(directory) / resource.filename
    if verify_or_move_aside(dest, md5=resource.md5):
        return dest
    if not download:
        raise FileNotFoundError(
            f"Missing {dest} for dataset {dataset!r}: run "
            f"`python scripts/prepare_data.py --dataset {dataset} "
            f"--root {Path(directory).parent} --download`, or place the file "
            f"there by hand (md5 {resource.md5}, published at {resource.url})"
        )
    return download_file(
        resource_url(dataset, resource), dest, md5=resource.md5, timeout=timeout
    )
