"""Loading runs: explicit run lists, selections, unreadable files named in one line."""

from __future__ import annotations

import pytest
from tests.results.fake_runs import write_run

from cggan.results.runs import find_run_dirs, load_runs, load_selections
from cggan.results.stats import top_k_stats


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
