"""scripts/prepare_data.py: manifest written on success, one-line error and
exit 2 otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cggan.data import cifar10
from cggan.data.download import Resource
from helpers import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "prepare_data.py"


@pytest.fixture(scope="module")
def cli():
    return load_script(SCRIPT, "prepare_data_cli")


def test_ring8(cli, tmp_path, capsys):
    assert cli.main(["--dataset", "ring8", "--root", str(tmp_path), "--seed", "2"]) == 0
    manifest = json.loads((tmp_path / "ring8" / "manifest.json").read_text())
    assert manifest["splits"]["train"] == {"n": 50_000, "shape": [2]}
    assert manifest["seed"] == 2


def test_cifar10_download(cli, tmp_path, http_server, formats, monkeypatch):
    archive = formats.make_cifar10_archive()
    (http_server.directory / "cifar10").mkdir()
    (http_server.directory / "cifar10" / "cifar-10-python.tar.gz").write_bytes(archive)
    monkeypatch.setenv("CGGAN_DATA_MIRROR", http_server.url)
    md5 = formats.md5_bytes(archive)
    monkeypatch.setattr(
        cifar10, "ARCHIVE", Resource(cifar10.ARCHIVE.filename, cifar10.ARCHIVE.url, md5)
    )
    argv = ["--dataset", "cifar10", "--root", str(tmp_path), "--download"]
    assert cli.main(argv) == 0
    manifest = json.loads((tmp_path / "cifar10" / "manifest.json").read_text())
    assert manifest["source_md5"] == {"cifar-10-python.tar.gz": md5}
    assert manifest["splits"]["train"]["shape"] == [3, 32, 32]
    assert manifest["splits"]["test"]["n"] == formats.cifar_per_batch


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--dataset", "nope"], "Invalid dataset: 'nope'"),
        (["--dataset", "cifar10"], "prepare_data.py --dataset cifar10"),
        (["--dataset", "digits", "--image-size", "20"], "Invalid image_size: 20"),
    ],
)
def test_errors(cli, tmp_path, capsys, argv, fragment):
    assert cli.main([*argv, "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and fragment in err
    assert err.count("\n") == 1
    assert not list(tmp_path.rglob("manifest.json"))
