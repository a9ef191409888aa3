"""One FID evaluation of generated samples, at the pipeline's sizes."""

from __future__ import annotations

import time
from pathlib import Path

from gpu.timing import sync


def section_fid(sizes, device, tmp: Path) -> dict:
    """One FID evaluation: ``fid_n`` SNGAN-ResNet samples, Inception at ``fid_dims``
    (randomly initialised weights), reference statistics cached as in the pipeline."""
    import numpy as np
    import torch

    from cggan.metrics import features as feat
    from cggan.metrics import fid
    from cggan.models import build_models

    weights = tmp / "torch_home" / "hub" / "checkpoints" / feat.INCEPTION_FILENAME
    weights.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    sha = feat.save_random_inception_weights(weights, seed=0)
    extractor = feat.build_extractor(
        "inception", weights=weights, dims=sizes["fid_dims"], expected_sha256=sha
    )
    setup_s = time.perf_counter() - t
    dims, n = sizes["fid_dims"], sizes["fid_n"]
    rng = np.random.default_rng(0)
    real = rng.standard_normal((max(2 * dims, n), dims)).astype(np.float64)
    mu, sigma = fid.compute_statistics(real)
    protocol = fid.reference_protocol(
        dataset="cifar10",
        split="train",
        n=len(real),
        image_size=32,
        channels=3,
        extractor=extractor,
    )
    kid_rows = min(len(real), fid.KID_REFERENCE_FEATURES)
    ref = fid.ReferenceStats(
        mu, sigma, protocol, real[:kid_rows], sqrt_sigma=fid.sqrt_psd(sigma)
    )
    evaluator = fid.FIDEvaluator(ref, extractor, n, sizes["fid_batch"], device)
    torch.manual_seed(0)
    generator, _ = build_models(
        "sngan_resnet",
        image_size=32,
        channels=3,
        z_dim=sizes["z_dim"],
        **sizes["sngan_resnet"],
    )
    generator = generator.to(device).eval()
    gen = torch.Generator().manual_seed(0)

    @torch.no_grad()
    def sample_fn(b: int):
        return generator(torch.randn(b, sizes["z_dim"], generator=gen).to(device))

    # Warm-up (first-call allocations, cuDNN plans) on one batch, not a whole one.
    warm = sizes["fid_batch"]
    fid.FIDEvaluator(ref, extractor, warm, warm, device, kid_subset_size=warm)(
        sample_fn
    )
    sync(device)
    t = time.perf_counter()
    result = evaluator(sample_fn)
    sync(device)
    seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "n_samples": n,
        "dims": dims,
        "batch_size": sizes["fid_batch"],
        "setup_s": setup_s,
        "fid_status": result["fid_status"],
        "weights": "random init (same architecture and cost as the FID Inception)",
    }
