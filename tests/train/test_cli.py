"""Tests for scripts/train.py: exit codes, SIGKILL and SIGTERM mid-run, group jobs."""

from __future__ import annotations

import errno
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
from cggan.train import checkpoint as ckpt_module
from helpers import load_script

from .conftest import metrics_without_timing, ring_spec

torch.set_num_threads(1)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train.py"
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


cli = load_script(SCRIPT, "train_cli")


def write_spec(path: Path, spec: dict) -> Path:
    path.write_text(json.dumps(spec))
    return path


def read_rows(run_dir: Path) -> list[dict]:
    from .conftest import read_rows as rows_without_timing

    return rows_without_timing(run_dir)


def _command(spec: Path, out: Path, *pairs: tuple[Path, Path]) -> list[str]:
    cmd = [sys.executable, str(SCRIPT), "--spec", str(spec), "--out", str(out)]
    for more_spec, more_out in pairs:
        cmd += ["--spec", str(more_spec), "--out", str(more_out)]
    return cmd + ["--threads", "1", "--device", "cpu"]


def test_finished_run_exits_0(tmp_path, capsys):
    spec = write_spec(tmp_path / "spec.json", ring_spec(tmp_path / "data"))
    assert cli.main(["--spec", str(spec), "--out", str(tmp_path / "run")]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "finished"
    assert "finished" in capsys.readouterr().err


def test_inline_json_spec_is_accepted(tmp_path):
    spec = json.dumps(ring_spec(tmp_path / "data", iterations=5))
    assert cli.main(["--spec", spec, "--out", str(tmp_path / "run")]) == 0


def test_invalid_spec_is_one_error_line_and_exit_2(tmp_path, capsys):
    spec = ring_spec(tmp_path / "data", method="lbfgs")
    path = write_spec(tmp_path / "spec.json", spec)
    assert cli.main(["--spec", str(path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: Invalid method: 'lbfgs'")
    assert not (tmp_path / "run").exists()
    missing = str(tmp_path / "missing.json")
    assert cli.main(["--spec", missing, "--out", str(tmp_path / "run")]) == 2


def test_diverged_run_exits_0(tmp_path):
    spec = ring_spec(
        tmp_path / "data", method="sgd", lr_g=1e6, lr_d=1e6, iterations=100
    )
    path = write_spec(tmp_path / "spec.json", spec)
    assert cli.main(["--spec", str(path), "--out", str(tmp_path / "run")]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "diverged" and summary["diverged_at"] >= 1


@pytest.mark.parametrize(
    ("extra", "code"), [([], 1), (["--failure-exit-code", "0"], 0)]
)
def test_failed_run_exits_with_the_failure_code(tmp_path, monkeypatch, extra, code):
    def broken(self):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Trainer, "_train_step", broken)
    spec = write_spec(tmp_path / "spec.json", ring_spec(tmp_path / "data"))
    argv = ["--spec", str(spec), "--out", str(tmp_path / "run"), *extra]
    assert cli.main(argv) == code
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "failed" and "disk on fire" in summary["error"]


def test_full_disk_exits_75_without_a_summary_and_the_rerun_resumes(
    tmp_path, monkeypatch, capsys
):
    spec = ring_spec(tmp_path / "data", iterations=30)
    path = write_spec(tmp_path / "spec.json", spec)
    out = tmp_path / "run"
    argv = ["--spec", str(path), "--out", str(out), "--failure-exit-code", "0"]
    write, saves = ckpt_module.atomic_write_bytes, {"n": 0}

    def full_disk(target, data):
        saves["n"] += 1
        if saves["n"] == 2:  # the checkpoint at 20; the one at 10 is on disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        return write(target, data)

    with monkeypatch.context() as patch:
        patch.setattr(ckpt_module, "atomic_write_bytes", full_disk)
        assert cli.main(argv) == 75
    assert not (out / "summary.json").exists()
    assert "environment failure (OSError: [Errno 28]" in capsys.readouterr().err
    assert cli.main(argv) == 0  # space freed: the next attempt resumes from 10
    assert json.loads((out / "summary.json").read_text())["status"] == "finished"
    run(spec, tmp_path / "whole", device="cpu")
    assert metrics_without_timing(out) == metrics_without_timing(tmp_path / "whole")


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
        "sys.argv = ['train.py', '--help']\n"
        "try:\n"
        f"    runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.stdout.strip().endswith("NO-TORCH"), out.stdout + out.stderr


def _wait_for(path: Path, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 120
    while not path.exists():
        assert proc.poll() is None, f"the run ended before its {what}"
        assert time.monotonic() < deadline, f"no {what} within 120 s"
        time.sleep(0.01)


@pytest.mark.slow  # two interpreter starts, three short runs: about 15-20 s on 2 cores
def test_sigkill_then_restart_gives_the_metrics_of_an_uninterrupted_run(tmp_path):
    spec = ring_spec(
        tmp_path / "data",
        iterations=200,
        checkpoint_every=10,
        eval={"metric": "modes", "every": 50, "n_samples": 400, "batch_size": 200},
    )
    path = write_spec(tmp_path / "spec.json", spec)
    out = tmp_path / "killed"
    cmd = _command(path, out)
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    try:
        _wait_for(out / "checkpoint.pt", proc, "first checkpoint")
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

    restarted = subprocess.run(
        cmd, capture_output=True, text=True, env=ENV, timeout=300, check=False
    )
    assert restarted.returncode == 0, restarted.stderr
    assert json.loads((out / "summary.json").read_text())["status"] == "finished"

    run(spec, tmp_path / "whole", device="cpu")
    assert read_rows(out) == read_rows(tmp_path / "whole")


def test_sigterm_mid_run_checkpoints_exits_143_and_the_rerun_resumes(tmp_path):
    total = 400  # over a second of training: the signal lands in its first iterations
    spec = ring_spec(
        tmp_path / "data",
        iterations=total,
        checkpoint_every=1000,
        eval={"metric": "modes", "every": 200, "n_samples": 400, "batch_size": 200},
    )
    path = write_spec(tmp_path / "spec.json", spec)
    out = tmp_path / "stopped"
    proc = subprocess.Popen(
        _command(path, out),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=ENV,
        text=True,
    )
    try:
        _wait_for(out / "metrics.csv", proc, "first row")  # training has begun
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert took < 10, f"exited {took:.1f} s after SIGTERM"
    assert not (out / "summary.json").exists(), "signalled too late: the run finished"
    stopped_at = torch.load(out / "checkpoint.pt", weights_only=True)["iteration"]
    # checkpoint_every exceeds the run: this checkpoint was written for the signal
    assert 0 < stopped_at < total
    assert f"SIGTERM: stopped at iteration {stopped_at}" in err

    assert cli.main(["--spec", str(path), "--out", str(out), "--device", "cpu"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["iterations"] == total
    run(spec, tmp_path / "whole", device="cpu")
    assert metrics_without_timing(out) == metrics_without_timing(tmp_path / "whole")


def test_several_runs_in_one_process_equal_single_invocations(tmp_path):
    root = tmp_path / "data"
    specs = [
        write_spec(tmp_path / f"s{k}.json", ring_spec(root, seed=k)) for k in (1, 2)
    ]
    args = []
    for k, spec in zip((1, 2), specs):
        args += ["--spec", str(spec), "--out", str(tmp_path / f"batch{k}")]
    assert cli.main(args + ["--threads", "1"]) == 0
    for k, spec in zip((1, 2), specs):
        single = ["--spec", str(spec), "--out", str(tmp_path / f"single{k}")]
        assert cli.main(single) == 0
        assert read_rows(tmp_path / f"batch{k}") == read_rows(tmp_path / f"single{k}")
    # seeds differ
    assert read_rows(tmp_path / "batch1") != read_rows(tmp_path / "batch2")


def test_a_group_job_equals_one_process_per_run_byte_for_byte(tmp_path):
    # Two processes: A then B, and B then A. Each run is once the first of its process
    # (a one-run job until it ends) and once the second, after another run in it.
    root = tmp_path / "data"
    run(ring_spec(root, iterations=1), tmp_path / "warm")  # the data, prepared once
    a, b = (
        write_spec(tmp_path / f"{k}.json", ring_spec(root, seed=s))
        for k, s in (("a", 1), ("b", 2))
    )
    commands = [
        _command(a, tmp_path / "first_a", (b, tmp_path / "second_b")),
        _command(b, tmp_path / "first_b", (a, tmp_path / "second_a")),
    ]
    procs = [
        subprocess.Popen(
            c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV, text=True
        )
        for c in commands
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    for k in ("a", "b"):
        first, second = tmp_path / f"first_{k}", tmp_path / f"second_{k}"
        assert metrics_without_timing(first) == metrics_without_timing(second)
        for name in ("samples.npy", "samples.png"):
            assert (first / name).read_bytes() == (second / name).read_bytes()
    assert metrics_without_timing(tmp_path / "first_a") != metrics_without_timing(
        tmp_path / "first_b"
    )


def test_several_runs_are_all_validated_before_the_first_starts(tmp_path, capsys):
    root = tmp_path / "data"
    good = write_spec(tmp_path / "good.json", ring_spec(root))
    bad = write_spec(tmp_path / "bad.json", ring_spec(root, method="nope"))
    code = cli.main(
        [
            "--spec",
            str(good),
            "--out",
            str(tmp_path / "a"),
            "--spec",
            str(bad),
            "--out",
            str(tmp_path / "b"),
        ]
    )
    assert code == 2
    assert "nope" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def test_unpaired_spec_and_out_is_bad_input(tmp_path, capsys):
    spec = write_spec(tmp_path / "s.json", ring_spec(tmp_path / "data"))
    code = cli.main(
        ["--spec", str(spec), "--spec", str(spec), "--out", str(tmp_path / "a")]
    )
    assert code == 2
    assert "one --out per --spec" in capsys.readouterr().err
