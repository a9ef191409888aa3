"""Every bad value gets one line at planning, before any job (issue 17, item 4).

Found by the fault probe: a string in a hyperparameter the matched-momentum check reads
(`beta_coeff: ["1.0x"]`) gave a 6-line TypeError traceback at planning; schema-valid
but invalid hyperparameters (`scope: [bogus]`, `betas: [0.9]`) and `eval.n_samples: 1`
were accepted and failed in every job; `iterations: 10**30` was accepted; a `z_dim` of
10^9 was retried as a transient failure (exit 75); a duplicated YAML key silently took
the last value; `data_root: ./results/data` refused a study made with `results/data`.
The fast tests check the planning code (cggan.study, cggan.study.config_checks) and
the job script; `test_bad_values_fail_snakemake_n_with_one_line` runs `snakemake -n`
on each.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from cggan.hparams import HPARAM_CHECKS, SCOPES, check_hparam
from cggan.io import load_yaml
from cggan.registry import METHOD_HPARAMS
from cggan.spec import RunSpec, spec_difference
from cggan.study import Study
from cggan.study.config_checks import format_schema_error
from cggan.study.existing_runs import check_existing_runs
from cggan.study.run_specs import check_run_specs
from pipeline.conftest import REPO, copy_repo, snakemake

SCHEMA = REPO / "workflow/schemas/config.schema.yaml"


def _ci() -> dict:
    return yaml.safe_load((REPO / "config/ci.yaml").read_text())


def _validated(config: dict) -> dict:
    """The config as the workflow sees it (schema defaults filled in)."""
    from snakemake.utils import validate

    validate(config, str(SCHEMA))
    return config


def _schema_error(config: dict) -> str | None:
    """The one line the workflow prints for a schema error (None: valid)."""
    import jsonschema

    schema = yaml.safe_load(SCHEMA.read_text())
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(config))
    return format_schema_error(errors[0]) if errors else None


def _planning_error(config: dict) -> str:
    with pytest.raises(ValueError) as info:
        check_run_specs(Study(_validated(config)))
    message = str(info.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------- method hyperparameters
HPARAM_CASES = {
    "beta_coeff string": (
        "cg_fr",
        {"beta_coeff": ["1.0x"]},
        "methods.cg_fr.beta_coeff",
    ),
    "beta_coeff negative": (
        "cg_fr",
        {"beta_coeff": [-0.5]},
        "methods.cg_fr.beta_coeff",
    ),
    "scope bogus": ("cg_fr", {"scope": ["bogus"]}, "methods.cg_fr.scope"),
    "betas not a pair": ("adam", {"betas": [0.9]}, "methods.adam.betas"),
    "betas above 1": ("adam", {"betas": [[0.5, 1.5]]}, "methods.adam.betas[1]"),
    "momentum string": ("momentum", {"momentum": ["0.9"]}, "methods.momentum.momentum"),
}


@pytest.mark.parametrize("name", list(HPARAM_CASES))
def test_a_bad_hyperparameter_is_one_line_at_planning(name):
    method, values, key = HPARAM_CASES[name]
    config = _ci()
    config["methods"][method] = values
    assert _schema_error(config) is None  # schema-valid: only planning can tell
    message = _planning_error(config)
    assert message.startswith(f"Invalid {key}:"), message
    assert "allowed" in message


def test_every_swept_hyperparameter_has_a_torch_free_check():
    from cggan.optim.base import SCOPES as OPTIM_SCOPES

    assert set().union(*METHOD_HPARAMS.values()) == set(HPARAM_CHECKS)
    assert SCOPES == OPTIM_SCOPES


CANDIDATES = {
    "beta_coeff": [0.0, 0.5, 1.0, 2.0, -0.5, "1.0x", None, math.nan, math.inf, True],
    "momentum": [0.0, 0.5, 0.99, -0.1, 1.0, 1.5, "0.9", None, math.nan],
    "betas": [
        [0.5, 0.999],
        [0.0, 0.0],
        [0.9],
        [1.0, 0.9],
        [0.5, "x"],
        0.9,
        [0.1, 0.2, 0.3],
        [-0.1, 0.9],
        None,
    ],
    "scope": ["tensor", "player", "bogus", None, 1],
    "gamma": [0.5, 1.0, 0.0, -1.0, math.inf, "1", None],
}
METHODS_OF = {
    "beta_coeff": ["cg_fr", "cg_hz_authors"],
    "momentum": ["momentum", "nsgda"],
    "betas": ["adam", "graft_adam_sgd", "graft_sgd_adam"],
    "scope": ["cg_prp", "nsgda", "graft_adam_sgd"],
    "gamma": ["pm", "co"],
}


def _builds_and_steps(method: str, name: str, value) -> bool:
    """Whether a job could build the method with this value and take one step."""
    import torch

    from cggan.methods import build_method

    value = list(value) if isinstance(value, list) else value
    params = [torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2))]
    try:
        built = build_method(
            method, params[:1], params[1:], lr_g=0.1, lr_d=0.1, **{name: value}
        )
        for p in params:
            p.grad = torch.full_like(p, 0.5)
        built.opt_g.step()
        built.opt_d.step()
    except Exception:  # noqa: BLE001 - any failure is a job that fails
        return False
    return True


def _planning_accepts(name: str, value) -> bool:
    try:
        check_hparam(f"methods.m.{name}", name, value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_planning_refuses_every_value_a_job_would_fail_on(name):
    """The planning check is the constructors' check or stricter, never looser."""
    refused_by_jobs = 0
    for method in METHODS_OF[name]:
        for value in CANDIDATES[name]:
            job_ok = _builds_and_steps(method, name, value)
            refused_by_jobs += not job_ok
            if not job_ok:
                assert not _planning_accepts(name, value), (method, value)
            if _planning_accepts(name, value):
                assert job_ok, (method, value)
    assert refused_by_jobs  # the candidates do exercise the constructors' checks


def test_matched_momentum_check_never_sees_a_bad_value():
    # today's main: TypeError (can't multiply sequence by non-int of type 'float')
    config = _ci()
    config["methods"]["cg_fr"] = {"beta_coeff": ["1.0x", 1.0]}
    with pytest.raises(
        ValueError, match=r"^Invalid methods\.cg_fr\.beta_coeff: '1\.0x'"
    ):
        Study(_validated(config))


# ------------------------------------------------------------------ sizes and samples
def test_n_samples_below_two_is_refused_by_the_schema_and_the_spec():
    config = _ci()
    config["experiments"]["ring8"]["eval"]["n_samples"] = 1
    error = _schema_error(config)
    assert error and error.startswith("Invalid experiments.ring8.eval.n_samples: 1")
    study = Study(_validated(_ci()))
    spec = study.run_spec_of(study.sweep_run_dirs("ring8")[0])
    spec["eval"]["n_samples"] = 1
    with pytest.raises(ValueError, match=r"^Invalid eval\.n_samples: 1 .*>= 2"):
        RunSpec.from_dict(spec)
    spec["eval"]["n_samples"] = 2
    RunSpec.from_dict(spec)  # the schema's minimum is the spec's


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["experiments", "ring8", "iterations"], 10**30),
        (["experiments", "ring8", "iterations"], 10**7 + 1),
        (["experiments", "ring8", "z_dim"], 10**9),
        (["experiments", "ring8", "model_kwargs", "hidden"], 10**6),
        (["experiments", "ring8", "model_kwargs", "depth"], 1000),
        (["experiments", "digits", "model_kwargs", "ngf"], 10**5),
        (["experiments", "ring8", "batch_size"], 10**6),
        (["experiments", "ring8", "eval", "n_samples"], 10**9),
    ],
)
def test_absurd_sizes_are_refused_by_the_schema(path, value):
    config = _ci()
    target = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    error = _schema_error(config)
    assert error is not None, f"{path} = {value} accepted"
    assert error.startswith(f"Invalid {'.'.join(path)}: {value}"), error
    assert "\n" not in error and "maximum" in error


def test_the_documented_bounds_are_the_schema_s():
    schema = yaml.safe_load(SCHEMA.read_text())
    experiment = schema["$defs"]["experiment"]["properties"]
    doc = (REPO / "docs/configuration.md").read_text()
    bounds = {
        "iterations": experiment["iterations"]["maximum"],
        "z_dim": experiment["z_dim"]["maximum"],
        "widths": experiment["model_kwargs"]["properties"]["ngf"]["maximum"],
    }
    assert bounds == {"iterations": 10**7, "z_dim": 4096, "widths": 4096}
    for text in ("10^7", "4096", "n_samples"):
        assert text in doc


def test_an_allocation_beyond_memory_is_a_configuration_error(tmp_path):
    """A model that cannot fit in this machine's memory: exit 2, one line, no summary
    (it was exit 75, "run again to retry", and the SLURM profile retried it)."""
    study = Study(_validated(_ci()))
    spec = study.run_spec_of(study.sweep_run_dirs("ring8")[0])
    spec["model"]["z_dim"] = 10**12  # a weight matrix of 10^14 bytes
    spec["dataset"]["root"] = str(tmp_path / "data")
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts/train.py"), "--spec", json.dumps(spec)]
        + ["--out", str(out), "--device", "cpu", "--failure-exit-code", "0"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot fit" in errors[0], proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert not (out / "summary.json").exists()


@pytest.mark.parametrize(
    ("message", "beyond"),
    [
        ("DefaultCPUAllocator: not enough memory: you tried to allocate "
         f"{2**70} bytes.", True),
        ("DefaultCPUAllocator: not enough memory: you tried to allocate 1024 bytes.",
         False),
        ("CUDA out of memory. Tried to allocate 3.73 TiB. GPU 0 has a total capacity "
         "of 79.19 GiB of which 78.5 GiB is free.", True),
        ("CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity "
         "of 79.19 GiB of which 1.5 GiB is free.", False),
        ("can't allocate memory", False),
    ],
)  # fmt: skip
def test_only_an_allocation_larger_than_the_device_is_a_configuration_error(
    message, beyond
):
    from cggan.runtime import allocation_beyond_memory, is_environment_failure

    exc = RuntimeError(message)
    assert (allocation_beyond_memory(exc) is not None) is beyond
    assert is_environment_failure(exc) is not beyond  # a shortage is still retried


# ------------------------------------------------------------------------ YAML keys
def test_a_duplicated_yaml_key_is_refused_with_its_lines(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\n")
    with pytest.raises(ValueError) as info:
        load_yaml(path)
    message = str(info.value)
    assert message.startswith(f"Invalid {path}: duplicated key 'x'")
    assert "lines 3 and 5" in message and "\n" not in message
    path.write_text("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 3\n")
    assert load_yaml(path)["other"] == {"x": 3, "y": 2}  # a merge key may be overridden


def test_every_config_file_loads_with_the_project_loader():
    for path in sorted((REPO / "config").glob("*.yaml")):
        assert load_yaml(path) == yaml.safe_load(path.read_text()), path


# ---------------------------------------------------------------------- data_root
def test_the_data_root_spelling_is_not_part_of_a_run_s_identity(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = Study(_validated(_ci()))
    run = made.sweep_run_dirs("ring8")[0]
    stored = made.run_spec_of(run)
    Path(run).mkdir(parents=True)
    Path(run, "summary.json").write_text(
        json.dumps({"status": "finished", "spec": stored})
    )
    for root in ("./results/data", "results/data/", "results//data"):
        config = _ci()
        config["data_root"] = root
        study = Study(_validated(config))
        spec = study.run_spec_of(run)
        assert spec["dataset"]["root"] == "results/data"  # one spelling
        assert check_existing_runs(study).checked == 1  # not "a different config"
    moved = copy.deepcopy(stored)
    moved["dataset"]["root"] = "/elsewhere/data"
    assert spec_difference(moved, stored) == []  # nor a moved cache
    other = copy.deepcopy(stored)
    other["dataset"]["name"] = "grid25"
    assert spec_difference(other, stored) == ["dataset.name"]


# ------------------------------------------------------------- planning stays cheap
def test_planning_builds_every_run_spec_without_torch():
    code = (
        "import sys, time, yaml\n"
        "from snakemake.utils import validate\n"
        "from cggan.study.run_specs import check_run_specs\n"
        "from cggan.study import Study\n"
        f"c = yaml.safe_load(open({str(REPO / 'config/paper.yaml')!r}))\n"
        f"validate(c, {str(SCHEMA)!r})\n"
        "s = Study(c)\n"
        "t = time.process_time()\n"
        "n = check_run_specs(s)\n"
        "print(n, s.n_sweep_runs, time.process_time() - t)\n"
        "assert 'torch' not in sys.modules\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    built, planned, cpu = proc.stdout.split()
    assert int(built) == int(planned) > 1000
    assert float(cpu) < 5.0  # CPU seconds for the paper's grid


# ---------------------------------------------------------------- snakemake -n
def _dup_key_text() -> str:
    text = (REPO / "config/ci.yaml").read_text()
    return text.replace("  digits:\n", "  digits:\n    iterations: 7\n", 1)


def _set(path, value):
    def mutate(config):
        target = config
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


SNAKEMAKE_CASES = {
    "beta_coeff string": (
        _set(["methods", "cg_fr"], {"beta_coeff": ["1.0x"]}),
        "methods.cg_fr.beta_coeff",
    ),
    "scope bogus": (
        _set(["methods", "cg_fr"], {"scope": ["bogus"]}),
        "methods.cg_fr.scope",
    ),
    "betas not a pair": (
        _set(["methods", "adam"], {"betas": [0.9]}),
        "methods.adam.betas",
    ),
    "n_samples 1": (
        _set(["experiments", "ring8", "eval", "n_samples"], 1),
        "experiments.ring8.eval.n_samples",
    ),
    "iterations 10**30": (
        _set(["experiments", "ring8", "iterations"], 10**30),
        "experiments.ring8.iterations",
    ),
    "z_dim 10**9": (
        _set(["experiments", "ring8", "z_dim"], 10**9),
        "experiments.ring8.z_dim",
    ),
    "duplicated key": (None, "duplicated_key.yaml: duplicated key 'iterations'"),
}  # fmt: skip


@pytest.mark.slow
def test_bad_values_fail_snakemake_n_with_one_line(tmp_path):
    root = copy_repo(tmp_path / "repo")

    def dry_run(name):
        mutate, _ = SNAKEMAKE_CASES[name]
        path = root / "config" / (name.replace(" ", "_").replace("*", "") + ".yaml")
        if mutate is None:
            path.write_text(_dup_key_text())
        else:
            config = _ci()
            mutate(config)
            path.write_text(yaml.safe_dump(config))
        return snakemake(
            ["-n", "--configfile", str(path.relative_to(root))],
            root,
            check=False,
            timeout=300,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(SNAKEMAKE_CASES, pool.map(dry_run, SNAKEMAKE_CASES)))
    for name, proc in results.items():
        out = proc.stdout + proc.stderr
        key = SNAKEMAKE_CASES[name][1]
        assert proc.returncode != 0, (name, out[-2000:])
        assert "Traceback" not in out, (name, out[-3000:])
        lines = [line for line in out.splitlines() if line.startswith("Invalid ")]
        assert len(lines) == 1, (name, out[-3000:])
        if name == "duplicated key":  # the path as Snakemake passes it
            assert key in lines[0], lines[0]
        else:
            assert lines[0].startswith(f"Invalid {key}"), (name, lines[0])
    assert not (root / "results").exists()  # nothing ran


@pytest.mark.slow
def test_a_data_root_spelled_differently_plans_the_existing_study(tmp_path):
    root = copy_repo(tmp_path / "repo")
    study = Study(_validated(_ci()))
    run = study.sweep_run_dirs("ring8")[0]
    (root / run).mkdir(parents=True)
    (root / run / "summary.json").write_text(
        json.dumps({"status": "finished", "spec": study.run_spec_of(run)})
    )
    config = _ci()
    config["data_root"] = "./results/data"
    (root / "config/dotted.yaml").write_text(yaml.safe_dump(config))
    proc = snakemake(["-n", "--configfile", "config/dotted.yaml"], root, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "different config" not in out
