"""Parity with ``python -m pytorch_fid`` on the same PNG folders and the same weights.

The official weights cannot be downloaded offline, so both sides use one randomly
initialized FID-Inception state dict (same architecture and keys), generated here into a
temporary TORCH_HOME where pytorch-fid's torch-hub lookup finds it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from torchvision.utils import save_image

from cggan.metrics import features as feat
from cggan.metrics import fid

N_IMAGES = 30


@pytest.mark.slow
def test_fid_equals_pytorch_fid_cli(tmp_path):
    torch.set_num_threads(1)
    torch_home = tmp_path / "torch_home"
    weights = torch_home / "hub" / "checkpoints" / feat.INCEPTION_FILENAME
    weights.parent.mkdir(parents=True)
    sha = feat.save_random_inception_weights(weights, seed=0)

    gen = torch.Generator().manual_seed(0)
    base = torch.rand(1, 3, 32, 32, generator=gen)
    # Two related but different image sets: smooth-ish images plus noise of two levels.
    sets = {
        "a": (
            (base + 0.3 * torch.rand(N_IMAGES, 3, 32, 32, generator=gen)) * 1.6 - 1
        ).clamp(-1, 1),
        "b": (
            (base + 0.6 * torch.rand(N_IMAGES, 3, 32, 32, generator=gen)) * 1.2 - 0.9
        ).clamp(-1, 1),
    }
    for name, images in sets.items():
        folder = tmp_path / name
        folder.mkdir()
        for i, img in enumerate(images):
            save_image((img + 1) / 2, folder / f"{i:03d}.png")

    extractor = feat.build_extractor(
        "inception", weights=weights, dims=64, expected_sha256=sha
    )
    stats = [
        fid.compute_statistics(
            feat.extract_features(extractor, x, N_IMAGES, batch_size=16)
        )
        for x in sets.values()
    ]
    ours, status = fid.frechet_distance(*stats[0], *stats[1])
    assert status == "ok"
    # The evaluator's fast path (cached root of the first covariance) agrees.
    fast, status = fid.frechet_distance(
        *stats[0], *stats[1], sqrt_sigma1=fid.sqrt_psd(stats[0][1])
    )
    assert status == "ok" and abs(fast - ours) <= 1e-6 * abs(ours)

    env = dict(os.environ, TORCH_HOME=str(torch_home), OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytorch_fid",
            "--dims",
            "64",
            "--device",
            "cpu",
            "--num-workers",
            "0",
            str(tmp_path / "a"),
            str(tmp_path / "b"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    theirs = float(re.search(r"FID:\s+([-\d.eE+]+)", proc.stdout).group(1))
    assert theirs > 0
    print(f"ours {ours!r} pytorch-fid {theirs!r}")
    assert abs(ours - theirs) / abs(theirs) <= 1e-3, (ours, theirs)
    assert np.isfinite(ours)
