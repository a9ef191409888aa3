"""Tests of cggan.study.set_asides: planning decides what to set aside and reads only;
``set_aside`` moves exactly what planning saw, under the name planning gave it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cggan import study as cs
from cggan.fingerprint import code_fingerprint
from cggan.io import sha256_file
from cggan.study.chunks import receipt_path, sweep_chunks, write_receipt
from cggan.study.existing_runs import STALE_FILES
from cggan.study.set_asides import (
    plan_set_asides,
    set_aside,
    set_aside_name,
    set_aside_wildcards,
)

from .builders import finished_run, sgd_two_settings_config


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()
    }


def _current(run: Path) -> None:
    """Make a finished run one of the current training code (not stale)."""
    summary = json.loads((run / "summary.json").read_text())
    summary["code"] = code_fingerprint()
    (run / "summary.json").write_text(json.dumps(summary))


@pytest.fixture
def two_runs(tmp_path, monkeypatch):
    """A study of one pool with two finished sweep runs of the current code."""
    monkeypatch.chdir(tmp_path)
    st = cs.Study(sgd_two_settings_config())
    runs = [finished_run(tmp_path, st, i) for i in range(2)]
    for run in runs:
        _current(run)
        for name in STALE_FILES[1:]:  # the checkpoints a stale run takes with it
            (run / name).write_text(name)
    return st, [r.relative_to(tmp_path) for r in runs]


def test_an_intact_study_plans_nothing(two_runs, tmp_path):
    st, _ = two_runs
    plan = plan_set_asides(st, cs.check_existing_runs(st), 1)
    assert plan.lines == [] and plan.markers == {}


def test_an_unreadable_summary_is_planned_under_its_digest_and_nothing_moves(
    two_runs, tmp_path
):
    st, runs = two_runs
    summary = runs[1] / "summary.json"
    summary.write_text('{"status": "finished", "spec": {')
    before = _tree(tmp_path)
    plan = plan_set_asides(st, cs.check_existing_runs(st), 1)
    marker = f"{summary}.{sha256_file(summary)[:12]}.unreadable"
    assert plan.markers == {str(summary): marker}
    assert plan.markers_for([summary, runs[0] / "summary.json"]) == [marker]
    (line,) = plan.lines
    assert str(summary) in line and "set aside, then trained again" in line
    assert _tree(tmp_path) == before  # planning reads only

    assert set_aside(marker) == [f"{summary} -> {marker}"]
    assert not summary.exists() and Path(marker).read_text().endswith("{")
    assert (runs[1] / "checkpoint.pt").is_file()  # resumed, not started over


def test_stale_runs_take_their_checkpoints_and_keep_keeps_them(two_runs, tmp_path):
    st, runs = two_runs
    for run in runs:  # no fingerprint: made by some other code
        summary = json.loads((run / "summary.json").read_text())
        del summary["code"]
        (run / "summary.json").write_text(json.dumps(summary))
    before = _tree(tmp_path)
    plan = plan_set_asides(st, cs.check_existing_runs(st), 1)
    (line,) = plan.lines
    assert "2 of 2 run(s) were made by other training code" in line
    assert sorted(plan.markers) == sorted(str(r / "summary.json") for r in runs)
    assert _tree(tmp_path) == before

    marker = plan.markers[str(runs[0] / "summary.json")]
    digest = marker.split(".")[-2]
    moved = set_aside(marker)
    assert len(moved) == len(STALE_FILES)
    assert sorted(p.name for p in runs[0].iterdir() if p.name in STALE_FILES) == []
    for name in STALE_FILES:
        assert (runs[0] / f"{name}.{digest}.stale").is_file()
    assert (runs[0] / "metrics.csv").is_file()  # kept for the run's next training

    keep = cs.Study({**sgd_two_settings_config(), "stale_runs": "keep"})
    plan = plan_set_asides(keep, cs.check_existing_runs(keep), 1)
    assert plan.markers == {} and "kept (stale_runs: keep)" in plan.lines[0]


def test_a_file_changed_since_planning_is_not_set_aside(two_runs, tmp_path):
    st, runs = two_runs
    summary = runs[0] / "summary.json"
    summary.write_text("{")
    marker = plan_set_asides(st, cs.check_existing_runs(st), 1).markers[str(summary)]
    summary.write_text("{}")  # changed after planning
    with pytest.raises(ValueError, match="changed since planning; plan again"):
        set_aside(marker)
    assert summary.read_text() == "{}" and not Path(marker).exists()
    for bad in (f"{summary}.abc.stale", f"{summary}.{'0' * 12}.lost"):
        with pytest.raises(ValueError, match="Invalid set-aside"):
            set_aside(bad)


def test_setting_aside_again_keeps_one_copy_per_reason(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text("second")
    (run / "summary.json.aaaaaaaaaaaa.unreadable").write_text("first")
    (run / "summary.json.bbbbbbbbbbbb.stale").write_text("stale once")
    marker = set_aside_name(
        run / "summary.json", sha256_file(run / "summary.json"), "unreadable"
    )
    set_aside(marker)
    assert sorted(p.name for p in run.iterdir()) == sorted(
        [Path(marker).name, "summary.json.bbbbbbbbbbbb.stale"]
    )
    assert set_aside_wildcards(marker) == {
        "path": str(run / "summary.json"),
        "digest": Path(marker).name.split(".")[-2],
        "reason": "unreadable",
    }


def test_an_identical_file_set_aside_before_is_named_not_planned(two_runs, tmp_path):
    st, runs = two_runs
    summary = runs[0] / "summary.json"
    summary.write_text("{")
    earlier = set_aside_name(summary, sha256_file(summary), "unreadable")
    Path(earlier).write_text("{")
    plan = plan_set_asides(st, cs.check_existing_runs(st), 1)
    assert plan.markers == {}
    assert "delete that copy" in plan.lines[0] and Path(earlier).name in plan.lines[0]


def test_edited_selection_and_invalid_receipt_are_planned(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    st = cs.Study(sgd_two_settings_config())
    runs = [finished_run(tmp_path, st, i) for i in range(2)]
    for run in runs:
        _current(run)
    # a receipt of a chunk of 2 whose second run's summary changed after the job
    chunk = sweep_chunks(st, 2)[0]
    receipt = Path(receipt_path(st, chunk))
    write_receipt(receipt, chunk.run_dirs)
    summary = json.loads((runs[1] / "summary.json").read_text())
    summary["note"] = "edited after the job"
    (runs[1] / "summary.json").write_text(json.dumps(summary))
    # a selection pinned to a setting that is not the one its runs select
    selection = Path(st.paths.selection("digits"))
    selection.parent.mkdir(parents=True)
    record = cs.select_experiment(st, "digits")
    record["selected"][0]["setting"] = "lr_d~1_lr_g~1"
    selection.write_text(json.dumps(record))
    before = _tree(tmp_path)

    plan = plan_set_asides(st, cs.check_existing_runs(st), 2)
    assert plan.markers[str(receipt)].endswith(".invalid")
    assert plan.markers[str(selection)].endswith(".edited")
    assert any("changed after the job" in line for line in plan.lines)
    assert any("selected[0].setting" in line for line in plan.lines)
    assert _tree(tmp_path) == before
