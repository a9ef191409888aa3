"""Calibration: held-out real images score far below pixel noise on the same
features."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cggan.fid_protocol import FIDProtocol
from cggan.metrics.calibration import calibrate, held_out_split, noise_like

ROOT = Path(__file__).resolve().parents[2]
#: The protocol of the statistics of write_stats (dims and n left to the file).
DIGITS = FIDProtocol("digits", 16, "classifier")
MINMAX = FIDProtocol("digits", 16, "classifier", preprocessing="minmax")
#: The flags of the statistics' protocol (fid_stats.py's).
FLAGS = ["--dataset", "digits", "--image-size", "16", "--extractor", "classifier"]


@pytest.fixture(scope="module")
def stats(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "tests"))
    # an untrained classifier: fast, deterministic
    from train.conftest import write_stats

    root = tmp_path_factory.mktemp("data")
    out = write_stats(root, tmp_path_factory.mktemp("stats") / "digits16.npz")
    return root, out


def test_noise_matches_the_per_channel_moments_and_range():
    x = torch.rand(500, 3, 8, 8) * torch.tensor([0.2, 0.5, 1.0]).view(1, 3, 1, 1) - 0.5
    noise = noise_like(x, 4000, seed=1)
    assert noise.shape == (4000, 3, 8, 8)
    assert noise.min() >= -1 and noise.max() <= 1
    assert torch.allclose(noise.mean(dim=(0, 2, 3)), x.mean(dim=(0, 2, 3)), atol=0.02)
    assert torch.equal(noise_like(x, 10, seed=1), noise_like(x, 10, seed=1))


def test_held_out_split_is_the_one_the_reference_did_not_use():
    assert held_out_split("train") == "test" and held_out_split("test") == "train"


def test_the_real_floor_is_far_below_the_noise_reference(stats):
    root, path = stats
    record = calibrate(path, DIGITS, data_root=root, n_samples=5000, batch_size=100)
    assert record["n"] == 360  # capped by the held-out test split
    assert record["real_split"] == "test"
    assert record["real_floor_status"] == record["noise_reference_status"] == "ok"
    assert 0 <= record["real_floor"] < record["noise_reference"] / 5


def test_cli_writes_the_json(stats, tmp_path):
    root, path = stats
    out = tmp_path / "cal.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/calibrate.py"),
            "--stats",
            str(path),
            *FLAGS,
            "--data-root",
            str(root),
            "--split",
            "train",
            "--n-samples",
            "100",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.read_text())
    assert record["n"] == 100 and record["real_floor"] < record["noise_reference"]
    bad = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/calibrate.py"),
            "--stats",
            str(path),
            *FLAGS,
            "--data-root",
            str(root),
            "--n-samples",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: Invalid n_samples: 1")


@pytest.fixture(scope="module")
def minmax_stats(stats, tmp_path_factory):
    from train.conftest import write_stats

    root, _ = stats
    out = tmp_path_factory.mktemp("minmax") / "digits16-minmax.npz"
    return root, write_stats(root, out, preprocessing="minmax")


def test_minmax_stretches_the_real_and_the_noise_images(minmax_stats):
    from cggan.data import load_dataset
    from cggan.metrics.fid import FIDEvaluator
    from cggan.metrics.preprocessing import minmax_per_image

    root, path = minmax_stats
    record = calibrate(path, MINMAX, data_root=root, n_samples=100, batch_size=50)
    assert record["preprocessing"] == "minmax" and record["n"] == 100

    def load(split):
        return load_dataset("digits", root=root, split=split, image_size=16).x

    def fid_of(images):
        evaluator = FIDEvaluator.from_stats(path, n_samples=100, batch_size=50)
        batches = iter(images.split(50))
        return evaluator(lambda b: next(batches))["fid"]

    assert record["real_floor"] == fid_of(minmax_per_image(load("test")[:100]))
    noise = minmax_per_image(noise_like(load("train"), 100, 0))
    assert record["noise_reference"] == fid_of(noise)
    assert record["real_floor"] < record["noise_reference"]


@pytest.mark.parametrize(
    ("fixture", "asked", "found"),
    [("stats", "minmax", "fixed"), ("minmax_stats", "fixed", "minmax")],
)
def test_statistics_of_another_preprocessing_are_refused(
    request, fixture, asked, found
):
    root, path = request.getfixturevalue(fixture)
    protocol = FIDProtocol("digits", 16, "classifier", preprocessing=asked)
    with pytest.raises(ValueError) as info:
        calibrate(path, protocol, data_root=root, n_samples=10)
    assert str(info.value) == (
        f"Reference statistics protocol mismatch in {path.with_suffix('.json')}: "
        f"key 'preprocessing' expected {asked!r}, found {found!r}"
    )


def test_statistics_of_another_protocol_are_refused(stats):
    root, path = stats
    protocol = FIDProtocol("digits", 16, "classifier", split="test")
    with pytest.raises(ValueError) as info:
        calibrate(path, protocol, data_root=root, n_samples=10)
    assert str(info.value) == (
        f"Reference statistics protocol mismatch in {path.with_suffix('.json')}: "
        "key 'split' expected 'test', found 'train'"
    )


def test_cli_preprocessing_flag(minmax_stats, tmp_path):
    root, path = minmax_stats
    out = tmp_path / "cal.json"
    args = [
        sys.executable,
        str(ROOT / "scripts/calibrate.py"),
        "--stats",
        str(path),
        *FLAGS,
        "--data-root",
        str(root),
        "--split",
        "train",
        "--n-samples",
        "50",
        "--out",
        str(out),
    ]
    proc = subprocess.run(
        [*args, "--preprocessing", "minmax"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["preprocessing"] == "minmax"
    bad = subprocess.run(
        [*args, "--preprocessing", "clip"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "invalid choice: 'clip'" in bad.stderr
