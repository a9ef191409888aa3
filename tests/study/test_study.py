"""Tests of cggan.study.study: the grid a config expands to, run specs, output paths,
loading a study config. The modules beside it have their own test modules
(test_layout, test_config_checks, test_existing_runs, test_selection)."""

from __future__ import annotations

import json

import pytest

from cggan import study as cs

from .builders import make_config


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
        # the experiment's eval section as configured, with the schema's preprocessing
        "eval": {
            **make_config()["experiments"]["digits"]["eval"],
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


def test_fid_stats_path_uses_the_protocol_file_name():
    from cggan.fid_protocol import FIDProtocol

    protocol = FIDProtocol("digits", 16, "classifier", 128, 1437, "train", "fixed")
    st = cs.Study(make_config())
    assert st.fid_protocol("digits") == protocol and st.fid_protocol("ring8") is None
    assert st.fid_stats == {protocol.stats_stem: protocol}
    path = st.fid_stats_path("digits")
    assert path == f"results/fid_stats/{protocol.stats_filename()}"
    assert st.fid_stats_path("ring8") is None
    assert st.calibration_path("digits") == (
        f"results/calibration/{protocol.calibration_filename(200)}"
    )


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
    # every path: tests/study/test_layout.py (StudyPaths)
    assert cs.Study(make_config(study="default")).paths.out_dir == "results"
    assert cs.Study(make_config(study="t2")).paths.out_dir == "results/studies/t2"
    assert cs.Study(make_config(study="t2")).paths.runs_root == "results/runs/t2"
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


def test_an_experiment_with_no_methods_is_a_grid_of_zero_runs():
    config = make_config()
    config["experiments"]["ring8"]["methods"] = []
    del config["experiments"]["digits"]
    with pytest.raises(
        ValueError, match=r"^Invalid experiments: \['ring8'\] \(allowed: a grid"
    ):
        cs.Study(config)


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
