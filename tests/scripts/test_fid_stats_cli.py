"""Tests of scripts/fid_stats.py: files written, recorded accuracy, protocol, error
exits."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import load_script

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fid_stats.py"


def load_cli():
    return load_script(SCRIPT, "fid_stats_cli")


@pytest.fixture(autouse=True)
def _no_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.delenv("CGGAN_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.delenv("CGGAN_INCEPTION_SHA256", raising=False)


def digits_args(tmp_path, extractor, *extra, data_root=None):
    """The CLI arguments every test shares: digits 16x16, one extractor, ``extra``."""
    root = data_root if data_root is not None else tmp_path / "data"
    return [
        "--dataset",
        "digits",
        "--data-root",
        str(root),
        "--image-size",
        "16",
        "--extractor",
        extractor,
        *extra,
    ]


def test_classifier_files_and_protocol(tmp_path):
    from cggan.metrics.fid import load_reference_stats

    out = tmp_path / "s.npz"
    rc = load_cli().main(
        digits_args(
            tmp_path,
            "classifier",
            "--epochs",
            "2",
            "--min-accuracy",
            "0.5",
            "--n",
            "300",
            "--out",
            str(out),
        )
    )
    assert rc == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert 0.5 <= meta["extra"]["classifier_test_accuracy"] <= 1
    assert (tmp_path / "s-classifier.pt").is_file()
    ref = load_reference_stats(
        out, expected_protocol={"n": 300, "split": "train", "seed": 0}
    )
    assert ref.kid_features.shape == (300, 128)
    assert ref.protocol["preprocessing"] == "fixed"


def test_minmax_statistics_stretch_each_real_image(tmp_path, capsys):
    import numpy as np

    from cggan.data import load_dataset
    from cggan.metrics import features as feat
    from cggan.metrics.fid import classifier_path_for, load_reference_stats
    from cggan.metrics.preprocessing import minmax_per_image

    out = tmp_path / "s-minmax.npz"
    args = digits_args(
        tmp_path,
        "classifier",
        "--epochs",
        "1",
        "--min-accuracy",
        "0",
        "--out",
        str(out),
    )
    assert load_cli().main([*args, "--preprocessing", "minmax"]) == 0
    ref = load_reference_stats(out, expected_protocol={"preprocessing": "minmax"})
    net = feat.build_extractor("classifier", weights=classifier_path_for(out))
    x = load_dataset("digits", root=tmp_path / "data", split="train", image_size=16).x
    stretched = feat.extract_features(net, minmax_per_image(x), len(x))
    np.testing.assert_allclose(ref.mu, stretched.mean(0), rtol=1e-10, atol=1e-12)
    assert not np.allclose(ref.mu, feat.extract_features(net, x, len(x)).mean(0))
    with pytest.raises(SystemExit) as info:
        load_cli().main([*args, "--preprocessing", "clip"])
    assert info.value.code == 2 and "invalid choice: 'clip'" in capsys.readouterr().err


def test_low_accuracy_fails_without_writing(tmp_path, capsys):
    out = tmp_path / "s.npz"
    rc = load_cli().main(
        digits_args(
            tmp_path,
            "classifier",
            "--epochs",
            "1",
            "--min-accuracy",
            "1.01",
            "--out",
            str(out),
        )
    )
    assert rc == 2 and "accuracy" in capsys.readouterr().err and not out.exists()


@pytest.mark.slow
def test_classifier_stats_for_digits(tmp_path):
    import torch

    from cggan.data import load_dataset
    from cggan.fid_protocol import FIDProtocol
    from cggan.metrics.fid import FIDEvaluator, load_reference_stats

    protocol = FIDProtocol("digits", 16, "classifier", 128, 1437)
    out = tmp_path / "fid_stats" / protocol.stats_filename()
    rc = load_cli().main(digits_args(tmp_path, "classifier", "--out", str(out)))
    assert rc == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["extra"]["classifier_test_accuracy"] >= 0.95
    clf = out.with_name(out.stem + "-classifier.pt")
    assert clf.is_file() and meta["extra"]["classifier_file"] == clf.name
    ref = load_reference_stats(
        out,
        expected_protocol={
            "dataset": "digits",
            "split": "train",
            "n": 1437,
            "image_size": 16,
            "channels": 1,
        },
    )
    assert ref.mu.shape == (128,) and ref.kid_features.shape == (1437, 128)
    assert ref.protocol["extractor"]["name"] == "classifier"

    # The held-out split scores far better than noise against these statistics.
    test = load_dataset("digits", root=tmp_path / "data", split="test", image_size=16).x
    ev = FIDEvaluator.from_stats(out, n_samples=300, batch_size=100)
    it = iter(torch.split(test[:300], 100))
    real = ev(lambda b: next(it))
    noise = ev(lambda b: torch.rand(b, 1, 16, 16) * 2 - 1)
    assert real["fid_status"] == noise["fid_status"] == "ok"
    assert real["fid"] < noise["fid"] / 10


def test_n_larger_than_split_is_refused(tmp_path, capsys):
    rc = load_cli().main(
        digits_args(
            tmp_path, "inception", "--n", "5000", "--out", str(tmp_path / "s.npz")
        )
    )
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("error: ") and "5000" in err and "1437" in err


def test_missing_inception_weights_fail_fast(tmp_path, capsys):
    start = time.perf_counter()
    rc = load_cli().main(
        digits_args(
            tmp_path, "inception", "--dims", "64", "--out", str(tmp_path / "s.npz")
        )
    )
    err = capsys.readouterr().err
    assert (
        rc == 2
        and "CGGAN_INCEPTION_WEIGHTS" in err
        and "pt_inception-2015-12-05-6726825d.pth" in err
    )
    assert time.perf_counter() - start < 5
    assert not (tmp_path / "s.npz").exists()


def test_bad_out_suffix(tmp_path, capsys):
    rc = load_cli().main(
        digits_args(
            tmp_path,
            "classifier",
            "--out",
            str(tmp_path / "s.txt"),
            data_root=str(tmp_path),
        )
    )
    assert rc == 2 and "Invalid out" in capsys.readouterr().err


def test_help_does_not_import_torch():
    code = (
        "import importlib.util, sys;"
        f"spec = importlib.util.spec_from_file_location('m', {str(SCRIPT)!r});"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m);"
        "m.build_parser().format_help(); print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_inception_stats_with_fixture_weights(tmp_path, monkeypatch):
    from cggan.metrics import features as feat
    from cggan.metrics.fid import load_reference_stats

    weights = tmp_path / "rand_inception.pth"
    sha = feat.save_random_inception_weights(weights, seed=1)
    monkeypatch.setenv("CGGAN_INCEPTION_SHA256", sha)
    out = tmp_path / "s.npz"
    rc = load_cli().main(
        digits_args(
            tmp_path,
            "inception",
            "--inception-weights",
            str(weights),
            "--dims",
            "64",
            "--n",
            "40",
            "--out",
            str(out),
        )
    )
    assert rc == 0
    ref = load_reference_stats(
        out, expected_protocol={"n": 40, "extractor": {"weights_sha256": sha}}
    )
    assert ref.mu.shape == (64,)
