"""Helpers of the training tests: tiny run specs, FID statistics, metric rows, kills."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

from cggan.train import Trainer

torch.set_num_threads(1)


def ring_spec(root, **overrides) -> dict:
    """A tiny 2-D run: MLP on ring8, mode coverage every 10 iterations (no FID)."""
    spec = {
        "study": "test",
        "experiment": "ring8",
        "dataset": {"name": "ring8", "image_size": None, "root": str(root)},
        "model": {"name": "mlp", "z_dim": 8, "kwargs": {"hidden": 32, "depth": 2}},
        "loss": "bce",
        "n_critic": 1,
        "batch_size": 64,
        "iterations": 30,
        "method": "adam",
        "method_kwargs": {},
        "lr_rule": "constant",
        "lr_rule_kwargs": {},
        "lr_g": 1e-3,
        "lr_d": 1e-3,
        "seed": 3,
        "eval": {"metric": "modes", "every": 10, "n_samples": 400, "batch_size": 200},
        "checkpoint_every": 10,
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(spec.get(key), dict):
            spec[key] = {**spec[key], **value}
        else:
            spec[key] = value
    return spec


#: The FID protocol of the statistics that :func:`write_stats` writes.
FID = {"extractor": "classifier", "dims": 16, "reference_split": "train",
       "reference_n": 1437, "preprocessing": "fixed"}  # fmt: skip


def digits_spec(root, **overrides) -> dict:
    """A tiny image run: DCGAN on 16×16 digits, FID every 3 iterations."""
    spec = ring_spec(root)
    spec.update(
        experiment="digits",
        dataset={"name": "digits", "image_size": 16, "root": str(root)},
        model={"name": "dcgan", "z_dim": 16, "kwargs": {"ngf": 8, "ndf": 8}},
        batch_size=32,
        iterations=6,
        eval={"metric": "fid", "every": 3, "n_samples": 64, "batch_size": 32, **FID},
        checkpoint_every=3,
    )
    for key, value in overrides.items():  # eval overrides keep the FID protocol
        spec[key] = {**FID, **value} if key == "eval" else value
    return spec


def read_rows(run_dir, drop=("elapsed_s",)) -> list[dict]:
    """metrics.csv as dicts of strings, without the timing column."""
    with open(Path(run_dir) / "metrics.csv", newline="") as fh:
        return [
            {k: v for k, v in row.items() if k not in drop}
            for row in csv.DictReader(fh)
        ]


def metrics_without_timing(run_dir) -> str:
    """metrics.csv's exact text without its last column (``elapsed_s``)."""
    text = (Path(run_dir) / "metrics.csv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    assert lines[0].rstrip("\n").endswith(",elapsed_s")
    return "".join(line.rsplit(",", 1)[0] + "\n" for line in lines)


def write_stats(root, out, *, split="train", preprocessing=None):
    """Reference statistics of digits16 through cggan.metrics, with an untrained
    classifier (the mechanics of the run, not the quality of the extractor, are under
    test). ``preprocessing`` None: a protocol without the key, as statistics written
    before it existed (they count as ``fixed``)."""
    from cggan.data import load_dataset
    from cggan.metrics import features, fid

    torch.manual_seed(0)
    model = features.DigitClassifier(
        image_size=16, channels=1, feature_dim=16, widths=(4, 8)
    )
    features.save_classifier(fid.classifier_path_for(out), model)
    extractor = features.build_extractor(
        "classifier", weights=fid.classifier_path_for(out)
    )
    data = load_dataset("digits", root=root, split="train", image_size=16)
    x = data.x
    if preprocessing == "minmax":  # real images as the released code saved them too
        from cggan.metrics.preprocessing import minmax_per_image

        x = minmax_per_image(x)
    feats = features.extract_features(extractor, x, len(x), 500)
    mu, sigma = fid.compute_statistics(feats)
    protocol = fid.reference_protocol(
        dataset="digits",
        split=split,
        n=len(data.x),
        image_size=16,
        channels=1,
        extractor=extractor,
        preprocessing=preprocessing or "fixed",
    )
    if preprocessing is None:  # as written before the key existed (means fixed)
        del protocol["preprocessing"]
    fid.save_reference_stats(out, mu, sigma, protocol, kid_features=feats[:200])
    return out


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def fid_stats(data_root, tmp_path_factory):
    return write_stats(data_root, tmp_path_factory.mktemp("stats") / "digits16.npz")


class Interrupt(BaseException):
    """Stands for a kill: not an Exception, so the run records nothing."""


def interrupt_after(monkeypatch, n_steps: int) -> None:
    """Make the training step after ``n_steps`` calls raise :class:`Interrupt`."""
    original = Trainer._train_step
    calls = {"n": 0}

    def step(self):
        if calls["n"] == n_steps:
            raise Interrupt
        calls["n"] += 1
        return original(self)

    monkeypatch.setattr(Trainer, "_train_step", step)
