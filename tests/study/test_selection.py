"""Tests of cggan.study.selection: the setting each pool confirms (select_settings,
selection_record, select_experiment), and verify_selection_files: a selection file that
is not the selection of its sweep runs (edited by hand) is set aside at planning, so
that it is redone."""

from __future__ import annotations

import json
import math

import pytest

from cggan import study as cs
from cggan.study.selection import EDITED_SUFFIX, verify_selection_files

from .builders import finished_run, sgd_two_settings_config


def _study_with_two_sweep_runs(tmp_path, monkeypatch):
    """One pool (sgd x constant) of two settings; the second run is worse."""
    monkeypatch.chdir(tmp_path)
    st = cs.Study(sgd_two_settings_config())
    runs = [finished_run(tmp_path, st, i) for i in range(2)]
    metrics = runs[1] / "metrics.csv"
    metrics.write_text("iteration,fid\n40,20.0\n")
    summary = json.loads((runs[1] / "summary.json").read_text())
    from cggan.io import sha256_file

    summary.update(final_metric=20.0, files={"metrics.csv": sha256_file(metrics)})
    (runs[1] / "summary.json").write_text(json.dumps(summary))
    path = tmp_path / st.selection_path("digits")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(cs.select_experiment(st, "digits")))
    return st, runs, path


def test_the_workflow_s_own_selection_file_is_kept(tmp_path, monkeypatch):
    st, _, path = _study_with_two_sweep_runs(tmp_path, monkeypatch)
    before = path.read_bytes()
    assert verify_selection_files(st) == []
    assert path.read_bytes() == before


def test_a_pinned_setting_that_is_not_the_best_is_set_aside(tmp_path, monkeypatch):
    st, runs, path = _study_with_two_sweep_runs(tmp_path, monkeypatch)
    record = json.loads(path.read_text())
    best = record["selected"][0]["setting"]
    other = cs.parse_run_dir(str(runs[1].relative_to(tmp_path)))["setting"]
    assert best != other
    record["selected"][0]["setting"] = other  # pinned by hand
    path.write_text(json.dumps(record))
    lines = verify_selection_files(st)
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "selected" in lines[0] and "recomputed" in lines[0]
    assert "redone" in lines[0] and str(path.relative_to(tmp_path)) in lines[0]
    assert not path.exists()
    assert path.with_name(path.name + EDITED_SUFFIX).is_file()


def test_a_truncated_selection_file_is_set_aside(tmp_path, monkeypatch):
    st, _, path = _study_with_two_sweep_runs(tmp_path, monkeypatch)
    path.write_text('{"selected": ')
    assert len(verify_selection_files(st)) == 1
    assert not path.exists()


def test_a_selection_whose_runs_are_being_retrained_is_not_judged(
    tmp_path, monkeypatch
):
    st, runs, path = _study_with_two_sweep_runs(tmp_path, monkeypatch)
    record = json.loads(path.read_text())
    record["selected"][0]["setting"] = "edited"
    path.write_text(json.dumps(record))
    (runs[0] / "summary.json").unlink()  # set aside: retrained before the selection
    assert verify_selection_files(st) == []
    assert path.is_file()


def test_selection_reads_exactly_the_configured_runs_and_names_a_bad_file(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    st = cs.Study(sgd_two_settings_config())
    with pytest.raises(ValueError, match="missing run summary"):
        cs.select_experiment(st, "digits")
    runs = [finished_run(tmp_path, st, i) for i in range(2)]
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


def _rec(method, rule, setting, status, final, best=None, lr=(1e-3, 1e-3), seed=0):
    return {
        "method": method,
        "lr_rule": rule,
        "setting": setting,
        "seed": seed,
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
        for lr, m, v in (
            (0.01, 0.9, 500.0),
            (0.03, 0.9, 400.0),
            (0.01, 0.5, 300.0),
            (0.03, 0.5, 350.0),
        )
    ]
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
        sweep_seeds=[0],
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
            "values": [3.0],
            "n_seeds": 1,
        }
    ]
    assert len(rec["groups"]) == 2 and rec["seeds"] == [0, 1]
    assert json.loads(json.dumps(rec, allow_nan=False)) == rec
    assert not any(
        isinstance(v, float) and math.isnan(v) for v in rec["selected"][0].values()
    )


def _seeded(setting, values, status="finished"):
    return [
        _rec("sgd", "constant", setting, status, v, seed=k)
        for k, v in enumerate(values)
    ]


def test_selection_ranks_settings_by_the_mean_of_their_sweep_seeds():
    """A lucky single run does not win: b's mean (20) beats a's (30) although a's
    best seed (5) is the best run of the sweep."""
    records = _seeded("a", [5.0, 40.0, 45.0]) + _seeded("b", [20.0, 19.0, 21.0])
    (group,) = cs.select_settings(records)
    chosen = group["selected"]
    assert chosen["setting"] == "b" and chosen["value"] == pytest.approx(20.0)
    assert chosen["values"] == [20.0, 19.0, 21.0] and chosen["n_seeds"] == 3
    assert group["n_settings"] == 2 and group["n_runs"] == 6
    # how sure: b stays best in most resamples, never in all of them is not required
    assert 0.5 < group["confidence"] <= 1.0


def test_a_setting_with_a_diverged_sweep_seed_is_not_a_candidate():
    records = _seeded("a", [5.0, 6.0]) + [
        _rec("sgd", "constant", "a", "diverged", None, seed=2)
    ]
    records += _seeded("b", [20.0, 21.0, 22.0])
    (group,) = cs.select_settings(records)
    assert group["selected"]["setting"] == "b"
    assert group["n_diverged"] == 1 and group["n_settings"] == 1
    assert group["confidence"] == 1.0  # one candidate


def test_selection_confidence_falls_as_settings_overlap():
    rng = __import__("numpy").random.default_rng(0)
    apart = _seeded("a", list(100 + rng.normal(0, 1, 3))) + _seeded(
        "b", list(200 + rng.normal(0, 1, 3))
    )
    close = _seeded("a", [100.0, 140.0, 120.0]) + _seeded("b", [125.0, 105.0, 135.0])
    (far,) = cs.select_settings(apart)
    (near,) = cs.select_settings(close)
    assert far["confidence"] == 1.0
    assert 0.3 < near["confidence"] < 0.9
    # one seed a setting: nothing to resample
    (single,) = cs.select_settings(_seeded("a", [1.0]) + _seeded("b", [2.0]))
    assert single["confidence"] is None


def test_selection_by_final_quarter_reads_the_final_quarter_mean():
    records = _seeded("a", [10.0, 10.0]) + _seeded("b", [20.0, 20.0])
    for rec, fq in zip(records, [50.0, 52.0, 30.0, 31.0]):
        rec["summary"]["final_quarter_metric"] = fq
    (group,) = cs.select_settings(records, by="final_quarter")
    assert group["selected"]["setting"] == "b"
    assert group["selected"]["value"] == pytest.approx(30.5)
