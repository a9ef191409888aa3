"""Bad configurations fail `snakemake -n` before any job, with one line naming the key.

Held since the first fault probe (shell metacharacters, paths out of results/, bad
learning rates, duplicate seeds, unknown keys) and the planning-time checks that used to
wait for a job (sample counts and batch sizes against the dataset, image sizes it does
not offer, model kwargs the model does not take, study names that are not
one path component).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from pipeline.conftest import REPO, copy_repo, snakemake


def _ci():
    return yaml.safe_load((REPO / "config/ci.yaml").read_text())


def _unknown_method(c):
    c["methods"]["adamw"] = {}


def _unknown_rule(c):
    c["lr_rules"]["cosine"] = {"lr_d": [1.0e-3], "lr_g": [1.0e-3]}


def _negative_lr(c):
    c["lr_rules"]["constant"]["lr_d"] = [-1.0e-3]


def _missing_key(c):
    del c["experiments"]["digits"]["iterations"]


def _zero_jobs(c):
    for e in c["experiments"].values():
        e["methods"] = []


def _method_not_in_registry_in_sweep(c):
    c["experiments"]["ring8"]["methods"] = [
        "sgd",
        "adam",
        "cg_hz",
    ]  # cg_hz: not configured


def _hparam_not_of_method(c):
    c["methods"]["sgd"] = {"beta_coeff": [0.5]}


def _rule_without_params(c):
    c["lr_rules"]["power"] = {
        "lr_d": [1.0e-3],
        "lr_g": [1.0e-3],
        "kwargs": {"eta_g": 0.6},
    }


def _duplicate_seeds(c):
    c["seeds"] = [0, 1, 0]


def _set(path, value):
    def mutate(c):
        *keys, last = path
        target = c
        for k in keys:
            target = target[k]
        target[last] = value

    return mutate


CASES = {
    "shell metacharacters in the study": (_set(["study"], "x;rm -rf ~"), "study"),
    "study escaping the results": (_set(["study"], "../../etc"), "study"),
    "study dot-dot": (_set(["study"], ".."), "study"),
    "n_samples above the dataset": (
        _set(["experiments", "digits", "eval", "n_samples"], 5000),
        "experiments.digits.eval.n_samples",
    ),
    "reference_n above the dataset": (
        _set(["experiments", "digits", "eval", "reference_n"], 2000),
        "experiments.digits.eval.reference_n",
    ),
    "batch above the dataset": (
        _set(["experiments", "digits", "batch_size"], 4096),
        "experiments.digits.batch_size",
    ),
    "image size not offered": (
        _set(["experiments", "digits", "image_size"], 64),
        "experiments.digits.image_size",
    ),
    "unknown model kwarg": (
        _set(["experiments", "digits", "model_kwargs"], {"width": 8}),
        "experiments.digits.model_kwargs.width",
    ),
    "eta above 1": (
        _set(
            ["lr_rules", "power"],
            {
                "lr_d": [1.0e-3],
                "lr_g": [1.0e-3],
                "kwargs": {"eta_g": 1.5, "eta_d": 0.5},
            },
        ),
        "lr_rules.power.kwargs.eta_g",
    ),
    "unknown method": (_unknown_method, "methods"),
    "unknown lr rule": (_unknown_rule, "lr_rules"),
    "negative learning rate": (_negative_lr, "lr_rules.constant.lr_d[0]"),
    "missing key": (_missing_key, "experiments.digits.iterations"),
    "zero jobs": (_zero_jobs, "experiments"),
    "method of a sweep not configured": (
        _method_not_in_registry_in_sweep,
        "experiments.ring8.methods",
    ),
    "hyperparameter the method lacks": (
        _hparam_not_of_method,
        "methods.sgd.beta_coeff",
    ),
    "rule without its parameters": (
        _rule_without_params,
        "lr_rules.power.kwargs.eta_d",
    ),
    "duplicate seeds": (_duplicate_seeds, "seeds"),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Every bad config's dry run, two at a time, in one shared copy
    of the repository."""
    root = copy_repo(tmp_path_factory.mktemp("validation") / "repo")

    def dry_run(name):
        config = _ci()
        CASES[name][0](config)
        path = root / "config" / (name.replace(" ", "_") + ".yaml")
        path.write_text(yaml.safe_dump(config))
        return snakemake(
            ["-n", "--configfile", str(path.relative_to(root))],
            root,
            check=False,
            timeout=120,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(CASES, pool.map(dry_run, CASES)))
    return root, results


@pytest.mark.parametrize("name", list(CASES))
def test_bad_config_fails_with_one_line_naming_the_key(outcomes, name):
    root, results = outcomes
    proc = results[name]
    key = CASES[name][1]
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-2000:]
    lines = [line for line in out.splitlines() if line.startswith("Invalid ")]
    assert len(lines) == 1, out[-3000:]
    assert lines[0].startswith(f"Invalid {key}:"), lines[0]
    assert "allowed" in lines[0] or "(" in lines[0]
    assert not (root / "results").exists()  # nothing ran


def test_existing_run_from_a_different_config_is_refused(tmp_path):
    root = copy_repo(tmp_path / "repo")
    config = _ci()
    from cggan.study import Study

    study = Study(_with_defaults(config))
    run = study.sweep_run_dirs("ring8")[0]
    spec = json.loads(json.dumps(study.run_spec("ring8", *run.split("/")[4:7], 0)))
    spec["iterations"] += 1  # produced by another config
    (root / run).mkdir(parents=True)
    (root / run / "summary.json").write_text(
        json.dumps({"status": "finished", "spec": spec})
    )
    proc = snakemake(["-n", "--configfile", "config/ci.yaml"], root, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    [line] = [line for line in out.splitlines() if line.startswith("Invalid ")]
    assert run in line and "iterations" in line


def _with_defaults(config):
    """The config as the schema fills it (snakemake.utils.validate
    sets the defaults)."""
    from snakemake.utils import validate

    validate(config, str(REPO / "workflow/schemas/config.schema.yaml"))
    return config
