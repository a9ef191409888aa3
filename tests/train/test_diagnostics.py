"""Tests for cggan.train.diagnostics: the β columns of CG runs, their run averages."""

from __future__ import annotations

import json

import pytest

from cggan.train import Trainer, run
from cggan.train.diagnostics import BETA_COLUMNS, beta_summary

from .conftest import Interrupt, interrupt_after, read_rows, ring_spec

CG = {"method": "cg_fr", "method_kwargs": {"beta_coeff": 0.5}, "lr_g": 1e-2,
      "lr_d": 1e-2}  # fmt: skip


@pytest.mark.parametrize("method", ["cg_fr", "cg_prp_authors"])
def test_cg_run_has_the_six_beta_columns_in_0_1(tmp_path, data_root, method):
    spec = ring_spec(data_root, **{**CG, "method": method}, iterations=25)
    summary = run(spec, tmp_path / "run")
    rows = read_rows(tmp_path / "run")
    assert set(BETA_COLUMNS) <= set(rows[0])
    assert all(rows[0][c] == "" for c in BETA_COLUMNS)  # no step before iteration 0
    for row in rows[1:]:
        for column in BETA_COLUMNS:
            assert 0.0 <= float(row[column]) <= 1.0, (column, row[column])
    beta = summary["beta"]
    assert set(beta) == {"mean_g", "mean_d", "capped_g", "capped_d", "zero_g", "zero_d"}
    assert all(0.0 <= v <= 1.0 for v in beta.values())
    # the run average weighs each row by the iterations it covers (10, 10, 5)
    means = [float(r["beta_mean_g"]) for r in rows[1:]]
    assert beta["mean_g"] == pytest.approx(
        (10 * means[0] + 10 * means[1] + 5 * means[2]) / 25
    )
    stored = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert stored["beta"] == beta


def test_authors_fr_beta_is_coeff_over_two_at_its_cap(tmp_path, data_root):
    # the released class keeps the previous gradient by reference: β ≡ c/2 for FR
    spec = ring_spec(data_root, **{**CG, "method": "cg_fr_authors"}, iterations=10)
    beta = run(spec, tmp_path / "run")["beta"]
    assert beta["mean_g"] == pytest.approx(0.25) == beta["mean_d"]
    assert beta["capped_g"] == 1.0 and beta["zero_g"] == 0.0


def test_non_cg_run_has_empty_beta_cells_and_null_summary(tmp_path, data_root):
    summary = run(ring_spec(data_root, iterations=20), tmp_path / "run")
    rows = read_rows(tmp_path / "run")
    assert all(row[c] == "" for row in rows for c in BETA_COLUMNS)
    assert summary["beta"] is None


def test_beta_stats_are_read_once_per_row_not_per_step(
    tmp_path, data_root, monkeypatch
):
    trainer = Trainer(ring_spec(data_root, **CG, iterations=25), tmp_path / "run")
    calls = []
    for name, opt in (("g", trainer.method.opt_g), ("d", trainer.method.opt_d)):
        original = opt.beta_stats

        def spy(*args, _original=original, _name=name, **kwargs):
            calls.append((_name, args, kwargs))
            return _original(*args, **kwargs)

        monkeypatch.setattr(opt, "beta_stats", spy)
    trainer.execute()
    assert len(calls) == 2 * 4  # rows at 0, 10, 20, 25; one call per player
    assert all(kwargs == {"reset": True} for _, _, kwargs in calls)


@pytest.mark.parametrize("method", ["cg_hz", "cg_fr_authors"])
def test_resumed_cg_run_has_the_same_beta_columns(
    tmp_path, data_root, monkeypatch, method
):
    spec = ring_spec(
        data_root, **{**CG, "method": method}, iterations=30, checkpoint_every=7
    )
    whole = run(spec, tmp_path / "whole")
    with monkeypatch.context() as patch:  # killed mid-interval, after the checkpoint
        interrupt_after(patch, 17)  # at 14
        with pytest.raises(Interrupt):
            run(spec, tmp_path / "resumed")
    resumed = run(spec, tmp_path / "resumed")
    assert read_rows(tmp_path / "resumed") == read_rows(tmp_path / "whole")
    assert read_rows(tmp_path / "whole")[-1]["beta_mean_g"] != ""
    assert resumed["beta"] == whole["beta"]


def test_beta_summary_skips_empty_and_non_finite_rows():
    rows = [
        {"iteration": 0},
        {"iteration": 4, "beta_mean_g": 0.5},
        {"iteration": 6, "beta_mean_g": float("nan")},
        {"iteration": 10, "beta_mean_g": 0.25},
    ]
    out = beta_summary(rows, cg=True)
    assert out["mean_g"] == pytest.approx((4 * 0.5 + 4 * 0.25) / 8)
    assert out["capped_d"] is None
    assert beta_summary(rows, cg=False) is None
