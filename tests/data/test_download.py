"""Checksum-verified downloads through a local HTTP server (no internet)."""

from __future__ import annotations

import hashlib
import socket

import pytest

from cggan.data import download
from cggan.data.download import (
    ChecksumError,
    DownloadError,
    Resource,
    download_file,
    ensure_resource,
    resource_url,
)

PAYLOAD = b"cggan test payload\n" * 100


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_download_verifies_and_renames(http_server, tmp_path, formats):
    (http_server.directory / "file.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "cache" / "file.bin"
    out = download_file(
        f"{http_server.url}/file.bin", dest, md5=formats.md5_bytes(PAYLOAD)
    )
    assert out == dest
    assert dest.read_bytes() == PAYLOAD
    assert _leftovers(dest.parent) == []
    assert http_server.requests["/file.bin"] == 1


def test_verified_file_is_not_downloaded_again(http_server, tmp_path, formats):
    (http_server.directory / "file.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "file.bin"
    url = f"{http_server.url}/file.bin"
    download_file(url, dest, md5=formats.md5_bytes(PAYLOAD))
    download_file(url, dest, md5=formats.md5_bytes(PAYLOAD))
    assert http_server.requests["/file.bin"] == 1


def test_sha256_is_accepted(http_server, tmp_path):
    (http_server.directory / "file.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "file.bin"
    download_file(
        f"{http_server.url}/file.bin", dest, sha256=hashlib.sha256(PAYLOAD).hexdigest()
    )
    assert dest.read_bytes() == PAYLOAD


def test_mismatch_moves_file_aside_and_names_everything(http_server, tmp_path, formats):
    (http_server.directory / "file.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "file.bin"
    expected = "0" * 32
    with pytest.raises(ChecksumError) as info:
        download_file(f"{http_server.url}/file.bin", dest, md5=expected)
    message = str(info.value)
    assert str(dest) in message
    assert expected in message
    assert formats.md5_bytes(PAYLOAD) in message
    assert not dest.exists()
    assert (tmp_path / "file.bin.corrupt").read_bytes() == PAYLOAD
    assert _leftovers(tmp_path) == []


def test_damaged_existing_file_is_replaced(http_server, tmp_path, formats):
    (http_server.directory / "file.bin").write_bytes(PAYLOAD)
    dest = tmp_path / "file.bin"
    dest.write_bytes(PAYLOAD[:10])  # a truncated earlier copy
    download_file(f"{http_server.url}/file.bin", dest, md5=formats.md5_bytes(PAYLOAD))
    assert dest.read_bytes() == PAYLOAD
    assert (tmp_path / "file.bin.corrupt").read_bytes() == PAYLOAD[:10]
    assert http_server.requests["/file.bin"] == 1


def test_http_error_is_one_clear_error(http_server, tmp_path):
    url = f"{http_server.url}/missing.bin"
    with pytest.raises(DownloadError, match="404") as info:
        download_file(url, tmp_path / "cache" / "missing.bin", md5="0" * 32)
    assert url in str(info.value)
    assert list((tmp_path / "cache").iterdir()) == []


def test_unreachable_server_is_one_clear_error(tmp_path):
    with socket.socket() as sock:  # a port that nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/file.bin"
    with pytest.raises(DownloadError) as info:
        download_file(url, tmp_path / "cache" / "file.bin", md5="0" * 32, timeout=5)
    assert url in str(info.value)
    assert list((tmp_path / "cache").iterdir()) == []


@pytest.mark.parametrize("kwargs", [{}, {"md5": "a" * 32, "sha256": "b" * 64}])
def test_exactly_one_checksum_is_required(tmp_path, kwargs):
    with pytest.raises(ValueError, match="Invalid checksum"):
        download_file("http://127.0.0.1:9/x", tmp_path / "x", **kwargs)


def test_mirror_overrides(monkeypatch):
    resource = Resource("a.tar.gz", "https://example.org/data/a.tar.gz", "0" * 32)
    assert resource_url("demo", resource) == resource.url
    monkeypatch.setitem(download.MIRRORS, "demo", "http://127.0.0.1:1/m/")
    assert resource_url("demo", resource) == "http://127.0.0.1:1/m/a.tar.gz"
    monkeypatch.setenv("CGGAN_DATA_MIRROR", "http://127.0.0.1:2/mirror/")
    assert resource_url("demo", resource) == "http://127.0.0.1:2/mirror/demo/a.tar.gz"


def test_missing_without_download_says_how_to_get_it(tmp_path):
    resource = Resource("a.tar.gz", "https://example.org/data/a.tar.gz", "0" * 32)
    with pytest.raises(FileNotFoundError) as info:
        ensure_resource("demo", resource, tmp_path / "demo", download=False)
    message = str(info.value)
    assert "scripts/prepare_data.py --dataset demo" in message
    assert "--download" in message
    assert str(tmp_path / "demo" / "a.tar.gz") in message
    assert resource.md5 in message
