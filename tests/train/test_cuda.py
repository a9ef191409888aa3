"""A short training run on CUDA, killed and resumed from its checkpoint, gives the
metrics of an uninterrupted CUDA run (and runs at all: data, train, FID, checkpoint).

Marked ``cuda`` (``pytest -m cuda``; benchmarks/gpu_check.py runs it): skipped without
a CUDA device. The CPU version of this test (exact equality) is in test_checkpoint.py;
on CUDA the comparison allows for last-digit differences, since the training loop does
not force deterministic cuDNN/cuBLAS kernels (docs/training.md).
"""

from __future__ import annotations

import pytest
import torch

from cggan.train import run

from .conftest import Interrupt, digits_spec, interrupt_after, read_rows

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]


def _assert_rows_match(resumed: list[dict], whole: list[dict]) -> None:
    assert [r["iteration"] for r in resumed] == [r["iteration"] for r in whole]
    for a, b in zip(resumed, whole):
        assert a.keys() == b.keys()
        for key in a:
            try:
                x, y = float(a[key]), float(b[key])
            except ValueError:
                assert a[key] == b[key], key
                continue
            assert x == pytest.approx(y, rel=1e-3, abs=1e-5, nan_ok=True), (
                key,
                a["iteration"],
            )


@pytest.mark.parametrize("method", ["adam", "cg_hz"])
def test_cuda_resume_gives_the_metrics_of_an_uninterrupted_run(
    tmp_path, data_root, fid_stats, monkeypatch, method
):
    spec = digits_spec(
        data_root,
        method=method,
        iterations=8,
        checkpoint_every=2,
        eval={"metric": "fid", "every": 4, "n_samples": 32, "batch_size": 32},
    )
    whole = run(spec, tmp_path / "whole", fid_stats=fid_stats, device="cuda")
    assert whole["status"] == "finished"
    with monkeypatch.context() as patch:
        interrupt_after(patch, 5)
        with pytest.raises(Interrupt):
            run(spec, tmp_path / "resumed", fid_stats=fid_stats, device="cuda")
    ckpt = torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=True)
    assert ckpt["iteration"] == 4
    resumed = run(spec, tmp_path / "resumed", fid_stats=fid_stats, device="cuda")
    assert resumed["status"] == "finished" and resumed["iterations"] == 8
    _assert_rows_match(read_rows(tmp_path / "resumed"), read_rows(tmp_path / "whole"))
