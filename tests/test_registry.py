"""cggan.registry is the one list of names: the schema and the
torch-side factories agree."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cggan import registry

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"


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
    assert props["selection"]["properties"]["by"]["enum"] == list(registry.SELECTION_BY)


def test_schema_defaults_equal_the_registry(schema):
    props = schema["properties"]
    experiment = schema["$defs"]["experiment"]["properties"]
    assert experiment["loss"]["default"] == registry.DEFAULT_LOSS
    assert props["selection"]["properties"]["by"]["default"] in registry.SELECTION_BY
    assert props["analysis"]["properties"]["cg_method"]["default"] == (
        registry.PRIMARY_CG_METHOD
    )
    assert registry.is_cg_method(registry.PRIMARY_CG_METHOD)


def test_torch_side_registries_build_exactly_the_registry_names():
    from cggan import gan, lr_rules, methods, models

    assert list(methods.METHODS) == list(registry.METHODS)  # keys, in its order
    assert all(name == spec.name for name, spec in methods.METHODS.items())
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
    import torch

    logits = torch.zeros(3)
    for loss in registry.LOSSES:  # the loss functions take every registry loss
        assert torch.isfinite(gan.discriminator_loss(loss, logits, logits))
        assert torch.isfinite(gan.generator_loss(loss, logits))
    with pytest.raises(ValueError, match="Invalid loss"):
        gan.generator_loss("no_such_loss", logits)


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
    assert registry.DATASETS == tuple(registry.DATASET_FACTS)
    assert registry.IMAGE_DATASETS == {
        n for n, d in registry.DATASET_FACTS.items() if d.data_dim is None
    }
    for name, facts in registry.DATASET_FACTS.items():
        assert facts.name == name


def test_cg_methods_are_the_two_variants_of_each_rule():
    expected = {f"cg_{r}" for r in registry.CG_RULES}
    expected |= {f"cg_{r}_authors" for r in registry.CG_RULES}
    assert registry.CG_METHODS == expected
    assert registry.CG_METHODS <= set(registry.METHODS)
    assert not registry.is_cg_method("cg_nope")
    assert not registry.is_cg_method(registry.MOMENTUM)


def test_the_toy_default_runs_every_registry_method_once():
    from cggan.toy.runs import DEFAULT_TOY_GAMES

    figure = DEFAULT_TOY_GAMES[0]["runs"][0]["methods"]
    assert sorted(figure) == sorted(registry.METHODS)


# ---------------------------------------------------------- one spelling of each name
#: The name groups whose every member is spelled, as a string, in registry.py only.
NAME_GROUPS = {
    "methods": registry.METHODS,
    "β rules": registry.CG_RULES,
    "lr rules": registry.LR_RULES,
    "models": registry.MODELS,
    "losses": registry.LOSSES,
    "datasets": registry.DATASETS,
    "selection modes": registry.SELECTION_BY,
    "metrics": tuple(registry.METRIC_DIRECTION),
    "metric directions": tuple(set(registry.METRIC_DIRECTION.values())),
    "FID extractors": registry.FID_EXTRACTORS,
    "FID preprocessings": registry.PREPROCESSINGS,
    "reference splits": registry.REFERENCE_SPLITS,
}
#: Names that are also ordinary words of another concept, and where they may appear as
#: such (``"*"``: anywhere): name -> (modules under src/ or scripts/, why).
EXEMPT: dict[str, tuple[frozenset[str] | str, str]] = {
    "step": ("*", "an optimizer's step, a state key and the toys' step column"),
    "constant": (
        frozenset({"src/cggan/results/tables/published_numbers.py"}),
        "the published table's row kind (constant vs diminishing), as printed",
    ),
    "min": ("*", "Python's and pandas' reductions (min/max/idxmin) and sort orders"),
    "max": ("*", "Python's and pandas' reductions (min/max/idxmin) and sort orders"),
    "momentum": ("*", "also the heavy-ball hyperparameter's name (torch's keyword)"),
    "fid": ("*", "a metric's column name in metrics.csv and summary.json"),
    "kid": ("*", "a metric's column name in metrics.csv and summary.json"),
    "modes": ("*", "a metric's column name in metrics.csv and summary.json"),
    "high_quality": ("*", "a metric's column name in metrics.csv and summary.json"),
    "train": ("*", "a dataset's split (each loader's train/test) and a training phase"),
    "test": (
        "*",
        "a dataset's split (each loader's train/test) and a statistical test",
    ),
    "dy": (
        frozenset({"src/cggan/optim/cg_rules.py"}),
        "the inner product dᵀy of the β formulas, not the DY rule",
    ),
    "adam": (
        frozenset(
            {
                "src/cggan/optim/graft.py",
                "src/cggan/results/tables/published_numbers.py",
            }
        ),
        "Graft's child update rules; the published table's columns, as printed",
    ),
    "sgd": (
        frozenset(
            {
                "src/cggan/optim/graft.py",
                "src/cggan/results/tables/published_numbers.py",
            }
        ),
        "Graft's child update rules; the published table's columns, as printed",
    ),
}
#: The published table transcribes the CG paper's README under this project's names
#: (``test_published_names_are_registry_names`` checks them against the registry).
for _name in registry.CG_METHODS | {registry.LR_STEP_AUTHORS}:
    EXEMPT.setdefault(
        _name,
        (
            frozenset({"src/cggan/results/tables/published_numbers.py"}),
            "the published table",
        ),
    )


def _string_constants(tree: ast.Module):
    """Every string constant of a module but docstrings and ``__all__`` entries."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                skip.add(id(value))
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            skip |= {id(n) for n in ast.walk(node.value)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
        ):
            yield node


def test_each_registry_name_is_spelled_in_registry_py_only():
    names = {name for group in NAME_GROUPS.values() for name in group}
    files = sorted((ROOT / "src").rglob("*.py")) + sorted(
        (ROOT / "scripts").rglob("*.py")
    )
    strays = []
    spelled_in_registry = set()
    for path in files:
        where = path.relative_to(ROOT).as_posix()
        for node in _string_constants(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.value
            if name not in names:
                continue
            if where == "src/cggan/registry.py":
                spelled_in_registry.add(name)
                continue
            modules, _why = EXEMPT.get(name, (frozenset(), ""))
            if modules != "*" and where not in modules:
                strays.append(f"{where}:{node.lineno}: {name!r}")
    assert not strays, "import the registry's constant instead:\n" + "\n".join(strays)
    # every name, but those built from others (cg_<rule>...), is spelled there
    assert names - registry.CG_METHODS <= spelled_in_registry


def test_published_names_are_registry_names():
    from cggan.results.tables.published_numbers import PUBLISHED

    for rules in PUBLISHED.values():
        for statistics in rules.values():
            for methods in statistics.values():
                assert set(methods) <= set(registry.METHODS)


def test_importing_the_registry_does_not_import_torch():
    code = "import sys, cggan.registry, cggan.study; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"
