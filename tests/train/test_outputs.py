"""Tests for cggan.train.outputs: summary.json records the digest of its metrics.csv."""

from __future__ import annotations

import hashlib
import json

import pytest

from cggan.io import sha256_file
from cggan.train import Trainer, run

from .conftest import digits_spec, ring_spec


def _files(run_dir) -> dict:
    return json.loads((run_dir / "summary.json").read_text())["files"]


@pytest.mark.parametrize(
    "overrides",
    [{}, {"method": "sgd", "lr_g": 1e6, "lr_d": 1e6, "iterations": 200}],
    ids=["finished", "diverged"],
)
def test_summary_records_the_sha256_of_the_final_metrics(
    tmp_path, data_root, overrides
):
    summary = run(ring_spec(data_root, **overrides), tmp_path / "run")
    metrics = tmp_path / "run" / "metrics.csv"
    digest = hashlib.sha256(metrics.read_bytes()).hexdigest()
    assert summary["files"] == {"metrics.csv": digest} == _files(tmp_path / "run")
    assert sha256_file(metrics) == digest


def test_failed_run_records_the_metrics_it_wrote(tmp_path, data_root, monkeypatch):
    def broken(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(Trainer, "_train_step", broken)
    with pytest.raises(RuntimeError):
        run(ring_spec(data_root), tmp_path / "run")
    metrics = tmp_path / "run" / "metrics.csv"  # the row of iteration 0
    assert _files(tmp_path / "run") == {"metrics.csv": sha256_file(metrics)}


def test_metrics_text_is_stable(tmp_path, data_root):
    run(ring_spec(data_root, iterations=10), tmp_path / "run")
    lines = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert lines[0] == (
        "iteration,loss_g,loss_d,grad_norm_g,grad_norm_d,lr_g,lr_d,modes,"
        "high_quality,beta_mean_g,beta_mean_d,beta_capped_g,beta_capped_d,"
        "beta_zero_g,beta_zero_d,elapsed_s"
    )
    first = lines[1].split(",")
    assert first[:7] == ["0", "", "", "", "", "0.001", "0.001"]
    assert len(lines) == 3 and lines[2].startswith("10,")


def test_summary_records_the_digests_of_the_prepared_data_not_its_place(
    tmp_path, data_root, fid_stats
):
    """The content of the data a run read (its manifest's SHA-256 per split) is in
    summary.json; the directory the cache lives in is not what the run is."""
    from cggan.data import prepare_dataset

    digests = []
    for root in (data_root, tmp_path / "elsewhere"):
        prepare_dataset("digits", root=root, image_size=16)
        manifest = json.loads((root / "digits" / "manifest.json").read_text())
        expected = {s: e["cache_sha256"] for s, e in manifest["splits"].items()}
        spec = digits_spec(
            root,
            iterations=2,
            checkpoint_every=2,
            eval={"metric": "fid", "every": 2, "n_samples": 32, "batch_size": 32},
        )
        summary = run(spec, tmp_path / f"run{len(digests)}", fid_stats=fid_stats)
        assert summary["data"] == expected and set(expected) == {"test", "train"}
        digests.append(summary["data"])
    assert digests[0] == digests[1]


def test_data_sampled_from_its_definition_records_no_digest(tmp_path):
    """ring8 is drawn from its seed (in the spec): no cache, nothing to digest."""
    summary = run(ring_spec(tmp_path / "data", iterations=10), tmp_path / "run")
    assert summary["data"] == {}
