"""Tests for cggan.train.loop: one run — outputs, determinism, divergence, failure."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch

from cggan.registry import LOSSES
from cggan.train import Trainer, run

from .conftest import digits_spec, read_rows, ring_spec

GRAD_COLUMNS = ("loss_g", "loss_d", "grad_norm_g", "grad_norm_d")


def test_run_directory_metrics_and_summary(tmp_path, data_root):
    spec = ring_spec(data_root, iterations=25)
    summary = run(spec, tmp_path / "run")
    rows = read_rows(tmp_path / "run", drop=())
    assert list(rows[0]) == [
        "iteration",
        "loss_g",
        "loss_d",
        "grad_norm_g",
        "grad_norm_d",
        "lr_g",
        "lr_d",
        "modes",
        "high_quality",
        "beta_mean_g",
        "beta_mean_d",
        "beta_capped_g",
        "beta_capped_d",
        "beta_zero_g",
        "beta_zero_d",
        "elapsed_s",
    ]
    # iteration 0 (untrained G), every eval.every, and the last iteration
    assert [int(r["iteration"]) for r in rows] == [0, 10, 20, 25]
    assert rows[0]["loss_g"] == "" and rows[0]["modes"] != ""
    for row in rows[1:]:
        assert all(math.isfinite(float(row[k])) for k in GRAD_COLUMNS)
        assert float(row["grad_norm_g"]) > 0 and float(row["grad_norm_d"]) > 0
        assert 0 <= int(row["modes"]) <= 8 and 0.0 <= float(row["high_quality"]) <= 1.0
    stored = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert stored == summary
    assert stored["spec"] == spec
    assert stored["status"] == "finished" and stored["diverged_at"] is None
    assert stored["error"] is None and stored["iterations"] == 25
    assert stored["metric_name"] == "modes" and stored["metric_mode"] == "max"
    modes = [int(r["modes"]) for r in rows]
    assert stored["best_metric"] == max(modes)
    assert stored["best_iteration"] == int(rows[modes.index(max(modes))]["iteration"])
    assert stored["final_metric"] == modes[-1]
    assert set(stored["versions"]) == {"python", "torch", "numpy", "cggan"}
    assert {"git_revision", "wall_time_s", "device", "threads"} <= set(stored)
    for name in ("samples.png", "samples.npy", "checkpoint.pt"):
        assert (tmp_path / "run" / name).is_file()


def test_same_spec_and_seed_give_identical_metrics(tmp_path, data_root):
    spec = ring_spec(data_root)
    run(spec, tmp_path / "a")
    run(spec, tmp_path / "b")
    assert read_rows(tmp_path / "a") == read_rows(tmp_path / "b")
    other = ring_spec(data_root, seed=4)
    run(other, tmp_path / "c")
    assert read_rows(tmp_path / "c") != read_rows(tmp_path / "a")


def test_evaluation_cadence_does_not_change_training(tmp_path, data_root):
    trainers = []
    for every in (5, 30):
        spec = ring_spec(data_root, eval={"every": every})
        trainer = Trainer(spec, tmp_path / str(every))
        trainer.execute()
        trainers.append(trainer)
    weights = [t.G.state_dict().values() for t in trainers]
    for a, b in zip(*weights):
        assert torch.equal(a, b)


def test_divergence_ends_the_run_as_diverged(tmp_path, data_root):
    spec = ring_spec(data_root, method="sgd", lr_g=1e6, lr_d=1e6, iterations=200)
    summary = run(spec, tmp_path / "run")
    assert summary["status"] == "diverged"
    at = summary["diverged_at"]
    assert isinstance(at, int) and 1 <= at < 200
    assert summary["iterations"] == at and summary["final_metric"] is None
    rows = read_rows(tmp_path / "run")
    assert int(rows[-1]["iteration"]) == at
    assert not all(math.isfinite(float(rows[-1][k])) for k in ("loss_g", "loss_d"))
    assert rows[-1]["modes"] == ""  # no evaluation of a diverged generator
    stored = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert stored["status"] == "diverged"


def test_failure_is_recorded_then_reraised(tmp_path, data_root, monkeypatch):
    calls = {"n": 0}
    original = Trainer._evaluate_row

    def flaky(self, *args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("evaluation exploded")
        return original(self, *args)

    monkeypatch.setattr(Trainer, "_evaluate_row", flaky)
    with pytest.raises(RuntimeError, match="evaluation exploded"):
        run(ring_spec(data_root), tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert summary["error"] == "RuntimeError: evaluation exploded"
    assert "Traceback" in summary["traceback"] and "flaky" in summary["traceback"]
    assert summary["final_metric"] is None


def test_n_critic_takes_n_d_steps_per_g_step(tmp_path, data_root):
    spec = ring_spec(data_root, n_critic=2, iterations=7, method="sgd")
    trainer = Trainer(spec, tmp_path / "run")
    counts = {"g": 0, "d": 0}
    for name, opt in (("g", trainer.method.opt_g), ("d", trainer.method.opt_d)):
        opt.register_step_post_hook(
            lambda *_, _name=name: counts.__setitem__(_name, counts[_name] + 1)
        )
    trainer.execute()
    assert counts == {"g": 7, "d": 14}


def test_lr_rule_is_stepped_once_per_iteration(tmp_path, data_root):
    spec = ring_spec(data_root, lr_rule="sqrt", lr_g=0.01, lr_d=0.02)
    run(spec, tmp_path / "run")
    for row in read_rows(tmp_path / "run")[1:]:
        it = int(row["iteration"])  # iteration t uses the rate after t - 1 steps
        assert float(row["lr_g"]) == pytest.approx(0.01 / math.sqrt(it))
        assert float(row["lr_d"]) == pytest.approx(0.02 / math.sqrt(it))


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains(tmp_path, data_root, loss):
    summary = run(ring_spec(data_root, loss=loss, iterations=10), tmp_path / "run")
    assert summary["status"] == "finished"
    row = read_rows(tmp_path / "run")[-1]
    assert math.isfinite(float(row["loss_d"])) and math.isfinite(float(row["loss_g"]))


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [("cg_fr", {"beta_coeff": 0.5}), ("pm", {"gamma": 1e-3}), ("co", {"gamma": 0.1})],
)
def test_cg_and_game_methods_run_end_to_end(tmp_path, data_root, method, kwargs):
    spec = ring_spec(
        data_root,
        method=method,
        method_kwargs=kwargs,
        iterations=10,
        lr_g=1e-2,
        lr_d=1e-2,
    )
    summary = run(spec, tmp_path / "run")
    assert summary["status"] == "finished"
    assert summary["optimizer_steps"] == {"g": 10, "d": 10}


def test_fid_run_on_digits_samples_with_g_in_eval_mode(
    tmp_path, data_root, fid_stats, monkeypatch
):
    modes = []
    original = Trainer._build_evaluator

    def build(self, stats):
        evaluate = original(self, stats)

        def spy():
            modes.append(self.G.training)
            return evaluate()

        return spy

    monkeypatch.setattr(Trainer, "_build_evaluator", build)
    trainer = Trainer(digits_spec(data_root), tmp_path / "run", fid_stats=fid_stats)
    summary = trainer.execute()
    assert modes == [False, False, False] and trainer.G.training
    rows = read_rows(tmp_path / "run")
    assert [int(r["iteration"]) for r in rows] == [0, 3, 6]
    assert all(r["fid_status"] == "ok" and float(r["fid"]) > 0 for r in rows)
    assert summary["metric_name"] == "fid" and summary["metric_mode"] == "min"
    assert summary["best_metric"] == min(float(r["fid"]) for r in rows)
    assert summary["final_metric"] == float(rows[-1]["fid"])
    from PIL import Image

    with Image.open(tmp_path / "run" / "samples.png") as image:
        # 8×8 grid of 16-pixel images, padding 2
        assert image.size == (8 * 18 + 2, 8 * 18 + 2)


def test_spec_is_not_mutated(tmp_path, data_root):
    spec = ring_spec(data_root, iterations=5)
    before = copy.deepcopy(spec)
    run(spec, tmp_path / "run")
    assert spec == before
