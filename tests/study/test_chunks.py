"""Tests of cggan.study.chunks: sweep chunks, their receipts and the receipts' check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cggan import study as cs
from cggan.study.chunks import (
    receipt_path,
    receipt_problems,
    sweep_chunks,
    sweep_targets,
    write_receipt,
)

from .builders import make_config


@pytest.fixture
def study(tmp_path):
    return cs.Study(make_config(), results=str(tmp_path / "results"))


def test_chunks_partition_each_pool_in_order_and_never_mix_pools(study):
    chunks = sweep_chunks(study, 4)
    assert [d for c in chunks for d in c.run_dirs] == study.sweep_run_dirs(rounds=0)
    for chunk in chunks:
        assert 1 <= len(chunk.run_dirs) <= 4
        pool = study.paths.run_dir(
            chunk.experiment, chunk.method, chunk.lr_rule, "x", 0
        )
        assert all(d.startswith(pool.rsplit("/", 2)[0] + "/") for d in chunk.run_dirs)
    # numbered within their pool: ring8's momentum pool (18 settings) has chunks 0..4
    momentum = [
        c.index for c in chunks if (c.experiment, c.method) == ("ring8", "momentum")
    ]
    assert momentum == [0, 1, 2, 3, 4]


def test_chunk_size_one_is_one_job_per_run_and_bad_sizes_are_refused(study):
    assert sweep_chunks(study, 1) == []
    assert sweep_targets(study, 1) == [
        f"{d}/summary.json" for d in study.sweep_run_dirs()
    ]
    for bad in (0, -2, 2.0, True, "3"):
        with pytest.raises(ValueError, match="Invalid sweep_chunk"):
            sweep_chunks(study, bad)


def test_targets_are_the_receipts_of_chunked_runs(study):
    targets = sweep_targets(study, 4, "ring8")
    chunks = [c for c in sweep_chunks(study, 4) if c.experiment == "ring8"]
    assert targets == [receipt_path(study, c) for c in chunks]
    assert all(t.startswith(f"{study.paths.results}/chunks/t/ring8/") for t in targets)


def _finish(chunk, tmp_path):
    """Write a summary.json in every run directory of ``chunk``."""
    for d in chunk.run_dirs:
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
        (tmp_path / d / "summary.json").write_text(json.dumps({"run": d}))


@pytest.fixture
def done_chunk(study, tmp_path, monkeypatch):
    """The first chunk of size 2, trained, with its receipt (paths relative to cwd)."""
    monkeypatch.chdir(tmp_path)
    relative = cs.Study(make_config(), results="results")
    chunk = sweep_chunks(relative, 2)[0]
    _finish(chunk, tmp_path)
    receipt = receipt_path(relative, chunk)
    write_receipt(receipt, chunk.run_dirs)
    return relative, chunk, tmp_path / receipt


def test_an_intact_receipt_is_kept(done_chunk):
    study, chunk, receipt = done_chunk
    recorded = json.loads(receipt.read_text())["runs"]
    assert [r["run_dir"] for r in recorded] == list(chunk.run_dirs)
    assert receipt_problems(study, 2) == []


@pytest.mark.parametrize(
    "damage, reason",
    [
        ("delete", "is missing"),
        ("edit", "changed after the job"),
        ("garble", "unreadable"),
    ],
)
def test_a_receipt_whose_runs_changed_is_found(done_chunk, damage, reason):
    study, chunk, receipt = done_chunk
    summary = Path(chunk.run_dirs[1]) / "summary.json"  # cwd is the fixture's root
    if damage == "delete":
        summary.unlink()
    elif damage == "edit":
        summary.write_text('{"final_metric": 100}')
    else:
        receipt.write_text("{")
    before = receipt.read_bytes()
    ((found, path, problem),) = receipt_problems(study, 2)
    assert found == chunk and Path(path) == receipt.relative_to(Path.cwd())
    assert reason in problem
    assert receipt.read_bytes() == before  # found, not removed: planning reads only


def test_a_receipt_of_another_chunking_is_found(done_chunk):
    study, _, receipt = done_chunk
    # chunks of 3: the first chunk has a third run, so the receipt of 2 runs is wrong
    ((_, _, problem),) = receipt_problems(study, 3)
    assert "not the chunk's runs" in problem
    assert receipt.exists()


def test_no_receipt_for_a_run_without_summary(tmp_path):
    with pytest.raises(FileNotFoundError, match="no summary"):
        write_receipt(tmp_path / "r.json", [str(tmp_path / "run")])
    assert not (tmp_path / "r.json").exists()
