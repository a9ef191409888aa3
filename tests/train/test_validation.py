"""Tests for cggan.train.validation: a bad spec is refused naming the key, before any
file is written."""

from __future__ import annotations

import pytest

from cggan.train import run

from .conftest import digits_spec, ring_spec, write_stats


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.pop("lr_g"), r"missing key 'lr_g'"),
        (lambda s: s["eval"].pop("every"), r"missing key 'eval\.every'"),
        (
            lambda s: s["dataset"].update(name="svhn"),
            r"Invalid dataset\.name: 'svhn' \(allowed: digits",
        ),
        (
            lambda s: s["model"].update(name="vit"),
            r"Invalid model\.name: 'vit' \(allowed: dcgan",
        ),
        (lambda s: s.update(method="lbfgs"), r"Invalid method: 'lbfgs' \(allowed: sgd"),
        (lambda s: s.update(method="iu"), r"Invalid method: 'iu' \(toy games only"),
        (
            lambda s: s.update(loss="wgan"),
            r"Invalid loss: 'wgan' \(allowed: bce, nonsaturating, hinge",
        ),
        (
            lambda s: s.update(lr_rule="cosine"),
            r"Invalid lr_rule: 'cosine' \(allowed: constant",
        ),
        (lambda s: s.update(lr_d=-0.1), r"Invalid lr_d: -0\.1"),
        (lambda s: s.update(n_critic=0), r"Invalid n_critic: 0"),
        (
            lambda s: s.update(batch_size="64"),
            r"Invalid batch_size: '64' \(expected integer\)",
        ),
        (
            lambda s: s.update(lr_rule_kwargs={"eta": 1}),
            # the value may be quoted: the message style of cggan's validators
            r"Invalid lr rule argument for constant: '?eta",
        ),
        (
            lambda s: s.update(method_kwargs={"gamma": 1}),
            r"Invalid hyperparameter for method adam: '?gamma",
        ),
        (
            lambda s: s["eval"].update(metric="fid"),
            r"Invalid eval\.metric: 'fid' for dataset 'ring8'",
        ),
        (lambda s: s.update(typo=1), r"Invalid spec key: 'typo'"),
        (lambda s: s["dataset"].update(image_size=16), r"Invalid image_size: 16"),
    ],
)
def test_invalid_spec_is_refused_naming_the_key_before_writing(
    tmp_path, data_root, mutate, message
):
    spec = ring_spec(data_root)
    mutate(spec)
    with pytest.raises(ValueError, match=message):
        run(spec, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_image_size_the_model_does_not_support_is_refused(tmp_path, data_root):
    model = {"name": "sngan_resnet", "z_dim": 8, "kwargs": {}}
    spec = digits_spec(data_root, model=model)
    with pytest.raises(ValueError, match="image_size"):
        run(spec, tmp_path / "run", fid_stats=tmp_path / "unused.npz")
    assert not (tmp_path / "run").exists()


def test_fid_needs_statistics_of_the_same_protocol(tmp_path, data_root):
    spec = digits_spec(data_root)
    with pytest.raises(ValueError, match="fid_stats"):
        run(spec, tmp_path / "run")
    wrong = write_stats(data_root, tmp_path / "test_split.npz", split="test")
    with pytest.raises(ValueError, match=r"protocol mismatch.*'split'"):
        run(spec, tmp_path / "run", fid_stats=wrong)
    assert not (tmp_path / "run").exists()
