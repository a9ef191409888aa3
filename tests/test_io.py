"""Tests of cggan.io: atomic writes leave either the old file or the
complete new one."""

import json

import pytest

from cggan.io import (
    atomic_open,
    atomic_write_json,
    atomic_write_text,
    read_json_object,
    sha256_file,
)


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.txt"
    atomic_write_text(target, "first")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half-written")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == [
        "out.txt"
    ]  # no temporary left behind


def test_atomic_write_json_rejects_nan(tmp_path):
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "x.json", {"fid": float("nan")})
    assert not (tmp_path / "x.json").exists()
    atomic_write_json(tmp_path / "x.json", {"fid": None, "a": [1, 2]})
    assert json.loads((tmp_path / "x.json").read_text()) == {"fid": None, "a": [1, 2]}


def test_sha256_file_matches_hashlib(tmp_path):
    import hashlib

    data = bytes(range(256)) * 5000
    (tmp_path / "b").write_bytes(data)
    assert (
        sha256_file(tmp_path / "b", chunk_size=1000) == hashlib.sha256(data).hexdigest()
    )


def test_atomic_open_rejects_bad_mode(tmp_path):
    with pytest.raises(ValueError, match="Invalid mode"):
        with atomic_open(tmp_path / "x", "a"):
            pass


def test_atomic_write_uses_default_permissions(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "table.md", "x")
    finally:
        os.umask(mask)
    assert (tmp_path / "table.md").stat().st_mode & 0o777 == 0o644


# --- read_json_object: the one reader of "JSON text or a JSON file" arguments ---------
def test_json_object_from_text_or_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": [1, 2]}')
    assert read_json_object(' {"a": [1, 2]}', "--flag") == {"a": [1, 2]}
    assert read_json_object(str(path), "--flag") == {"a": [1, 2]}
    assert read_json_object(path, "--flag") == {"a": [1, 2]}


@pytest.mark.parametrize(
    "given, content, message",
    [
        ("{nope", None, r"^--flag: invalid JSON \("),
        ("missing.json", None, r"missing\.json: unreadable \("),
        ("list.json", "[1, 2]", r"list\.json: not a JSON object$"),
        ("bad.json", "{1}", r"bad\.json: invalid JSON \("),
    ],
)
def test_json_object_errors_are_one_line_naming_the_file_or_flag(
    tmp_path, given, content, message
):
    if content is not None:
        (tmp_path / given).write_text(content)
    source = given if given.startswith("{") else str(tmp_path / given)
    with pytest.raises(ValueError, match=message) as err:
        read_json_object(source, "--flag")
    assert "\n" not in str(err.value)
