"""Tests of cggan.study.layout: setting ids, the run directory layout and every path of
a study (StudyPaths)."""

from __future__ import annotations

import pytest

from cggan import study as cs
from cggan.study.layout import RULE_LOGS, StudyPaths, summary_path

from .builders import make_config


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


# --- StudyPaths: every path of a study, spelled as the workflow always spelled it -----
WILDCARDS = "{experiment}/{method}/{lr_rule}/{setting}/seed{seed}"


@pytest.mark.parametrize(
    ("name", "out"), [("default", "results"), ("t2", "results/studies/t2")]
)
def test_study_paths_of_the_default_and_a_named_study(name, out):
    p = StudyPaths(name)
    assert p == StudyPaths(name, "results", "results/data")
    # runs, receipts, selection and grid extension: results/<kind>/<study>/...
    assert p.runs_root == f"results/runs/{name}"
    assert p.run_dir_pattern() == f"results/runs/{name}/{WILDCARDS}"
    assert p.run_dir("digits", "sgd", "constant", "lr_d~0.1_lr_g~0.1", 3) == (
        f"results/runs/{name}/digits/sgd/constant/lr_d~0.1_lr_g~0.1/seed3"
    )
    assert p.summary() == f"results/runs/{name}/{WILDCARDS}/summary.json"
    assert p.summary(seed=2) == (
        f"results/runs/{name}/{{experiment}}/{{method}}/{{lr_rule}}/{{setting}}"
        "/seed2/summary.json"
    )
    assert p.receipt() == (
        f"results/chunks/{name}/{{experiment}}/{{method}}/{{lr_rule}}/chunk{{chunk}}.json"
    )
    assert p.receipt(experiment="ring8", method="sgd", lr_rule="constant", chunk=0) == (
        f"results/chunks/{name}/ring8/sgd/constant/chunk0.json"
    )
    assert p.selection("digits") == f"results/selection/{name}/digits.json"
    assert p.extension("digits", 2) == (
        f"results/selection/{name}/digits/extension2.json"
    )
    assert p.extension("{experiment}", "{round}") == (
        f"results/selection/{name}/{{experiment}}/extension{{round}}.json"
    )
    # the study's own outputs: results/ for the default study, else
    # results/studies/<study>
    assert p.out_dir == out
    assert p.table("summary.md") == f"{out}/tables/summary.md"
    assert p.plot("data/beta_{experiment}.csv") == (
        f"{out}/plots/data/beta_{{experiment}}.csv"
    )
    assert p.metrics == f"{out}/metrics.json"
    assert p.toy_dir == f"{out}/toy"
    assert p.toy("bilinear/omd.csv") == f"{out}/toy/bilinear/omd.csv"
    # shared by every study
    assert p.manifest("digits") == "results/data/digits/manifest.json"
    assert p.fid_stats("{stats}.npz") == "results/fid_stats/{stats}.npz"
    assert (
        p.calibration("{calibration}.json") == "results/calibration/{calibration}.json"
    )


def test_every_rule_s_log_is_where_the_rules_always_wrote_it():
    logs = {rule: StudyPaths("t2").log(rule) for rule in RULE_LOGS}
    assert logs == {
        "prepare_data": "results/logs/prepare_data/{dataset}.log",
        "fid_stats": "results/logs/fid_stats/{stats}.log",
        "calibrate": "results/logs/calibration/{calibration}.log",
        "train": f"results/logs/train/t2/{WILDCARDS}.log",
        "train_seeds": (
            "results/logs/train/t2/{experiment}/{method}/{lr_rule}/{setting}/seeds.log"
        ),
        "train_chunk": (
            "results/logs/train/t2/{experiment}/{method}/{lr_rule}/chunk{chunk}.log"
        ),
        "extend_grid": "results/logs/select/t2/{experiment}-extension{round}.log",
        "select_settings": "results/logs/select/t2/{experiment}.log",
        "set_aside": "results/logs/set_aside/{path}.{digest}.{reason}.log",
        "toy_games": "results/logs/toy/t2/games.log",
        "toy_report": "results/logs/toy/t2/report.log",
        "aggregate": "results/logs/aggregate/t2.log",
    }
    assert StudyPaths("t2").log("select_settings", experiment="ring8") == (
        "results/logs/select/t2/ring8.log"
    )
    with pytest.raises(ValueError, match=r"^Invalid rule: 'trian' \(allowed: "):
        StudyPaths("t2").log("trian")


def test_study_paths_follow_the_results_root_and_the_data_root():
    p = StudyPaths("default", "/scratch/res", "/cache/data")
    assert p.out_dir == "/scratch/res"
    assert p.runs_root == "/scratch/res/runs/default"
    assert p.logs == "/scratch/res/logs"
    assert p.manifest("cifar10") == "/cache/data/cifar10/manifest.json"
    assert StudyPaths("t2", "/scratch/res").out_dir == "/scratch/res/studies/t2"
    config = make_config(study="t3", data_root="/cache/data")
    assert StudyPaths.of_config(config, "r") == StudyPaths("t3", "r", "/cache/data")
    assert cs.Study(config, results="r").paths == StudyPaths("t3", "r", "/cache/data")


def test_a_run_directory_of_study_paths_parses_back():
    run = StudyPaths("t2").run_dir("ring8", "adam", "constant", "lr_d~0.1_lr_g~0.1", 7)
    assert cs.parse_run_dir(summary_path(run))["seed"] == 7
    assert summary_path(run) == f"{run}/summary.json"
