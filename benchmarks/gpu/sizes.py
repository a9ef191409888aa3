"""What the GPU check times, at which sizes, and where it writes its results."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Where a full run on CUDA writes (CPU and quick runs never do).
DEFAULT_GPU_OUT = REPO / "docs" / "results" / "gpu"
#: The methods the issue asks to time on both models.
ISSUE_METHODS = (
    "sgd",
    "adam",
    "cg_fr",
    "cg_prp",
    "cg_hs",
    "cg_dy",
    "cg_hs_dy",
    "cg_fr_prp",
    "cg_hz",
    "nsgda",
    "graft_adam_sgd",
    "graft_sgd_adam",
)
#: Sizes of the full (GPU) check and of the quick one (CPU, test suite).
FULL = {
    "batch_size": 64,
    "warmup": 20,
    "iterations": 100,
    "dcgan": {"ngf": 64, "ndf": 64},
    "sngan_resnet": {},  # the paper's widths (the model's defaults)
    "z_dim": 128,
    "data_n": 2048,
    "step_repeats": 200,
    "fid_n": 10_000,
    "fid_batch": 250,
    "fid_dims": 2048,
    "concurrency": (1, 2, 4, 8),
    "concurrency_s": 12.0,
    "threads": 4,
}
QUICK = {
    "batch_size": 8,
    "warmup": 1,
    "iterations": 2,
    "dcgan": {"ngf": 8, "ndf": 8},
    "sngan_resnet": {"g_ch": 16, "d_ch": 16},
    "z_dim": 16,
    "data_n": 64,
    "step_repeats": 5,
    "fid_n": 16,
    "fid_batch": 8,
    "fid_dims": 64,
    "concurrency": (1, 2),
    "concurrency_s": 0.5,
    "threads": 1,
}
