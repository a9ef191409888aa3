"""Tests of cggan.spec: the RunSpec's JSON round trip, its one validation, its diff."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from cggan.fid_protocol import FIDProtocol
from cggan.spec import RunSpec, spec_difference


def ring() -> dict:
    return {
        "study": "s",
        "experiment": "ring8",
        "dataset": {"name": "ring8", "image_size": None, "root": "data"},
        "model": {"name": "mlp", "z_dim": 8, "kwargs": {"hidden": 32, "depth": 2}},
        "loss": "bce",
        "n_critic": 1,
        "batch_size": 64,
        "iterations": 30,
        "method": "adam",
        "method_kwargs": {"betas": [0.5, 0.999]},
        "lr_rule": "constant",
        "lr_rule_kwargs": {},
        "lr_g": 1e-3,
        "lr_d": 2e-3,
        "seed": 3,
        "eval": {"metric": "modes", "every": 10, "n_samples": 400, "batch_size": 200},
        "checkpoint_every": 10,
    }


def digits(**eval_overrides) -> dict:
    spec = ring()
    spec.update(
        experiment="digits",
        dataset={"name": "digits", "image_size": 16, "root": "data"},
        model={"name": "dcgan", "z_dim": 16, "kwargs": {"ngf": 8, "ndf": 8}},
        eval={
            "metric": "fid",
            "every": 3,
            "n_samples": 64,
            "batch_size": 32,
            "extractor": "classifier",
            "dims": 128,
            "reference_split": "test",
            "reference_n": 360,
            "preprocessing": "fixed",
            **eval_overrides,
        },
    )
    return spec


@pytest.mark.parametrize("make", [ring, digits])
def test_json_round_trip_is_exact(make):
    data = make()
    spec = RunSpec.from_dict(data)
    assert spec.to_dict() == data
    assert RunSpec.from_json(spec.to_json()) == spec
    assert json.loads(spec.to_json()) == data
    assert spec.to_json() == json.dumps(data, sort_keys=True, separators=(",", ":"))
    hash(spec)  # frozen: usable as a key


def test_spec_is_frozen_and_does_not_alias_its_input():
    data = ring()
    spec = RunSpec.from_dict(data)
    data["method_kwargs"]["betas"][0] = 0.9
    assert spec.to_dict()["method_kwargs"] == {"betas": [0.5, 0.999]}
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.lr_g = 1.0
    with pytest.raises(TypeError):
        spec.method_kwargs["betas"] = (0.0, 0.0)
    out = spec.to_dict()
    out["model"]["kwargs"]["hidden"] = 1
    assert spec.to_dict()["model"]["kwargs"]["hidden"] == 32


def test_labels_are_optional_and_integers_are_accepted_as_rates():
    data = ring()
    del data["study"], data["experiment"]
    data["lr_g"] = 1
    spec = RunSpec.from_dict(data)
    assert spec.study is None and "study" not in spec.to_dict()
    assert spec.lr_g == 1.0 and isinstance(spec.lr_g, float)


def test_fid_protocol_of_a_digits_spec():
    spec = RunSpec.from_dict(digits(preprocessing="minmax"))
    assert spec.fid_protocol == FIDProtocol(
        dataset="digits",
        split="test",
        image_size=16,
        extractor="classifier",
        dims=128,
        n=360,
        preprocessing="minmax",
    )
    assert spec.fid_protocol.statistics_protocol() == {
        "dataset": "digits",
        "split": "test",
        "image_size": 16,
        "channels": 1,
        "n": 360,
        "extractor": {"name": "classifier", "dims": 128},
        "preprocessing": "minmax",
    }
    assert RunSpec.from_dict(ring()).fid_protocol is None


def _set(path: str, value):
    def mutate(spec):
        *parents, last = path.split(".")
        target = spec
        for key in parents:
            target = target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value

    return mutate


@pytest.mark.parametrize(
    ("make", "mutate", "message"),
    [
        (ring, _set("lr_g", 0.0),
         r"^Invalid lr_g: 0\.0 \(allowed: a finite number > 0\)$"),
        (ring, _set("lr_d", float("inf")), r"^Invalid lr_d: inf \(allowed: "),
        (ring, _set("lr_d", True), r"^Invalid lr_d: True \(expected number\)$"),
        (ring, _set("seed", -1), r"^Invalid seed: -1 \(allowed: an integer >= 0\)$"),
        (ring, _set("iterations", 0), r"^Invalid iterations: 0 \(allowed: an integer"),
        (ring, _set("eval.every", 2.5),
         r"^Invalid eval\.every: 2\.5 \(expected integer"),
        (ring, _set("lr_g", KeyError), r"^Invalid spec: missing key 'lr_g' \(required"),
        (ring, _set("dataset.typo", 1),
         r"^Invalid spec key: 'dataset\.typo' \(allowed"),
        (ring, _set("model.kwargs", {"width": 3}),
         r"^Invalid model\.kwargs\.width: 'width' \(allowed: data_dim, hidden, depth"),
        (ring, _set("method", "iu"), r"^Invalid method: 'iu' \(toy games only"),
        (ring, _set("method_kwargs", {"gamma": 1}),
         r"^Invalid hyperparameter for method adam: 'gamma' \(allowed: betas\)$"),
        (ring, _set("lr_rule_kwargs", {"eta": 1}),
         r"^Invalid lr rule argument for constant: 'eta' \(allowed: none\)$"),
        (ring, _set("eval.dims", 128),
         r"^Invalid eval\.dims: 128 \(allowed: FID runs"),
        (digits, _set("eval.preprocessing", "clip"),
         r"^Invalid eval\.preprocessing: 'clip' \(allowed: fixed, minmax\)$"),
        (digits, _set("eval.reference_split", "val"),
         r"^Invalid eval\.reference_split: 'val' \(allowed: train, test\)$"),
        (digits, _set("eval.extractor", "vgg"),
         r"^Invalid eval\.extractor: 'vgg' \(allowed: classifier, inception\)$"),
        (digits, _set("eval.reference_n", 1), r"^Invalid eval\.reference_n: 1 \("),
        (digits, _set("eval.preprocessing", KeyError),
         r"^Invalid spec: missing key 'eval\.preprocessing' \(required for eval"),
        (digits, _set("dataset.image_size", 17), r"^Invalid image_size: 17 \(allowed"),
    ],
)  # fmt: skip
def test_one_validation_refuses_with_one_line(make, mutate, message):
    data = make()
    mutate(data)
    with pytest.raises(ValueError, match=message) as info:
        RunSpec.from_dict(data)
    assert "\n" not in str(info.value)


def test_direct_construction_is_validated_too():
    spec = RunSpec.from_dict(ring())
    with pytest.raises(ValueError, match=r"^Invalid lr_g: -1\.0"):
        dataclasses.replace(spec, lr_g=-1.0)


def test_not_json_and_not_an_object_are_one_line_errors():
    with pytest.raises(ValueError, match=r"^Invalid spec: not JSON"):
        RunSpec.from_json("{nope")
    with pytest.raises(ValueError, match=r"^Invalid spec: \[\] \(expected a JSON"):
        RunSpec.from_json("[]")


def test_spec_difference_names_the_dotted_keys():
    a, b = digits(), digits(dims=2048)
    b["lr_g"] = 0.5
    assert spec_difference(a, b) == ["eval.dims", "lr_g"]
    assert spec_difference(RunSpec.from_dict(a), RunSpec.from_dict(a)) == []
    del b["study"]
    assert "study" in spec_difference(a, b)


def test_importing_the_spec_does_not_import_torch():
    code = (
        f"import sys, cggan.spec as s; s.RunSpec.from_dict({digits()!r}); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
