"""Tests of cggan.study.run_specs: a run's spec, built once per setting and reused for
every seed, and the planning-time check of every planned run's spec."""

from __future__ import annotations

import pytest

from cggan import study as cs
from cggan.study import run_specs
from cggan.study.run_specs import RunSpecs, check_run_specs, run_spec_json

from .builders import make_config


@pytest.fixture
def builds(monkeypatch):
    """Count the specs built (each a validated RunSpec)."""
    made = []

    def counting(*args, **kwargs):
        made.append(args[1:4] + (args[4].id,))
        return run_spec_json(*args, **kwargs)

    monkeypatch.setattr(run_specs, "run_spec_json", counting)
    return made


def test_planning_builds_each_setting_once_and_every_run_reuses_it(builds):
    study = cs.Study(make_config())
    assert check_run_specs(study) == study.n_sweep_runs == len(study.specs)
    assert len(builds) == len(set(builds)) == study.n_sweep_runs
    # every run of every setting, at every seed (the train rules' params, the
    # existing-runs check): no spec built again
    for run in study.sweep_run_dirs():
        for seed in [*study.sweep_seeds, *study.seeds]:
            w = cs.parse_run_dir(run)
            study.run_spec(
                w["experiment"], w["method"], w["lr_rule"], w["setting"], seed
            )
    assert len(builds) == study.n_sweep_runs
    assert check_run_specs(study) == study.n_sweep_runs  # a second check: no build
    assert len(builds) == study.n_sweep_runs


def test_a_reused_spec_is_the_spec_built_for_its_seed():
    config = make_config()
    study = cs.Study(config)
    check_run_specs(study)
    for exp in study.experiments:
        for method, rule in study.groups(exp):
            for sid, setting in study.settings(exp, method, rule).items():
                for seed in study.seeds:
                    fresh = run_spec_json(config, exp, method, rule, setting, seed)
                    assert study.run_spec(exp, method, rule, sid, seed) == fresh
    run = study.sweep_run_dirs("ring8")[0]
    assert study.run_spec_of(run)["seed"] == 0


def test_a_spec_is_a_copy_the_caller_may_change():
    study = cs.Study(make_config())
    run = study.sweep_run_dirs("digits")[0]
    spec = study.run_spec_of(run)
    spec["model"]["kwargs"]["ngf"] = 999
    spec["seed"] = 5
    assert study.run_spec_of(run)["model"]["kwargs"]["ngf"] == 8
    assert study.run_spec_of(run)["seed"] == 0


def test_the_seed_of_a_reused_spec_is_checked_as_the_run_spec_checks_it():
    config = make_config()
    sid = next(iter(cs.Study(config).settings("ring8", "sgd", "constant")))
    fresh = cs.Study(config)
    with pytest.raises(ValueError) as first:
        fresh.run_spec("ring8", "sgd", "constant", sid, -1)  # built: RunSpec's check
    built = cs.Study(config)
    built.run_spec("ring8", "sgd", "constant", sid, 0)
    with pytest.raises(ValueError) as reused:
        built.run_spec("ring8", "sgd", "constant", sid, -1)  # reused: the seed's check
    assert (
        str(reused.value)
        == str(first.value)
        == ("Invalid seed: -1 (allowed: an integer >= 0)")
    )


def test_a_setting_the_study_does_not_have_is_refused():
    study = cs.Study(make_config())
    with pytest.raises(ValueError, match=r"^Invalid setting: 'digits/sgd/constant/x'"):
        study.run_spec("digits", "sgd", "constant", "x", 0)
    with pytest.raises(ValueError, match=r"^Invalid setting: 'ring8/adam/power/x'"):
        study.run_spec("ring8", "adam", "power", "x", 0)  # not a group of ring8
    specs = RunSpecs(make_config(), lambda exp, method, rule: {})
    with pytest.raises(ValueError, match="a setting of the configured sweep"):
        specs.spec("digits", "sgd", "constant", "x", 0)
    assert len(specs) == 0


@pytest.mark.parametrize(
    ("key", "value", "line"),
    [
        ("n_critic", 0, "Invalid experiments.digits.n_critic: 0 (allowed: "),
        ("z_dim", 0, "Invalid experiments.digits.z_dim: 0 (allowed: "),
    ],
)
def test_the_planning_check_names_the_config_key(key, value, line):
    config = make_config()
    config["experiments"]["digits"][key] = value
    study = cs.Study(config)
    with pytest.raises(ValueError) as info:
        check_run_specs(study)
    assert str(info.value).startswith(line)
    assert len(study.specs) == 0  # a refused spec is never kept
