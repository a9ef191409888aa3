"""Tests for cggan.train.checkpoint: exact resume, refusals, checksums and fallback."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest
import torch

from cggan.train import CheckpointError, Trainer, run
from cggan.train import checkpoint as ckpt_module

from .conftest import (
    Interrupt,
    digits_spec,
    interrupt_after,
    metrics_without_timing,
    read_rows,
    ring_spec,
)


def _flip_middle(path, n: int = 16) -> None:
    """Invert ``n`` bytes in the middle of a file (inside a tensor's storage here)."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid : mid + n] = bytes(b ^ 0xFF for b in data[mid : mid + n])
    path.write_bytes(bytes(data))


def _interrupted(spec, run_dir, monkeypatch, steps: int) -> None:
    with monkeypatch.context() as patch:
        interrupt_after(patch, steps)
        with pytest.raises(Interrupt):
            run(spec, run_dir)


@pytest.mark.parametrize("method", ["adam", "cg_prp", "omd"])  # optimizers with state
def test_resume_after_interruption_equals_an_uninterrupted_run(
    tmp_path, data_root, monkeypatch, method
):
    spec = ring_spec(
        data_root,
        iterations=30,
        checkpoint_every=7,
        method=method,
        lr_rule="sqrt",
        lr_g=1e-2,
        lr_d=1e-2,
    )
    run(spec, tmp_path / "whole")
    # killed between the checkpoints at 14 and 21
    _interrupted(spec, tmp_path / "resumed", monkeypatch, 17)
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


def test_corrupted_checkpoint_is_refused_and_fresh_starts_over(
    tmp_path, data_root, monkeypatch
):
    spec = ring_spec(data_root)
    _interrupted(spec, tmp_path / "run", monkeypatch, 12)
    ckpt = tmp_path / "run" / "checkpoint.pt"
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[: len(data) // 2])
    before = read_rows(tmp_path / "run")
    with pytest.raises(
        CheckpointError, match=rf"Invalid checkpoint {ckpt}: corrupted or truncated"
    ):
        run(spec, tmp_path / "run")
    assert ckpt.read_bytes() == data[: len(data) // 2]  # nothing touched
    assert read_rows(tmp_path / "run") == before
    summary = run(spec, tmp_path / "run", fresh=True)
    assert summary["status"] == "finished"
    run(spec, tmp_path / "reference")
    assert read_rows(tmp_path / "run") == read_rows(tmp_path / "reference")


def test_checkpoint_of_another_spec_is_refused(tmp_path, data_root, monkeypatch):
    _interrupted(ring_spec(data_root), tmp_path / "run", monkeypatch, 12)
    with pytest.raises(CheckpointError, match=r"another spec \(differs in seed\)"):
        run(ring_spec(data_root, seed=9), tmp_path / "run")


def test_resume_is_bit_identical_on_digits_with_batchnorm(
    tmp_path, data_root, fid_stats, monkeypatch
):
    spec = digits_spec(
        data_root,
        iterations=8,
        checkpoint_every=2,
        eval={"metric": "fid", "every": 4, "n_samples": 32, "batch_size": 32},
    )
    run(spec, tmp_path / "whole", fid_stats=fid_stats)
    with monkeypatch.context() as patch:
        interrupt_after(patch, 5)
        with pytest.raises(Interrupt):
            run(spec, tmp_path / "resumed", fid_stats=fid_stats)
    run(spec, tmp_path / "resumed", fid_stats=fid_stats)
    assert read_rows(tmp_path / "resumed") == read_rows(tmp_path / "whole")
    a = torch.load(tmp_path / "whole" / "checkpoint.pt", weights_only=True)
    b = torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=True)
    for key in ("generator", "discriminator"):
        for x, y in zip(a[key].values(), b[key].values()):
            assert torch.equal(x, y)


# --------------------------------------------------------------------- checksums


def test_checksum_file_lists_both_checkpoints_in_sha256sum_format(tmp_path, data_root):
    run(ring_spec(data_root, iterations=20), tmp_path / "run")
    run_dir = tmp_path / "run"
    lines = (run_dir / "checkpoint.sha256").read_text().splitlines()
    expected = [
        f"{hashlib.sha256((run_dir / name).read_bytes()).hexdigest()}  {name}"
        for name in ("checkpoint.pt", "checkpoint.prev.pt")
    ]
    assert lines == expected
    previous = torch.load(run_dir / "checkpoint.prev.pt", weights_only=True)
    assert previous["iteration"] == 10
    if shutil.which("sha256sum"):
        check = subprocess.run(
            ["sha256sum", "-c", "checkpoint.sha256"],
            cwd=run_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_flipped_bytes_fall_back_to_the_previous_checkpoint(
    tmp_path, data_root, monkeypatch, capsys
):
    spec = ring_spec(data_root, iterations=30, checkpoint_every=7)
    run(spec, tmp_path / "whole")
    _interrupted(spec, tmp_path / "run", monkeypatch, 17)  # checkpoints at 7 and 14
    ckpt = tmp_path / "run" / "checkpoint.pt"
    _flip_middle(ckpt)
    # torch alone does not notice: the flipped bytes are inside a tensor
    damaged = torch.load(ckpt, weights_only=True)
    assert damaged["iteration"] == 14
    capsys.readouterr()
    summary = run(spec, tmp_path / "run")
    err = capsys.readouterr().err.splitlines()
    warnings = [line for line in err if line.startswith("warning:")]
    assert len(warnings) == 1
    assert f"Invalid checkpoint {ckpt}: corrupted or truncated" in warnings[0]
    assert f"resuming from {tmp_path / 'run' / 'checkpoint.prev.pt'}" in warnings[0]
    assert summary["status"] == "finished"
    assert metrics_without_timing(tmp_path / "run") == metrics_without_timing(
        tmp_path / "whole"
    )


def test_flipped_bytes_without_an_intact_fallback_are_refused_in_one_line(
    tmp_path, data_root, monkeypatch
):
    spec = ring_spec(data_root, iterations=30, checkpoint_every=7)
    _interrupted(spec, tmp_path / "one", monkeypatch, 10)  # one checkpoint, at 7
    ckpt = tmp_path / "one" / "checkpoint.pt"
    _flip_middle(ckpt)
    flipped = ckpt.read_bytes()
    with pytest.raises(CheckpointError) as info:
        run(spec, tmp_path / "one")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"Invalid checkpoint {ckpt}: corrupted or truncated")
    assert message.endswith("pass --fresh to start over")
    assert ckpt.read_bytes() == flipped  # nothing touched

    _interrupted(spec, tmp_path / "both", monkeypatch, 17)  # checkpoints at 7 and 14
    for name in ("checkpoint.pt", "checkpoint.prev.pt"):
        _flip_middle(tmp_path / "both" / name)
    with pytest.raises(CheckpointError, match=r"\(checkpoint\.prev\.pt too\)"):
        run(spec, tmp_path / "both")


def test_checkpoint_without_a_checksum_is_refused(tmp_path, data_root, monkeypatch):
    spec = ring_spec(data_root)
    _interrupted(spec, tmp_path / "run", monkeypatch, 12)
    (tmp_path / "run" / "checkpoint.sha256").unlink()
    with pytest.raises(CheckpointError, match=r"no checksum to verify it"):
        run(spec, tmp_path / "run")


@pytest.mark.parametrize("killed_in", ["rotate", "write"])
def test_a_save_killed_halfway_leaves_an_intact_checkpoint(
    tmp_path, data_root, monkeypatch, killed_in
):
    spec = ring_spec(data_root, iterations=30, checkpoint_every=7)
    run(spec, tmp_path / "whole")
    replace, write = ckpt_module.os.replace, ckpt_module.atomic_write_bytes
    writes = {"n": 0}

    def replace_or_die(src, dst):  # the save at 14 rotates the checkpoint of 7
        if str(dst).endswith("checkpoint.prev.pt"):
            raise Interrupt
        return replace(src, dst)

    def write_or_die(path, data):
        writes["n"] += 1
        if writes["n"] == 2:  # the save at 14; the one at 7 went through
            raise Interrupt
        return write(path, data)

    with monkeypatch.context() as patch:
        if killed_in == "rotate":  # digest list written, checkpoint.pt not yet moved
            patch.setattr(ckpt_module.os, "replace", replace_or_die)
        else:  # checkpoint.pt moved to checkpoint.prev.pt, the new one not written
            patch.setattr(ckpt_module, "atomic_write_bytes", write_or_die)
        with pytest.raises(Interrupt):
            run(spec, tmp_path / "run")
    names = {p.name for p in (tmp_path / "run").glob("checkpoint*.pt")}
    expected = {"rotate": {"checkpoint.pt"}, "write": {"checkpoint.prev.pt"}}
    assert names == expected[killed_in]
    summary = run(spec, tmp_path / "run")
    assert summary["status"] == "finished"
    assert read_rows(tmp_path / "run") == read_rows(tmp_path / "whole")


def test_a_lost_summary_is_rebuilt_from_the_final_checkpoint_without_training(
    tmp_path, data_root, monkeypatch
):
    # Snakemake deletes the outputs of a job that exits non-zero: a group job stopped by
    # a signal loses the summaries of its finished runs too.
    spec = ring_spec(data_root)
    first = run(spec, tmp_path / "run")
    before = (tmp_path / "run" / "metrics.csv").read_bytes()
    (tmp_path / "run" / "summary.json").unlink()
    monkeypatch.setattr(Trainer, "_train_step", lambda self: pytest.fail("trained"))
    again = run(spec, tmp_path / "run")
    assert (tmp_path / "run" / "metrics.csv").read_bytes() == before
    for key in ("status", "iterations", "best_metric", "final_metric", "files"):
        assert again[key] == first[key]


def _other_code(monkeypatch) -> None:
    """Make the current code differ from the one that wrote the run: cg.py edited."""
    from cggan.fingerprint import code_fingerprint

    real = code_fingerprint()
    modules = dict(real["modules"], **{"cggan.optim.cg": "0" * 16})
    other = dict(real, fingerprint="1" * 64, modules=modules)
    from cggan.train import outputs

    for module in (ckpt_module, outputs):  # what is compared, and what a run records
        monkeypatch.setattr(module, "code_fingerprint", lambda: other)


def test_a_checkpoint_of_other_code_is_refused(tmp_path, data_root, monkeypatch):
    spec = ring_spec(data_root)
    _interrupted(spec, tmp_path / "run", monkeypatch, 12)
    with monkeypatch.context() as patch:
        _other_code(patch)
        with pytest.raises(
            CheckpointError,
            match=r"written by other code \(changed: cggan.optim.cg\); pass --fresh",
        ):
            run(spec, tmp_path / "run")
        assert run(spec, tmp_path / "run", fresh=True)["status"] == "finished"
    # a finished run of other code is not returned as this code's either
    with pytest.raises(CheckpointError, match=r"finished run made by other code"):
        run(spec, tmp_path / "run")
