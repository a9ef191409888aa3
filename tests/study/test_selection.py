"""cggan.study.selection.verify_selection_files: a selection file that is not the
selection of its sweep runs (edited by hand) is set aside at planning, so that it is
redone."""

from __future__ import annotations

import json

from cggan import study as cs
from cggan.study.selection import EDITED_SUFFIX, verify_selection_files

from .test_study import _finished_run, sgd_two_settings_config


def _study_with_two_sweep_runs(tmp_path, monkeypatch):
    """One pool (sgd x constant) of two settings; the second run is worse."""
    monkeypatch.chdir(tmp_path)
    st = cs.Study(sgd_two_settings_config())
    runs = [_finished_run(tmp_path, st, i) for i in range(2)]
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
