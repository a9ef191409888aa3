"""cggan.registry is the one list of names: the schema and the
torch-side factories agree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cggan import registry

SCHEMA = Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml"


@pytest.fixture(scope="module")
def schema():
    return yaml.safe_load(SCHEMA.read_text())


def test_schema_enums_equal_the_registry(schema):
    props = schema["properties"]
    experiment = schema["$defs"]["experiment"]["properties"]
    assert props["methods"]["propertyNames"]["enum"] == list(registry.METHODS)
    assert props["lr_rules"]["propertyNames"]["enum"] == list(registry.LR_RULES)
    assert experiment["lr_grid"]["propertyNames"]["enum"] == list(registry.LR_RULES)
    assert set(experiment["dataset"]["enum"]) == set(registry.DATASETS)
    assert experiment["model"]["enum"] == list(registry.MODELS)
    assert set(experiment["loss"]["enum"]) <= set(registry.LOSSES)


def test_torch_side_registries_build_exactly_the_registry_names():
    from cggan import gan, lr_rules, methods, models

    assert set(methods.METHODS) == set(registry.METHODS)
    toy_only = {m for m, spec in methods.METHODS.items() if spec.toy_only}
    assert toy_only == set(registry.TOY_ONLY_METHODS)
    for name in methods.METHODS:
        assert set(methods.method_hparams(name)) == set(
            registry.METHOD_HPARAMS[name]
        ), name
    assert set(lr_rules.RULES) == set(registry.LR_RULES)
    for rule in lr_rules.RULES:
        assert set(lr_rules.rule_params(rule)) == set(registry.LR_RULE_KWARGS[rule]), (
            rule
        )
    assert set(models.MODELS) == set(registry.MODELS)
    assert tuple(gan.LOSSES) == registry.LOSSES


@pytest.mark.parametrize("model", ["dcgan", "sngan_resnet", "mlp"])
def test_model_kwargs_are_the_ones_the_builder_accepts(model):
    from cggan.models import build_models

    with pytest.raises(ValueError, match="Invalid"):
        build_models(
            model,
            image_size=None if model == "mlp" else 32,
            channels=None if model == "mlp" else 1,
            no_such_kwarg=1,
        )
    # every listed kwarg is accepted (values that build a small model)
    small = {
        "ngf": 4,
        "ndf": 4,
        "spectral_norm": False,
        "g_ch": 4,
        "d_ch": 4,
        "data_dim": 2,
        "hidden": 4,
        "depth": 2,
    }
    kwargs = {k: small[k] for k in registry.MODEL_KWARGS[model]}
    build_models(
        model,
        image_size=None if model == "mlp" else 32,
        channels=None if model == "mlp" else 1,
        **kwargs,
    )


def test_image_datasets_are_the_ones_with_channels():
    from cggan.data import DATASETS

    assert registry.IMAGE_DATASETS == {
        n for n, d in DATASETS.items() if d.data_dim is None
    }


def test_metric_directions_match_training():
    from cggan import train

    for metric, mode in train.METRIC_MODE.items():
        assert registry.METRIC_DIRECTION[metric] == mode


def test_importing_the_registry_does_not_import_torch():
    code = "import sys, cggan.registry, cggan.study; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"
