"""Tests of cggan.study: grid expansion, setting ids, run specs,
selection, validation."""

from __future__ import annotations

import copy
import json
import math

import pytest

from cggan import study as cs
from cggan.study.config_checks import matched_momentum_values
from cggan.study.existing_runs import first_difference


def make_config(**overrides):
    """A small, valid, schema-complete config (defaults written out as the
    schema fills them)."""
    config = {
        "study": "t",
        "data_root": "results/data",
        "download": False,
        "device": "cpu",
        "fid": {"inception_weights": None},
        "experiments": {
            "digits": {
                "dataset": "digits",
                "image_size": 16,
                "model": "dcgan",
                "model_kwargs": {"ngf": 8, "ndf": 8},
                "z_dim": 16,
                "loss": "bce",
                "n_critic": 1,
                "batch_size": 32,
                "iterations": 40,
                "checkpoint_every": 20,
                "methods": None,
                "lr_rules": None,
                "eval": {
                    "metric": "fid",
                    "every": 20,
                    "n_samples": 200,
                    "batch_size": 100,
                    "extractor": "classifier",
                    "dims": 128,
                    "reference_split": "train",
                    "reference_n": 1437,
                },
            },
            "ring8": {
                "dataset": "ring8",
                "image_size": None,
                "model": "mlp",
                "model_kwargs": {},
                "z_dim": 8,
                "loss": "bce",
                "n_critic": 1,
                "batch_size": 64,
                "iterations": 50,
                "checkpoint_every": 50,
                "methods": ["sgd", "momentum", "cg_fr"],
                "lr_rules": ["constant"],
                "eval": {
                    "metric": "modes",
                    "every": 50,
                    "n_samples": 500,
                    "batch_size": 500,
                    "extractor": "classifier",
                    "dims": 2048,
                    "reference_split": "train",
                    "reference_n": 10000,
                },
            },
        },
        "methods": {
            "sgd": {},
            "momentum": {"momentum": [0.25, 0.5, 0.9]},
            "adam": {"lr_g": [1e-4]},
            "cg_fr": {"beta_coeff": [0.5, 1.0]},
        },
        "lr_rules": {
            "constant": {
                "lr_d": [1e-3, 5e-4],
                "lr_g": [1e-3, 5e-4, 1e-4],
                "kwargs": {},
            },
            "power": {
                "lr_d": [1e-2],
                "lr_g": [1e-2],
                "kwargs": {"eta_g": 0.6, "eta_d": 0.7},
            },
        },
        "sweep_seed": 0,
        "seeds": [1, 2, 3],
        "selection": {"by": "final"},
        "aggregate": {"top_k": 10, "confidence": 0.95},
        "toy": {"enabled": False},
    }
    config.update(overrides)
    return config


# --- grid -----------------------------------------------------------------------------
def test_grid_counts_follow_the_product_of_the_axes():
    st = cs.Study(make_config())
    # digits: every method x both rules. constant: sgd 2x3, momentum 2x3x3, adam 2x1
    # (own lr_g), cg_fr 2x3x2; power: sgd 1, momentum 3, adam 1x1, cg_fr 1x2.
    digits = (2 * 3 + 2 * 3 * 3 + 2 * 1 + 2 * 3 * 2) + (1 + 3 + 1 + 2)
    ring8 = 2 * 3 + 2 * 3 * 3 + 2 * 3 * 2  # sgd, momentum, cg_fr; constant only
    assert len(st.sweep_run_dirs("digits")) == digits
    assert len(st.sweep_run_dirs("ring8")) == ring8
    assert st.n_sweep_runs == digits + ring8
    assert st.groups("ring8") == [
        ("sgd", "constant"),
        ("momentum", "constant"),
        ("cg_fr", "constant"),
    ]


def test_sweep_run_dirs_are_unique_and_follow_the_layout():
    st = cs.Study(make_config())
    dirs = st.sweep_run_dirs()
    assert len(dirs) == len(set(dirs))
    d = st.sweep_run_dirs("digits")[0]
    assert d.startswith("results/runs/t/digits/sgd/constant/lr_d~")
    assert d.endswith("/seed0")
    assert cs.parse_run_dir(d + "/summary.json") == {
        "study": "t",
        "experiment": "digits",
        "method": "sgd",
        "lr_rule": "constant",
        "setting": d.split("/")[-2],
        "seed": 0,
    }


def test_setting_id_is_stable_readable_and_order_independent():
    a = cs.setting_id(5e-5, 0.001, {"scope": "tensor", "beta_coeff": 0.5})
    b = cs.setting_id(0.00005, 1e-3, {"beta_coeff": 0.5, "scope": "tensor"})
    assert a == b == "lr_d~5e-05_lr_g~0.001_beta_coeff~0.5_scope~tensor"
    assert (
        cs.setting_id(1, 2, {"betas": [0.5, 0.999]})
        == "lr_d~1.0_lr_g~2.0_betas~0.5x0.999"
    )
    assert cs.setting_id(1e-3, 1e-3, {}) != cs.setting_id(1e-3, 1e-4, {})


def test_confirmation_seeds_are_fresh():
    st = cs.Study(make_config())
    sid = next(iter(st.settings("digits", "sgd", "constant")))
    selection = {
        "experiment": "digits",
        "selected": [{"method": "sgd", "lr_rule": "constant", "setting": sid}],
    }
    confirm = st.confirmation_run_dirs(selection)
    assert len(confirm) == 3
    assert not set(confirm) & set(st.sweep_run_dirs("digits"))
    with pytest.raises(
        ValueError, match=r"^Invalid seeds: \[0, 1\] \(allowed: seeds other"
    ):
        cs.Study(make_config(seeds=[0, 1]))


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


# --- specs ----------------------------------------------------------------------------
def test_run_spec_has_the_contract_shape():
    st = cs.Study(make_config())
    sid = cs.setting_id(1e-3, 5e-4, {"beta_coeff": 0.5})
    spec = st.run_spec("digits", "cg_fr", "constant", sid, 2)
    assert spec == {
        "study": "t",
        "experiment": "digits",
        "dataset": {"name": "digits", "image_size": 16, "root": "results/data"},
        "model": {"name": "dcgan", "z_dim": 16, "kwargs": {"ngf": 8, "ndf": 8}},
        "loss": "bce",
        "n_critic": 1,
        "batch_size": 32,
        "iterations": 40,
        "method": "cg_fr",
        "method_kwargs": {"beta_coeff": 0.5},
        "lr_rule": "constant",
        "lr_rule_kwargs": {},
        "lr_g": 5e-4,
        "lr_d": 1e-3,
        "seed": 2,
        "eval": {
            "metric": "fid",
            "every": 20,
            "n_samples": 200,
            "batch_size": 100,
            "extractor": "classifier",
            "dims": 128,
            "reference_split": "train",
            "reference_n": 1437,
            "preprocessing": "fixed",
        },
        "checkpoint_every": 20,
    }
    assert json.loads(json.dumps(spec)) == spec  # the workflow passes it as JSON
    power = st.run_spec(
        "ring8" if False else "digits", "sgd", "power", cs.setting_id(1e-2, 1e-2, {}), 0
    )
    assert power["lr_rule_kwargs"] == {"eta_g": 0.6, "eta_d": 0.7}
    ring = st.run_spec("ring8", "sgd", "constant", cs.setting_id(1e-3, 1e-3, {}), 0)
    assert ring["dataset"]["image_size"] is None and ring["eval"]["metric"] == "modes"
    # no FID protocol for mode coverage: the spec keeps its earlier shape
    assert set(ring["eval"]) == {"metric", "every", "n_samples", "batch_size"}
    with pytest.raises(ValueError, match="Invalid setting"):
        st.run_spec("digits", "sgd", "constant", "lr_d~9.0_lr_g~9.0", 0)


def test_run_spec_passes_the_trainers_validation():
    from cggan.spec import RunSpec

    st = cs.Study(make_config())
    for exp in st.experiments:
        for method, rule in st.groups(exp):
            sid = next(iter(st.settings(exp, method, rule)))
            spec = st.run_spec(exp, method, rule, sid, 1)
            assert RunSpec.from_json(json.dumps(spec)).to_dict() == spec


def test_run_spec_carries_the_reference_split_and_preprocessing():
    config = make_config()
    config["experiments"]["digits"]["eval"].update(
        reference_split="test", reference_n=360, preprocessing="minmax"
    )
    st = cs.Study(config)
    sid = next(iter(st.settings("digits", "sgd", "constant")))
    ev = st.run_spec("digits", "sgd", "constant", sid, 1)["eval"]
    assert ev["reference_split"] == "test" and ev["reference_n"] == 360
    assert ev["preprocessing"] == "minmax"


def test_run_spec_of_an_existing_run_stored_before_the_fid_protocol_keys_matches():
    from cggan.spec import spec_difference, with_added_keys

    st = cs.Study(make_config())
    sid = next(iter(st.settings("digits", "sgd", "constant")))
    wanted = st.run_spec("digits", "sgd", "constant", sid, 1)
    stored = json.loads(json.dumps(wanted))
    for key in ("extractor", "dims", "reference_split", "reference_n", "preprocessing"):
        del stored["eval"][key]  # a summary.json written before these keys existed
    assert first_difference(with_added_keys(stored, wanted), wanted) is None
    assert spec_difference(stored, wanted) == []


def test_fid_stats_path_uses_the_metrics_file_name():
    from cggan.metrics import stats_filename

    args = ("digits", 16, "train", "classifier", 128, 1437)
    st = cs.Study(make_config())
    assert st.fid_stats_path("digits") == f"results/fid_stats/{stats_filename(*args)}"
    assert st.fid_stats_path("ring8") is None


# --- validation -----------------------------------------------------------------------
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


# --- existing results -----------------------------------------------------------------
def test_existing_run_with_a_different_spec_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    st = cs.Study(make_config())
    run = st.sweep_run_dirs("digits")[0]
    where = cs.parse_run_dir(run)
    spec = st.run_spec(
        where["experiment"], where["method"], where["lr_rule"], where["setting"], 0
    )
    (tmp_path / run).mkdir(parents=True)
    (tmp_path / run / "summary.json").write_text(
        json.dumps({"status": "finished", "spec": spec})
    )
    assert cs.check_existing_runs(st).checked == 1

    changed = make_config()
    changed["experiments"]["digits"]["iterations"] = 80
    with pytest.raises(
        ValueError, match=r"iterations: stored 40 != configured 80"
    ) as info:
        cs.check_existing_runs(cs.Study(changed))
    assert "\n" not in str(info.value) and run in str(info.value)

    # A setting the config no longer lists is not part of the DAG: left alone.
    fewer = make_config()
    fewer["lr_rules"]["constant"]["lr_d"] = [5e-4]
    fewer["experiments"]["digits"]["iterations"] = 80
    assert cs.check_existing_runs(cs.Study(fewer)).checked == 0


def _finished_run(tmp_path, st, index=0):
    run = st.sweep_run_dirs("digits")[index]
    where = cs.parse_run_dir(run)
    spec = st.run_spec(
        where["experiment"], where["method"], where["lr_rule"], where["setting"], 0
    )
    (tmp_path / run).mkdir(parents=True)
    (tmp_path / run / "metrics.csv").write_text("iteration,fid\n40,12.5\n")
    from cggan.io import sha256_file

    files = {"metrics.csv": sha256_file(tmp_path / run / "metrics.csv")}
    summary = {"status": "finished", "spec": spec, "final_metric": 12.5, "files": files}
    (tmp_path / run / "summary.json").write_text(json.dumps(summary))
    return tmp_path / run


@pytest.mark.parametrize(
    "damage", ["truncate_summary", "edit_metrics", "delete_metrics"]
)
def test_an_unreadable_run_is_set_aside_and_planned_again(
    tmp_path, monkeypatch, damage
):
    monkeypatch.chdir(tmp_path)
    st = cs.Study(make_config())
    good = _finished_run(tmp_path, st, 0)
    bad = _finished_run(tmp_path, st, 1)
    if damage == "truncate_summary":
        (bad / "summary.json").write_text('{"status": "finished", "spec": {')
    elif damage == "edit_metrics":
        (bad / "metrics.csv").write_text("iteration,fid\n40,1.0\n")
    else:
        (bad / "metrics.csv").unlink()
    check = cs.check_existing_runs(st)
    assert check.checked == 1
    assert [p for p, _ in check.unreadable] == [
        str(bad.relative_to(tmp_path) / "summary.json")
    ]
    reason = check.unreadable[0][1]
    assert "\n" not in reason and str(bad.relative_to(tmp_path)) in reason
    lines = cs.set_aside_unreadable(check.unreadable)
    assert len(lines) == 1 and "retraining" in lines[0]
    assert not (bad / "summary.json").exists()
    assert (bad / "summary.json.unreadable").exists()
    assert (good / "summary.json").exists()
    assert cs.check_existing_runs(st).unreadable == []


def sgd_two_settings_config():
    """One pool (sgd x constant) with two settings (lr_G 1e-3 and 5e-4)."""
    config = make_config()
    config["experiments"]["digits"]["methods"] = ["sgd"]
    config["lr_rules"] = {
        "constant": {"lr_d": [1e-3], "lr_g": [1e-3, 5e-4], "kwargs": {}}
    }
    return config


def test_selection_reads_exactly_the_configured_runs_and_names_a_bad_file(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    st = cs.Study(sgd_two_settings_config())
    with pytest.raises(ValueError, match="missing run summary"):
        cs.select_experiment(st, "digits")
    runs = [_finished_run(tmp_path, st, i) for i in range(2)]
    # a run of a setting the config does not name must not take part
    stray = tmp_path / st.run_dir("digits", "sgd", "constant", "lr_d~0.1_lr_g~0.1", 0)
    stray.mkdir(parents=True)
    (stray / "summary.json").write_text(
        json.dumps({"status": "finished", "final_metric": 0.0, "spec": {}})
    )
    record = cs.select_experiment(st, "digits")
    assert record["groups"][0]["n_runs"] == 2
    (runs[0] / "summary.json").write_text("{")
    with pytest.raises(ValueError) as info:
        cs.select_experiment(st, "digits")
    assert str(runs[0].relative_to(tmp_path) / "summary.json") in str(info.value)


def test_load_study_reads_json_text_or_a_file(tmp_path):
    config = make_config()
    st = cs.load_study(json.dumps(config))
    assert st.n_sweep_runs == cs.Study(config).n_sweep_runs
    path = tmp_path / "study.json"
    path.write_text(json.dumps(config))
    assert cs.load_study(path).name == "t"
    with pytest.raises(ValueError, match="--study-config: invalid JSON"):
        cs.load_study("{not json")


def test_outputs_of_the_default_study_stay_under_results_others_get_their_own():
    assert cs.Study(make_config(study="default")).out_dir == "results"
    assert cs.Study(make_config(study="t2")).out_dir == "results/studies/t2"
    science = cs.Study(make_config()).science_config()
    assert not set(science) & set(cs.EXECUTION_KEYS)


def test_dataset_split_sizes_match_the_offline_data(tmp_path):
    from cggan.data import load_dataset
    from cggan.registry import DATASET_FACTS

    for name in ("digits", "ring8"):
        for split in ("train", "test"):
            data = load_dataset(name, root=tmp_path, split=split)
            assert DATASET_FACTS[name].split_size(split) == data.x.shape[0], (
                name,
                split,
            )


# --- selection ------------------------------------------------------------------------
def _rec(method, rule, setting, status, final, best=None, lr=(1e-3, 1e-3)):
    return {
        "method": method,
        "lr_rule": rule,
        "setting": setting,
        "summary": {
            "status": status,
            "final_metric": final,
            "best_metric": final if best is None else best,
            "spec": {"lr_d": lr[0], "lr_g": lr[1], "method_kwargs": {}},
        },
    }


def test_selection_picks_the_best_finished_run_and_counts_the_others():
    records = [
        _rec("sgd", "constant", "a", "finished", 30.0, best=10.0),
        _rec("sgd", "constant", "b", "finished", 20.0, best=19.0),
        _rec("sgd", "constant", "c", "diverged", 1.0),  # better number, but diverged
        _rec("sgd", "constant", "d", "failed", None),
        _rec("sgd", "constant", "e", "finished", float("nan")),
        _rec("adam", "constant", "x", "failed", None),
    ]
    groups = cs.select_settings(records, by="final", direction="min")
    assert [(g["method"], g["lr_rule"]) for g in groups] == [
        ("adam", "constant"),
        ("sgd", "constant"),
    ]
    adam, sgd = groups
    assert adam["selected"] is None and adam["n_failed"] == 1 and adam["n_runs"] == 1
    assert sgd["selected"]["setting"] == "b" and sgd["selected"]["value"] == 20.0
    assert (
        sgd["n_runs"],
        sgd["n_finished"],
        sgd["n_diverged"],
        sgd["n_failed"],
        sgd["n_no_metric"],
    ) == (5, 3, 1, 1, 1)
    # by best: run a's best (10) wins
    assert cs.select_settings(records, by="best")[1]["selected"]["setting"] == "a"


def test_selection_direction_max_and_deterministic_ties():
    records = [
        _rec("sgd", "sqrt", s, "finished", v)
        for s, v in (("z", 7.0), ("b", 8.0), ("a", 8.0))
    ]
    assert cs.select_settings(records, direction="max")[0]["selected"]["setting"] == "a"
    assert cs.select_settings(records, direction="min")[0]["selected"]["setting"] == "z"
    with pytest.raises(ValueError, match="Invalid selection.by"):
        cs.select_settings(records, by="median")


def test_selection_is_per_pool_so_each_hyperparameter_value_is_confirmed():
    """momentum 0.9 and 0.5 are two pools: each keeps its own best setting."""
    records = [
        _rec("momentum", "constant", f"lr_d~{lr}_lr_g~{lr}_momentum~{m}", "finished", v)
        for lr, m, v in ((0.01, 0.9, 500.0), (0.03, 0.9, 400.0), (0.01, 0.5, 300.0),
                         (0.03, 0.5, 350.0))
    ]  # fmt: skip
    groups = cs.select_settings(records)
    chosen = {g["pool"]: g["selected"]["setting"] for g in groups}
    assert chosen == {
        "momentum~0.5": "lr_d~0.01_lr_g~0.01_momentum~0.5",
        "momentum~0.9": "lr_d~0.03_lr_g~0.03_momentum~0.9",
    }


def test_selection_record_lists_only_groups_with_a_choice():
    groups = cs.select_settings(
        [
            _rec("sgd", "constant", "a", "finished", 3.0),
            _rec("adam", "constant", "b", "diverged", 1.0),
        ]
    )
    rec = cs.selection_record(
        study="t",
        experiment="digits",
        metric="fid",
        groups=groups,
        by="final",
        direction="min",
        sweep_seed=0,
        seeds=[0, 1],
    )
    assert rec["selected"] == [
        {
            "method": "sgd",
            "lr_rule": "constant",
            "pool": "lr grid",
            "setting": "a",
            "lr_d": 1e-3,
            "lr_g": 1e-3,
            "method_kwargs": {},
            "value": 3.0,
        }
    ]
    assert len(rec["groups"]) == 2 and rec["seeds"] == [0, 1]
    assert json.loads(json.dumps(rec, allow_nan=False)) == rec
    assert not any(
        isinstance(v, float) and math.isnan(v) for v in rec["selected"][0].values()
    )


def test_an_experiment_with_no_methods_is_a_grid_of_zero_runs():
    config = make_config()
    config["experiments"]["ring8"]["methods"] = []
    del config["experiments"]["digits"]
    with pytest.raises(
        ValueError, match=r"^Invalid experiments: \['ring8'\] \(allowed: a grid"
    ):
        cs.Study(config)


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


def test_experiment_lr_grid_replaces_the_rule_grid_but_not_a_method_grid():
    config = make_config()
    config["experiments"]["ring8"]["lr_grid"] = {
        "constant": {"lr_d": [0.05], "lr_g": [0.02]}
    }
    config["experiments"]["ring8"]["methods"] = ["sgd", "adam"]
    study = cs.Study(config)
    sgd = list(study.settings("ring8", "sgd", "constant").values())
    assert [(s.lr_d, s.lr_g) for s in sgd] == [(0.05, 0.02)]
    adam = list(study.settings("ring8", "adam", "constant").values())
    assert [(s.lr_d, s.lr_g) for s in adam] == [(0.05, 1e-4)]  # the method's lr_g wins
    digits_sgd = study.settings("digits", "sgd", "constant")
    assert len(digits_sgd) == 6  # the rule's 2 x 3 grid, untouched


def test_experiment_lr_grid_for_a_rule_the_experiment_does_not_run_is_refused():
    config = make_config()
    config["experiments"]["ring8"]["lr_grid"] = {"power": {"lr_d": [0.1]}}
    with pytest.raises(ValueError, match=r"Invalid experiments\.ring8\.lr_grid"):
        cs.Study(config)


def test_building_the_grid_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys, cggan.study\n"
        "assert 'torch' not in sys.modules, 'cggan.study imported torch'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
