"""Loading runs: explicit run lists, selections, unreadable files named in one line."""

from __future__ import annotations

import json

import pytest
from tests.results.fake_runs import write_run

from cggan.io import sha256_file
from cggan.results.runs.load import find_run_dirs, load_runs, load_selections
from cggan.results.statistics.top_k import top_k_stats


def test_bad_input_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="Invalid runs_dir"):
        find_run_dirs(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no runs found"):
        find_run_dirs(tmp_path / "empty")
    with pytest.raises(ValueError, match="Invalid k"):
        top_k_stats([1.0], 0)
    with pytest.raises(ValueError, match="Invalid selection_dir"):
        load_selections(tmp_path / "absent")


def test_a_spec_contradicting_its_directory_is_rejected(tmp_path):
    run_dir = write_run(tmp_path / "runs", "digits", "sgd", "constant", "a", 0, 10.0)
    moved = tmp_path / "runs" / "digits" / "adam" / "constant" / "a" / "seed0"
    moved.parent.mkdir(parents=True)
    run_dir.rename(moved)
    with pytest.raises(ValueError, match="method='sgd'"):
        load_runs(find_run_dirs(tmp_path / "runs"))


def test_load_runs_takes_a_list_and_counts_a_listed_absent_run_missing(tmp_path):
    present = write_run(tmp_path / "runs", "digits", "sgd", "constant", "a", 0, 10.0)
    absent = present.parent / "seed1"
    runs = load_runs([present, absent, present])  # duplicates count once
    assert runs["seed"].tolist() == [0, 1]
    assert runs["status"].tolist() == ["finished", "missing"]
    assert runs["error"].iloc[1] == "summary.json missing (run incomplete)"
    with pytest.raises(TypeError, match="Invalid run_dirs"):
        load_runs(str(tmp_path / "runs"))
    with pytest.raises(ValueError, match="at least one run directory"):
        load_runs([])
    with pytest.raises(ValueError, match="Invalid run directory"):
        load_runs([tmp_path / "not_a_seed_dir"])


def test_a_summary_that_is_not_a_run_summary_is_named(tmp_path):
    run_dir = write_run(tmp_path / "runs", "digits", "sgd", "constant", "a", 0, 10.0)
    (run_dir / "summary.json").write_text('{"status": "running"}')
    with pytest.raises(ValueError, match="Invalid status: 'running' in .*summary.json"):
        load_runs([run_dir])
    (run_dir / "summary.json").write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match=r"summary\.json: unreadable run summary"):
        load_runs([run_dir])


def test_a_metrics_csv_that_lost_whole_lines_fails_its_recorded_checksum(tmp_path):
    # Structurally valid after losing its last line: only the checksum the trainer
    # records in summary.json ("files") can tell.
    run_dir = write_run(tmp_path / "runs", "digits", "sgd", "constant", "a", 0, 10.0)
    metrics = run_dir / "metrics.csv"
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["files"] = {"metrics.csv": sha256_file(metrics)}
    # a checksummed metrics.csv is also the source of the summary's numbers
    summary.update(best_metric=10.0, best_iteration=200)
    (run_dir / "summary.json").write_text(json.dumps(summary))
    assert load_runs([run_dir])["status"].tolist() == ["finished"]
    metrics.write_text("".join(metrics.read_text().splitlines(True)[:-1]))
    with pytest.raises(ValueError, match=f"^{metrics}: checksum differs"):
        load_runs([run_dir])
