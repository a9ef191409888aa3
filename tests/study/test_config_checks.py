"""Tests of cggan.study.config_checks: every invalid config fails with one line naming
its key."""

from __future__ import annotations

import copy

import pytest

from cggan import study as cs
from cggan.study.config_checks import matched_momentum_values

from .builders import make_config


def test_a_study_with_cg_runs_the_matched_momentum_control():
    config = make_config()
    assert matched_momentum_values(config["methods"], ["sgd", "cg_fr"]) == [
        0.25,
        0.5,
        0.9,
    ]
    assert matched_momentum_values(config["methods"], ["sgd", "adam"]) == []
    config["methods"]["momentum"] = {"momentum": [0.9]}
    with pytest.raises(ValueError) as info:
        cs.Study(config)
    assert str(info.value).startswith(
        "Invalid methods.momentum.momentum: [0.9] (allowed: "
        "a list including [0.25, 0.5, 0.9]"
    )
    config = make_config()
    config["experiments"]["ring8"]["methods"] = ["sgd", "cg_fr"]
    with pytest.raises(ValueError, match=r"^Invalid experiments.ring8.methods"):
        cs.Study(config)
    config = make_config()
    del config["methods"]["cg_fr"]
    config["experiments"]["ring8"]["methods"] = ["sgd"]
    config["methods"]["momentum"] = {}
    cs.Study(config)  # no CG: no control needed


def _bad(mutate):
    config = make_config()
    mutate(config)
    return config


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda c: c["methods"].update(nope={}), "methods.nope"),
        (lambda c: c["methods"].update(iu={}), "experiments.digits.methods"),
        (lambda c: c["methods"]["cg_fr"].update(gamma=[1.0]), "methods.cg_fr.gamma"),
        (
            lambda c: c["methods"]["cg_fr"].update(beta_coeff=[]),
            "methods.cg_fr.beta_coeff",
        ),
        (
            lambda c: c["lr_rules"].update(cosine={"lr_d": [1.0], "lr_g": [1.0]}),
            "lr_rules.cosine",
        ),
        (
            lambda c: c["lr_rules"]["constant"].update(lr_d=[-1e-3]),
            "lr_rules.constant.lr_d",
        ),
        (
            lambda c: c["lr_rules"]["constant"].update(lr_g=["1e-3"]),
            "lr_rules.constant.lr_g",
        ),
        (lambda c: c["methods"]["adam"].update(lr_g=[0.0]), "methods.adam.lr_g"),
        (
            lambda c: c["lr_rules"]["power"].update(kwargs={"eta_g": 0.5}),
            "lr_rules.power.kwargs.eta_d",
        ),
        (
            lambda c: c["lr_rules"]["power"].update(
                kwargs={"eta_g": 0.5, "eta_d": 0.5, "x": 1}
            ),
            "lr_rules.power.kwargs.x",
        ),
        (lambda c: c.update(seeds=[0, 1, 0]), "seeds"),
        (lambda c: c.update(sweep_seeds=[0, 1], seeds=[1, 2]), "seeds"),
        (lambda c: c.update(sweep_seeds=[3, 3]), "sweep_seeds"),
        (
            lambda c: c["experiments"]["digits"]["eval"].update(every=400),
            "experiments.digits.eval.every",
        ),
        (
            lambda c: c.setdefault("analysis", {}).update(budgets=[0.5]),
            "analysis.budgets",
        ),
        (
            lambda c: c.setdefault("analysis", {}).update(budgets=[0.25, 1.0]),
            "experiments.digits.eval.every",
        ),
        (
            lambda c: c["experiments"]["ring8"].update(methods=["adam", "pm"]),
            "experiments.ring8.methods",
        ),
        (
            lambda c: c["experiments"]["digits"]["eval"].update(metric="modes"),
            "experiments.digits.eval.metric",
        ),
        (
            lambda c: c["experiments"]["ring8"].update(
                dataset="cifar10", image_size=32
            ),
            "experiments.ring8.eval.metric",
        ),
        (
            lambda c: c["experiments"].update(
                d2=copy.deepcopy(c["experiments"]["digits"]) | {"image_size": 32}
            ),
            "experiments.d2.image_size",
        ),
        (lambda c: c.update(experiments={}), "experiments"),
        # planning-time checks: what would otherwise fail inside every job
        (
            lambda c: c["experiments"]["digits"]["eval"].update(n_samples=5000),
            "experiments.digits.eval.n_samples",
        ),
        (
            lambda c: c["experiments"]["digits"]["eval"].update(reference_n=1438),
            "experiments.digits.eval.reference_n",
        ),
        (
            lambda c: c["experiments"]["digits"]["eval"].update(
                reference_split="test", reference_n=361
            ),
            "experiments.digits.eval.reference_n",
        ),
        (
            lambda c: c["experiments"]["digits"].update(batch_size=2000),
            "experiments.digits.batch_size",
        ),
        (
            lambda c: c["experiments"]["digits"].update(image_size=64),
            "experiments.digits.image_size",
        ),
        (
            lambda c: c["experiments"]["digits"].update(model_kwargs={"width": 3}),
            "experiments.digits.model_kwargs.width",
        ),
        (
            lambda c: c["lr_rules"]["power"].update(
                kwargs={"eta_g": 1.5, "eta_d": 0.5}
            ),
            "lr_rules.power.kwargs.eta_g",
        ),
        (
            lambda c: c["lr_rules"].update(
                step_authors={
                    "lr_d": [1e-3],
                    "lr_g": [1e-3],
                    "kwargs": {"step_size": "10K", "gamma": 0.81},
                }
            ),
            "lr_rules.step_authors.kwargs.step_size",
        ),
        (
            lambda c: c["methods"]["momentum"].update(momentum=[0.25, 0.5, 0.9, 1.0]),
            "methods.momentum.momentum",
        ),
        (lambda c: c.update(study=".."), "study"),
        (lambda c: c.update(study="."), "study"),
        (lambda c: c.update(study="a/b"), "study"),
    ],
)
def test_bad_config_fails_with_one_line_naming_the_key(mutate, key):
    with pytest.raises(ValueError) as info:
        cs.Study(_bad(mutate))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"Invalid {key}:"), message
    assert "allowed" in message


def test_schema_errors_become_one_line_naming_the_key():
    jsonschema = pytest.importorskip("jsonschema")
    yaml = pytest.importorskip("yaml")
    from pathlib import Path

    schema = yaml.safe_load(
        (Path(__file__).parents[2] / "workflow/schemas/config.schema.yaml").read_text()
    )
    validator = jsonschema.Draft202012Validator(schema)

    def first_error(config):
        return cs.format_schema_error(next(iter(validator.iter_errors(config))))

    c = make_config()
    c["lr_rules"]["constant"]["lr_g"] = ["1e-3"]
    assert first_error(c).startswith("Invalid lr_rules.constant.lr_g[0]: '1e-3' (")
    assert "write 1.0e-3" in first_error(c)
    c = make_config()
    del c["methods"]
    assert first_error(c).startswith("Invalid methods: missing")
    c = make_config()
    c["experiments"]["digits"]["modell"] = "dcgan"
    msg = first_error(c)
    assert msg.startswith(
        "Invalid experiments.digits.modell: unknown key (allowed: dataset,"
    )
    c = make_config()
    c["methods"]["adamw"] = {}
    assert first_error(c).startswith("Invalid methods: 'adamw' (allowed: sgd, momentum")
