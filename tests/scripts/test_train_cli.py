"""Tests for scripts/train.py: exit codes, and a run killed with SIGKILL then restarted."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from cggan.train import Trainer, run

torch.set_num_threads(1)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train.py"


def _load_cli():
    spec = importlib.util.spec_from_file_location("train_cli", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cli = _load_cli()


def ring_spec(root, **overrides) -> dict:
    spec = {
        "dataset": {"name": "ring8", "image_size": None, "root": str(root)},
        "model": {"name": "mlp", "z_dim": 8, "kwargs": {"hidden": 32, "depth": 2}},
        "loss": "bce", "n_critic": 1, "batch_size": 64, "iterations": 20,
        "method": "adam", "method_kwargs": {}, "lr_rule": "constant", "lr_rule_kwargs": {},
        "lr_g": 1e-3, "lr_d": 1e-3, "seed": 1,
        "eval": {"metric": "modes", "every": 10, "n_samples": 400, "batch_size": 200},
        "checkpoint_every": 10,
    }
    spec.update(overrides)
    return spec


def write_spec(path: Path, spec: dict) -> Path:
    path.write_text(json.dumps(spec))
    return path


def read_rows(run_dir: Path) -> list[dict]:
    with open(run_dir / "metrics.csv", newline="") as fh:
        return [{k: v for k, v in row.items() if k != "elapsed_s"} for row in csv.DictReader(fh)]


def test_finished_run_exits_0(tmp_path, capsys):
    spec = write_spec(tmp_path / "spec.json", ring_spec(tmp_path / "data"))
    assert cli.main(["--spec", str(spec), "--out", str(tmp_path / "run")]) == 0
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["status"] == "finished"
    assert "finished" in capsys.readouterr().err


def test_inline_json_spec_is_accepted(tmp_path):
    spec = json.dumps(ring_spec(tmp_path / "data", iterations=5))
    assert cli.main(["--spec", spec, "--out", str(tmp_path / "run")]) == 0


def test_invalid_spec_is_one_error_line_and_exit_2(tmp_path, capsys):
    spec = write_spec(tmp_path / "spec.json", ring_spec(tmp_path / "data", method="lbfgs"))
    assert cli.main(["--spec", str(spec), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: Invalid method: 'lbfgs'")
    assert not (tmp_path / "run").exists()
    assert cli.main(["--spec", str(tmp_path / "missing.json"), "--out", str(tmp_path / "run")]) == 2


def test_diverged_run_exits_0(tmp_path):
    spec = ring_spec(tmp_path / "data", method="sgd", lr_g=1e6, lr_d=1e6, iterations=100)
    path = write_spec(tmp_path / "spec.json", spec)
    assert cli.main(["--spec", str(path), "--out", str(tmp_path / "run")]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "diverged" and summary["diverged_at"] >= 1


@pytest.mark.parametrize(("extra", "code"), [([], 1), (["--failure-exit-code", "0"], 0)])
def test_failed_run_exits_with_the_failure_code(tmp_path, monkeypatch, extra, code):
    def broken(self):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Trainer, "_train_step", broken)
    spec = write_spec(tmp_path / "spec.json", ring_spec(tmp_path / "data"))
    assert cli.main(["--spec", str(spec), "--out", str(tmp_path / "run"), *extra]) == code
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "failed" and "disk on fire" in summary["error"]


def test_corrupted_checkpoint_exits_2_until_fresh(tmp_path, capsys):
    spec = write_spec(tmp_path / "spec.json", ring_spec(tmp_path / "data"))
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint.pt").write_bytes(b"PK\x03\x04 truncated")
    assert cli.main(["--spec", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"Invalid checkpoint {out / 'checkpoint.pt'}" in err[0]
    assert "--fresh" in err[0]
    assert cli.main(["--spec", str(spec), "--out", str(out), "--fresh"]) == 0
    assert json.loads((out / "summary.json").read_text())["status"] == "finished"


def test_help_does_not_import_torch():
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['train.py', '--help']\n"
        "try:\n"
        f"    runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().endswith("NO-TORCH"), out.stdout + out.stderr


@pytest.mark.slow  # two interpreter starts plus three short runs: about 15-20 s on 2 cores
def test_sigkill_then_restart_gives_the_metrics_of_an_uninterrupted_run(tmp_path):
    spec = ring_spec(tmp_path / "data", iterations=200, checkpoint_every=10,
                     eval={"metric": "modes", "every": 50, "n_samples": 400, "batch_size": 200})
    path = write_spec(tmp_path / "spec.json", spec)
    out = tmp_path / "killed"
    cmd = [sys.executable, str(SCRIPT), "--spec", str(path), "--out", str(out), "--threads", "1",
           "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 120
        while not (out / "checkpoint.pt").exists():
            assert proc.poll() is None, "the run ended before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint within 120 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "summary.json").exists(), "killed too late: the run had finished"
    killed_at = torch.load(out / "checkpoint.pt", weights_only=True)["iteration"]
    assert 0 < killed_at < 200

    restarted = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert restarted.returncode == 0, restarted.stderr
    assert json.loads((out / "summary.json").read_text())["status"] == "finished"

    run(spec, tmp_path / "whole", device="cpu")
    assert read_rows(out) == read_rows(tmp_path / "whole")


def test_several_runs_in_one_process_equal_single_invocations(tmp_path):
    root = tmp_path / "data"
    specs = [write_spec(tmp_path / f"s{k}.json", ring_spec(root, seed=k)) for k in (1, 2)]
    args = []
    for k, spec in zip((1, 2), specs):
        args += ["--spec", str(spec), "--out", str(tmp_path / f"batch{k}")]
    assert cli.main(args + ["--threads", "1"]) == 0
    for k, spec in zip((1, 2), specs):
        assert cli.main(["--spec", str(spec), "--out", str(tmp_path / f"single{k}")]) == 0
        assert read_rows(tmp_path / f"batch{k}") == read_rows(tmp_path / f"single{k}")
    assert read_rows(tmp_path / "batch1") != read_rows(tmp_path / "batch2")  # seeds differ


def test_several_runs_are_all_validated_before_the_first_starts(tmp_path, capsys):
    root = tmp_path / "data"
    good = write_spec(tmp_path / "good.json", ring_spec(root))
    bad = write_spec(tmp_path / "bad.json", ring_spec(root, method="nope"))
    code = cli.main(["--spec", str(good), "--out", str(tmp_path / "a"),
                     "--spec", str(bad), "--out", str(tmp_path / "b")])
    assert code == 2
    assert "nope" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def test_unpaired_spec_and_out_is_bad_input(tmp_path, capsys):
    spec = write_spec(tmp_path / "s.json", ring_spec(tmp_path / "data"))
    code = cli.main(["--spec", str(spec), "--spec", str(spec), "--out", str(tmp_path / "a")])
    assert code == 2
    assert "one --out per --spec" in capsys.readouterr().err
