"""Tests of cggan.study.selection: the setting each pool confirms (select_settings,
selection_record, select_experiment), and edited_selections: a selection file that is
not the selection of its sweep runs (edited by hand) is found at planning, read only
(the workflow sets it aside and redoes it, tests/study/test_set_asides.py)."""

from __future__ import annotations

import json
import math

import pytest

from cggan import study as cs
from cggan.study.selection import edited_selections

from .builders import finished_run, sgd_two_settings_config
from .builders import sweep_record as _rec


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
    path = tmp_path / st.paths.selection("digits")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(cs.select_experiment(st, "digits")))
    return st, runs, path


def test_the_workflow_s_own_selection_file_is_kept(tmp_path, monkeypatch):
    st, _, path = _study_with_two_sweep_runs(tmp_path, monkeypatch)
    before = path.read_bytes()
    assert edited_selections(st) == []
    assert path.read_bytes() == before


def test_a_pinned_setting_that_is_not_the_best_is_found(tmp_path, monkeypatch):
    st, runs, path = _study_with_two_sweep_runs(tmp_path, monkeypatch)
    record = json.loads(path.read_text())
    best = record["selected"][0]["setting"]
    other = cs.parse_run_dir(str(runs[1].relative_to(tmp_path)))["setting"]
    assert best != other
    record["selected"][0]["setting"] = other  # pinned by hand
    path.write_text(json.dumps(record))
    ((exp, where, difference),) = edited_selections(st)
    assert exp == "digits" and where == str(path.relative_to(tmp_path))
    # the field that differs, not both whole lists
    assert difference.startswith("selected[0].setting: stored")
    assert "recomputed" in difference and len(difference) < 200
    assert path.is_file()


def test_a_truncated_selection_file_is_found(tmp_path, monkeypatch):
    st, _, path = _study_with_two_sweep_runs(tmp_path, monkeypatch)
    path.write_text('{"selected": ')
    ((_, _, difference),) = edited_selections(st)
    assert difference == "not a JSON object"


def test_a_selection_whose_runs_are_being_retrained_is_not_judged(
    tmp_path, monkeypatch
):
    st, runs, path = _study_with_two_sweep_runs(tmp_path, monkeypatch)
    record = json.loads(path.read_text())
    record["selected"][0]["setting"] = "edited"
    path.write_text(json.dumps(record))
    (runs[0] / "summary.json").unlink()  # set aside: retrained before the selection
    assert edited_selections(st) == []


def test_selection_reads_exactly_the_configured_runs_and_names_a_bad_file(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    st = cs.Study(sgd_two_settings_config())
    with pytest.raises(ValueError, match="missing run summary"):
        cs.select_experiment(st, "digits")
    runs = [finished_run(tmp_path, st, i) for i in range(2)]
    # a run of a setting the config does not name must not take part
    stray = tmp_path / st.paths.run_dir(
        "digits", "sgd", "constant", "lr_d~0.1_lr_g~0.1", 0
    )
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


def test_selection_record_lists_only_groups_with_a_choice():
    groups = cs.select_settings(
        [
            _rec("sgd", "constant", "a", "finished", 3.0),
            _rec("adam", "constant", "b", "diverged", 1.0),
        ],
        by="final",
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
