"""Tests of cggan.study.layout: setting ids and the run directory layout."""

from __future__ import annotations

from cggan import study as cs

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
