"""Tests of cggan.study.existing_runs: runs already on disk are checked against the
config; an unreadable one is set aside and planned again."""

from __future__ import annotations

import json

import pytest

from cggan import study as cs

from .builders import finished_run, make_config


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


@pytest.mark.parametrize(
    "damage", ["truncate_summary", "edit_metrics", "delete_metrics"]
)
def test_an_unreadable_run_is_found_and_nothing_is_moved(tmp_path, monkeypatch, damage):
    monkeypatch.chdir(tmp_path)
    st = cs.Study(make_config())
    finished_run(tmp_path, st, 0)
    bad = finished_run(tmp_path, st, 1)
    if damage == "truncate_summary":
        (bad / "summary.json").write_text('{"status": "finished", "spec": {')
    elif damage == "edit_metrics":
        (bad / "metrics.csv").write_text("iteration,fid\n40,1.0\n")
    else:
        (bad / "metrics.csv").unlink()
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    check = cs.check_existing_runs(st)
    assert check.checked == 1
    assert [p for p, _ in check.unreadable] == [
        str(bad.relative_to(tmp_path) / "summary.json")
    ]
    reason = check.unreadable[0][1]
    assert "\n" not in reason and str(bad.relative_to(tmp_path)) in reason
    # checking reads only: every file is as it was
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert cs.check_existing_runs(st).unreadable == check.unreadable
