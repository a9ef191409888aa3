"""End to end on digits: a run scored against test-split statistics (``eval.
reference_split: test``), made as the workflow makes them (cggan.metrics'
compute_reference_stats, which scripts/fid_stats.py calls)."""

from __future__ import annotations

import json

import pytest

from cggan.fid_protocol import FIDProtocol
from cggan.train import train_runs

from .conftest import digits_spec, read_rows

TEST_N = 360  # the digits test split


@pytest.fixture(scope="module")
def test_stats(data_root, tmp_path_factory):
    from cggan.metrics.fid import compute_reference_stats

    protocol = FIDProtocol("digits", 16, "classifier", 128, TEST_N, split="test")
    out = tmp_path_factory.mktemp("fid_stats") / protocol.stats_filename()
    compute_reference_stats(
        out, protocol, data_root=data_root, epochs=2, min_accuracy=0.5
    )
    return out


def _spec(data_root, **eval_overrides):
    protocol = {
        "extractor": "classifier",
        "dims": 128,
        "reference_split": "test",
        "reference_n": TEST_N,
        **eval_overrides,
    }
    return digits_spec(
        data_root,
        iterations=4,
        eval={
            "metric": "fid",
            "every": 2,
            "n_samples": 64,
            "batch_size": 32,
            **protocol,
        },
    )


def test_digits_run_against_test_split_statistics_finishes(
    tmp_path, data_root, test_stats, capsys
):
    spec = _spec(data_root)
    # as the workflow passes it: compact JSON on the command line
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    code = train_runs([text], [tmp_path / "run"], fid_stats=test_stats)
    assert code == 0, capsys.readouterr().err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["spec"] == spec
    assert summary["spec"]["eval"]["reference_split"] == "test"
    rows = read_rows(tmp_path / "run")
    assert [int(r["iteration"]) for r in rows] == [0, 2, 4]
    assert all(r["fid_status"] == "ok" and float(r["fid"]) > 0 for r in rows)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [({"reference_split": "train"}, "split"), ({"reference_n": 100}, "n"),
     ({"dims": 64}, "extractor.dims"), ({"preprocessing": "minmax"}, "preprocessing")],
)  # fmt: skip
def test_statistics_of_another_protocol_are_refused(
    tmp_path, data_root, test_stats, capsys, overrides, key
):
    code = train_runs(
        [_spec(data_root, **overrides)], [tmp_path / "run"], fid_stats=test_stats
    )
    err = capsys.readouterr().err
    assert code == 2
    assert f"protocol mismatch in {test_stats.with_suffix('.json')}: key '{key}'" in err
    assert not (tmp_path / "run").exists()
