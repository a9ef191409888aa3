"""Tests for cggan.train.jobs: the runs of one job, stop signals and environment
failures (exit codes 143/130 and 75), and what each leaves on disk."""

from __future__ import annotations

import errno
import json
import os
import signal

import pytest
import torch

from cggan.train import EXIT_ENVIRONMENT, Trainer, run, train_runs
from cggan.train import checkpoint as ckpt_module

from .conftest import metrics_without_timing, ring_spec


def _signal_at_step(monkeypatch, signum: int, step: int) -> None:
    """Deliver ``signum`` to this process during the ``step``-th training step."""
    original, calls = Trainer._train_step, {"n": 0}

    def step_and_signal(self):
        calls["n"] += 1
        if calls["n"] == step:
            signal.raise_signal(signum)  # handled: the step still completes
        return original(self)

    monkeypatch.setattr(Trainer, "_train_step", step_and_signal)


def _summary(run_dir):
    path = run_dir / "summary.json"
    return json.loads(path.read_text()) if path.exists() else None


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)]
)
def test_a_signal_stops_the_job_after_a_checkpoint_and_the_rerun_resumes(
    tmp_path, data_root, monkeypatch, capsys, signum, code
):
    specs = [ring_spec(data_root, seed=s, checkpoint_every=100) for s in (1, 2, 3)]
    outs = [tmp_path / f"run{k}" for k in range(3)]
    previous = signal.getsignal(signum)
    with monkeypatch.context() as patch:
        _signal_at_step(patch, signum, 30 + 17)  # iteration 17 of the second run
        assert train_runs(specs, outs) == code
    assert signal.getsignal(signum) is previous  # handlers restored
    assert _summary(outs[0])["status"] == "finished"  # a finished run keeps its summary
    assert _summary(outs[1]) is None
    assert ckpt_module.CheckpointFiles(outs[1]).load(specs[1])["iteration"] == 17
    assert not outs[2].exists()  # never started
    err = capsys.readouterr().err
    assert f"{signal.Signals(signum).name}: stopped at iteration 17" in err

    assert train_runs(specs, outs) == 0
    run(specs[1], tmp_path / "alone")
    assert metrics_without_timing(outs[1]) == metrics_without_timing(tmp_path / "alone")
    assert _summary(outs[2])["status"] == "finished"


def test_a_signal_during_the_last_iteration_lets_the_run_finish(
    tmp_path, data_root, monkeypatch
):
    spec = ring_spec(data_root, iterations=10)
    with monkeypatch.context() as patch:
        _signal_at_step(patch, signal.SIGTERM, 10)
        assert train_runs([spec], [tmp_path / "run"]) == 0
    assert _summary(tmp_path / "run")["status"] == "finished"


def test_a_full_disk_stops_the_job_without_a_summary(
    tmp_path, data_root, monkeypatch, capsys
):
    specs = [ring_spec(data_root, seed=s) for s in (1, 2, 3)]
    outs = [tmp_path / f"run{k}" for k in range(3)]
    write, saves = ckpt_module.atomic_write_bytes, {"n": 0}

    def full_disk(path, data):
        saves["n"] += 1
        if saves["n"] == 3 + 2:  # the second run's second checkpoint (at 20)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return write(path, data)

    with monkeypatch.context() as patch:
        patch.setattr(ckpt_module, "atomic_write_bytes", full_disk)
        code = train_runs(specs, outs, failure_exit_code=0)
    assert code == EXIT_ENVIRONMENT == 75
    assert _summary(outs[0])["status"] == "finished"
    assert _summary(outs[1]) is None  # retried by the next workflow run
    assert not outs[2].exists()
    err = capsys.readouterr().err
    (line,) = [ln for ln in err.splitlines() if "environment failure" in ln]
    assert line.startswith("error: environment failure (OSError: [Errno 28]")
    assert "run again to retry" in line and "Traceback" not in err
    assert train_runs(specs, outs, failure_exit_code=0) == 0
    run(specs[1], tmp_path / "alone")
    assert metrics_without_timing(outs[1]) == metrics_without_timing(tmp_path / "alone")


@pytest.mark.parametrize(
    "error",
    [
        MemoryError(),
        torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to ..."),
    ],
)
def test_out_of_memory_is_an_environment_failure(
    tmp_path, data_root, monkeypatch, error
):
    def exhausted(self):
        raise error

    monkeypatch.setattr(Trainer, "_train_step", exhausted)
    spec = ring_spec(data_root)
    assert train_runs([spec], [tmp_path / "run"], failure_exit_code=0) == 75
    assert _summary(tmp_path / "run") is None


def test_a_failed_run_is_recorded_and_the_job_goes_on(tmp_path, data_root, monkeypatch):
    original = Trainer._train_step

    def broken_for_seed_1(self):
        if self.spec.seed == 1:
            raise ZeroDivisionError("a bug in a method")
        return original(self)

    monkeypatch.setattr(Trainer, "_train_step", broken_for_seed_1)
    specs = [ring_spec(data_root, seed=s) for s in (1, 2)]
    outs = [tmp_path / "a", tmp_path / "b"]
    assert train_runs(specs, outs, failure_exit_code=0) == 0
    failed = _summary(outs[0])
    assert failed["status"] == "failed"
    assert failed["error"] == "ZeroDivisionError: a bug in a method"
    assert _summary(outs[1])["status"] == "finished"
    assert train_runs(specs, outs) == 1  # the failed run is tried again, and fails


def test_a_signal_while_a_run_is_built_stops_before_it_trains(
    tmp_path, data_root, monkeypatch, capsys
):
    original = Trainer._build_evaluator

    def build_and_signal(self, stats):
        signal.raise_signal(signal.SIGTERM)
        return original(self, stats)

    monkeypatch.setattr(Trainer, "_build_evaluator", build_and_signal)
    assert train_runs([ring_spec(data_root)], [tmp_path / "run"]) == 143
    assert not (tmp_path / "run").exists()  # building writes nothing
    assert f"SIGTERM: {tmp_path / 'run'} not started" in capsys.readouterr().err


def test_an_allocation_beyond_memory_while_training_is_bad_input_not_a_failed_run(
    tmp_path, data_root, monkeypatch, capsys
):
    """Too large for the machine's whole memory mid-run (e.g. an evaluation batch):
    exit 2, one line, no summary (not a 'failed' run counted against the method, and
    not an environment failure a scheduler would retry)."""
    specs = [ring_spec(data_root, seed=s) for s in (1, 2)]
    outs = [tmp_path / "run0", tmp_path / "run1"]

    def too_large(self):
        raise RuntimeError(
            "DefaultCPUAllocator: not enough memory: you tried to allocate "
            f"{2**70} bytes."
        )

    monkeypatch.setattr(Trainer, "_train_step", too_large)
    assert train_runs(specs, outs, failure_exit_code=0) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot fit" in errors[0] and str(outs[0]) in errors[0]
    assert _summary(outs[0]) is None and not outs[1].exists()
