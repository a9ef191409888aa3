"""Tests for cggan.train: one run — determinism, resume, divergence, failure, validation."""

from __future__ import annotations

import copy
import csv
import json
import math

import pytest
import torch

from cggan import train
from cggan.gan import LOSSES
from cggan.train import CheckpointError, Trainer, run

torch.set_num_threads(1)


def ring_spec(root, **overrides) -> dict:
    """A tiny 2-D run: MLP on ring8, mode coverage every 10 iterations (no FID stats)."""
    spec = {
        "study": "test", "experiment": "ring8",
        "dataset": {"name": "ring8", "image_size": None, "root": str(root)},
        "model": {"name": "mlp", "z_dim": 8, "kwargs": {"hidden": 32, "depth": 2}},
        "loss": "bce", "n_critic": 1, "batch_size": 64, "iterations": 30,
        "method": "adam", "method_kwargs": {}, "lr_rule": "constant", "lr_rule_kwargs": {},
        "lr_g": 1e-3, "lr_d": 1e-3, "seed": 3,
        "eval": {"metric": "modes", "every": 10, "n_samples": 400, "batch_size": 200},
        "checkpoint_every": 10,
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(spec.get(key), dict):
            spec[key] = {**spec[key], **value}
        else:
            spec[key] = value
    return spec


def digits_spec(root, **overrides) -> dict:
    spec = ring_spec(root)
    spec.update(
        experiment="digits",
        dataset={"name": "digits", "image_size": 16, "root": str(root)},
        model={"name": "dcgan", "z_dim": 16, "kwargs": {"ngf": 8, "ndf": 8}},
        batch_size=32, iterations=6,
        eval={"metric": "fid", "every": 3, "n_samples": 64, "batch_size": 32},
        checkpoint_every=3,
    )
    spec.update(overrides)
    return spec


def read_rows(run_dir, drop=("elapsed_s",)) -> list[dict]:
    with open(run_dir / "metrics.csv", newline="") as fh:
        return [{k: v for k, v in row.items() if k not in drop} for row in csv.DictReader(fh)]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


def _write_stats(root, out, *, split="train"):
    """Reference statistics of digits16 through cggan.metrics, with an untrained classifier
    (the mechanics of the run, not the quality of the extractor, are under test)."""
    from cggan.data import load_dataset
    from cggan.metrics import features, fid

    torch.manual_seed(0)
    model = features.DigitClassifier(image_size=16, channels=1, feature_dim=16, widths=(4, 8))
    features.save_classifier(fid.classifier_path_for(out), model)
    extractor = features.build_extractor("classifier", weights=fid.classifier_path_for(out))
    data = load_dataset("digits", root=root, split="train", image_size=16)
    feats = features.extract_features(extractor, data.x, len(data.x), 500)
    mu, sigma = fid.compute_statistics(feats)
    protocol = fid.reference_protocol(dataset="digits", split=split, n=len(data.x),
                                      image_size=16, channels=1, extractor=extractor)
    fid.save_reference_stats(out, mu, sigma, protocol, kid_features=feats[:200])
    return out


@pytest.fixture(scope="module")
def fid_stats(data_root, tmp_path_factory):
    return _write_stats(data_root, tmp_path_factory.mktemp("stats") / "digits16.npz")


class _Interrupt(BaseException):
    """Stands for a kill: not an Exception, so the run records nothing."""


def _interrupt_after(monkeypatch, n_steps: int) -> None:
    original = Trainer._train_step
    calls = {"n": 0}

    def step(self):
        if calls["n"] == n_steps:
            raise _Interrupt
        calls["n"] += 1
        return original(self)

    monkeypatch.setattr(Trainer, "_train_step", step)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda s: s.pop("lr_g"), r"missing key 'lr_g'"),
        (lambda s: s["eval"].pop("every"), r"missing key 'eval\.every'"),
        (lambda s: s["dataset"].update(name="svhn"), r"Invalid dataset\.name: 'svhn' \(allowed: digits"),
        (lambda s: s["model"].update(name="vit"), r"Invalid model: 'vit' \(allowed: dcgan"),
        (lambda s: s.update(method="lbfgs"), r"Invalid method: 'lbfgs' \(allowed: sgd"),
        (lambda s: s.update(method="iu"), r"Invalid method: 'iu' \(toy games only"),
        (lambda s: s.update(loss="wgan"), r"Invalid loss: 'wgan' \(allowed: bce, nonsaturating, hinge"),
        (lambda s: s.update(lr_rule="cosine"), r"Invalid lr_rule: 'cosine' \(allowed: constant"),
        (lambda s: s.update(lr_d=-0.1), r"Invalid lr_d: -0\.1"),
        (lambda s: s.update(n_critic=0), r"Invalid n_critic: 0"),
        (lambda s: s.update(batch_size="64"), r"Invalid batch_size: '64' \(expected integer\)"),
        (lambda s: s.update(lr_rule_kwargs={"eta": 1}), r"Invalid lr rule argument for constant: eta"),
        (lambda s: s.update(method_kwargs={"gamma": 1}), r"Invalid hyperparameter for method adam: gamma"),
        (lambda s: s["eval"].update(metric="fid"), r"Invalid eval\.metric: 'fid' for dataset 'ring8'"),
        (lambda s: s.update(typo=1), r"Invalid spec key: 'typo'"),
        (lambda s: s["dataset"].update(image_size=16), r"Invalid image_size: 16"),
    ],
)
def test_invalid_spec_is_refused_naming_the_key_before_writing(tmp_path, data_root, mutate, message):
    spec = ring_spec(data_root)
    mutate(spec)
    with pytest.raises(ValueError, match=message):
        run(spec, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_image_size_the_model_does_not_support_is_refused(tmp_path, data_root):
    spec = digits_spec(data_root, model={"name": "sngan_resnet", "z_dim": 8, "kwargs": {}})
    with pytest.raises(ValueError, match="image_size"):
        run(spec, tmp_path / "run", fid_stats=tmp_path / "unused.npz")
    assert not (tmp_path / "run").exists()


def test_fid_needs_statistics_of_the_same_protocol(tmp_path, data_root):
    spec = digits_spec(data_root)
    with pytest.raises(ValueError, match="fid_stats"):
        run(spec, tmp_path / "run")
    wrong = _write_stats(data_root, tmp_path / "test_split.npz", split="test")
    with pytest.raises(ValueError, match=r"protocol mismatch.*'split'"):
        run(spec, tmp_path / "run", fid_stats=wrong)
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------------- the run


def test_run_directory_metrics_and_summary(tmp_path, data_root):
    spec = ring_spec(data_root, iterations=25)
    summary = run(spec, tmp_path / "run")
    rows = read_rows(tmp_path / "run", drop=())
    assert list(rows[0]) == ["iteration", "loss_g", "loss_d", "grad_norm_g", "grad_norm_d",
                             "lr_g", "lr_d", "modes", "high_quality", "elapsed_s"]
    # iteration 0 (untrained G), every eval.every, and the last iteration
    assert [int(r["iteration"]) for r in rows] == [0, 10, 20, 25]
    assert rows[0]["loss_g"] == "" and rows[0]["modes"] != ""
    for row in rows[1:]:
        assert all(math.isfinite(float(row[k])) for k in ("loss_g", "loss_d", "grad_norm_g", "grad_norm_d"))
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
        trainer = Trainer(ring_spec(data_root, eval={"every": every}), tmp_path / str(every))
        trainer.execute()
        trainers.append(trainer)
    for a, b in zip(trainers[0].G.state_dict().values(), trainers[1].G.state_dict().values()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("method", ["adam", "cg_prp", "omd"])  # optimizers with state
def test_resume_after_interruption_equals_an_uninterrupted_run(tmp_path, data_root, monkeypatch, method):
    spec = ring_spec(data_root, iterations=30, checkpoint_every=7, method=method,
                     lr_rule="sqrt", lr_g=1e-2, lr_d=1e-2)
    run(spec, tmp_path / "whole")
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 17)  # killed between the checkpoints at 14 and 21
        with pytest.raises(_Interrupt):
            run(spec, tmp_path / "resumed")
    assert not (tmp_path / "resumed" / "summary.json").exists()
    ckpt = torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=True)
    assert ckpt["iteration"] == 14
    assert [int(r["iteration"]) for r in read_rows(tmp_path / "resumed")] == [0, 10]
    summary = run(spec, tmp_path / "resumed")
    assert summary["status"] == "finished" and summary["iterations"] == 30
    assert read_rows(tmp_path / "resumed") == read_rows(tmp_path / "whole")


def test_finished_run_is_not_run_again(tmp_path, data_root, monkeypatch):
    spec = ring_spec(data_root, iterations=10)
    first = run(spec, tmp_path / "run")
    monkeypatch.setattr(Trainer, "_train", lambda self: pytest.fail("trained again"))
    assert run(spec, tmp_path / "run") == first
    with pytest.raises(CheckpointError, match=r"another spec \(differs in lr_g\)"):
        run(ring_spec(data_root, iterations=10, lr_g=0.5), tmp_path / "run")


def test_corrupted_checkpoint_is_refused_and_fresh_starts_over(tmp_path, data_root, monkeypatch):
    spec = ring_spec(data_root)
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 12)
        with pytest.raises(_Interrupt):
            run(spec, tmp_path / "run")
    ckpt = tmp_path / "run" / "checkpoint.pt"
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[: len(data) // 2])
    before = read_rows(tmp_path / "run")
    with pytest.raises(CheckpointError, match=rf"Invalid checkpoint {ckpt}: corrupted or truncated"):
        run(spec, tmp_path / "run")
    assert ckpt.read_bytes() == data[: len(data) // 2]  # nothing touched
    assert read_rows(tmp_path / "run") == before
    summary = run(spec, tmp_path / "run", fresh=True)
    assert summary["status"] == "finished"
    run(spec, tmp_path / "reference")
    assert read_rows(tmp_path / "run") == read_rows(tmp_path / "reference")


def test_checkpoint_of_another_spec_is_refused(tmp_path, data_root, monkeypatch):
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 12)
        with pytest.raises(_Interrupt):
            run(ring_spec(data_root), tmp_path / "run")
    with pytest.raises(CheckpointError, match=r"another spec \(differs in seed\)"):
        run(ring_spec(data_root, seed=9), tmp_path / "run")


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
    trainer = Trainer(ring_spec(data_root, n_critic=2, iterations=7, method="sgd"), tmp_path / "run")
    counts = {"g": 0, "d": 0}
    for name, opt in (("g", trainer.method.opt_g), ("d", trainer.method.opt_d)):
        opt.register_step_post_hook(lambda *_, _name=name: counts.__setitem__(_name, counts[_name] + 1))
    trainer.execute()
    assert counts == {"g": 7, "d": 14}


def test_lr_rule_is_stepped_once_per_iteration(tmp_path, data_root):
    run(ring_spec(data_root, lr_rule="sqrt", lr_g=0.01, lr_d=0.02), tmp_path / "run")
    for row in read_rows(tmp_path / "run")[1:]:
        it = int(row["iteration"])  # iteration t uses the rate after t - 1 scheduler steps
        assert float(row["lr_g"]) == pytest.approx(0.01 / math.sqrt(it))
        assert float(row["lr_d"]) == pytest.approx(0.02 / math.sqrt(it))


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains(tmp_path, data_root, loss):
    summary = run(ring_spec(data_root, loss=loss, iterations=10), tmp_path / "run")
    assert summary["status"] == "finished"
    row = read_rows(tmp_path / "run")[-1]
    assert math.isfinite(float(row["loss_d"])) and math.isfinite(float(row["loss_g"]))


@pytest.mark.parametrize(("method", "kwargs"), [("cg_fr", {"beta_coeff": 0.5}), ("pm", {"gamma": 1e-3}),
                                                ("co", {"gamma": 0.1})])
def test_cg_and_game_methods_run_end_to_end(tmp_path, data_root, method, kwargs):
    spec = ring_spec(data_root, method=method, method_kwargs=kwargs, iterations=10, lr_g=1e-2, lr_d=1e-2)
    summary = run(spec, tmp_path / "run")
    assert summary["status"] == "finished"
    assert summary["optimizer_steps"] == {"g": 10, "d": 10}


def test_fid_run_on_digits_samples_with_g_in_eval_mode(tmp_path, data_root, fid_stats, monkeypatch):
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
        assert image.size == (8 * 18 + 2, 8 * 18 + 2)  # 8×8 grid of 16-pixel images, padding 2


def test_resume_is_bit_identical_on_digits_with_batchnorm(tmp_path, data_root, fid_stats, monkeypatch):
    spec = digits_spec(data_root, iterations=8, checkpoint_every=2,
                       eval={"metric": "fid", "every": 4, "n_samples": 32, "batch_size": 32})
    run(spec, tmp_path / "whole", fid_stats=fid_stats)
    with monkeypatch.context() as patch:
        _interrupt_after(patch, 5)
        with pytest.raises(_Interrupt):
            run(spec, tmp_path / "resumed", fid_stats=fid_stats)
    run(spec, tmp_path / "resumed", fid_stats=fid_stats)
    assert read_rows(tmp_path / "resumed") == read_rows(tmp_path / "whole")
    a = torch.load(tmp_path / "whole" / "checkpoint.pt", weights_only=True)
    b = torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=True)
    for key in ("generator", "discriminator"):
        for x, y in zip(a[key].values(), b[key].values()):
            assert torch.equal(x, y)


def test_derive_seed_separates_streams():
    assert train.derive_seed(0, "data") != train.derive_seed(0, "noise")
    assert train.derive_seed(0, "data") != train.derive_seed(1, "data")
    assert train.derive_seed(5, "eval") == train.derive_seed(5, "eval")


def test_spec_is_not_mutated(tmp_path, data_root):
    spec = ring_spec(data_root, iterations=5)
    before = copy.deepcopy(spec)
    run(spec, tmp_path / "run")
    assert spec == before
