#!/usr/bin/env python
"""One FID evaluation, the released code's way versus ours, same extractor and N.

Released way (CG-GAN main.py): write the N generated images as PNG files
(``save_image(normalize=True)``), then run pytorch-fid over the real folder (5·N PNGs) and
the fake folder, which recomputes the real statistics every time. Ours: cached real
statistics (computed once, untimed, as the fid_stats rule does), fakes generated in
memory, quantized as 8-bit PNGs would be, features, Fréchet distance and KID. Also timed:
the bare forward passes of the extractor on the N (pre-generated) fakes.

The official Inception weights are not available offline, so a randomly initialized file
of the same architecture is generated into a temporary TORCH_HOME (timings are those of
the real network; the FID values themselves mean nothing). Prints both ratios; targets:
ours >= 5x faster than the released way, ours <= 1.15x the bare extraction.

Usage: python benchmarks/fid_eval.py [--n 100] [--dims 2048] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=100, help="generated images N (real: 5·N)")
    p.add_argument("--dims", type=int, default=2048, choices=[64, 192, 768, 2048])
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="ours and bare extraction are timed this many times, interleaved; "
        "the minimum is reported (the machine is shared)",
    )
    return p


def make_generator(seed: int, z_dim: int = 64):
    """DCGAN-like random generator: z -> 3×32×32 in [-1, 1]."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    g = nn.Sequential(
        nn.Unflatten(1, (z_dim, 1, 1)),
        nn.ConvTranspose2d(z_dim, 128, 4, 1, 0), nn.BatchNorm2d(128), nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.ConvTranspose2d(32, 3, 4, 2, 1), nn.Tanh(),
    )  # fmt: skip
    g.z_dim = z_dim
    return g.eval()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import numpy as np
    import torch
    from pytorch_fid.fid_score import calculate_fid_given_paths
    from torchvision.utils import save_image

    from cggan.metrics import features as feat
    from cggan.metrics import fid
    from cggan.runtime import set_threads

    set_threads(args.threads)
    n, bs = args.n, args.batch_size
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        torch_home = tmp / "torch_home"
        weights = torch_home / "hub" / "checkpoints" / feat.INCEPTION_FILENAME
        weights.parent.mkdir(parents=True)
        print(
            f"generating random-init Inception weights into {weights} ...",
            file=sys.stderr,
        )
        sha = feat.save_random_inception_weights(weights, seed=args.seed)
        os.environ["TORCH_HOME"] = str(torch_home)  # pytorch-fid's torch-hub lookup

        # Real set: 5·N images, as PNGs (released way) and as cached statistics (ours).
        real_g = make_generator(args.seed + 1)
        with torch.no_grad():
            real = real_g(
                torch.randn(
                    5 * n, real_g.z_dim, generator=torch.Generator().manual_seed(1)
                )
            )
        real_dir = tmp / "real"
        real_dir.mkdir()
        for i, img in enumerate(real):
            save_image((img + 1) / 2, real_dir / f"{i:06d}.png")
        extractor = feat.build_extractor(
            "inception", weights=weights, dims=args.dims, expected_sha256=sha
        )
        print("computing the cached real statistics (untimed) ...", file=sys.stderr)
        real_feats = feat.extract_features(extractor, real, len(real), bs)
        mu, sigma = fid.compute_statistics(real_feats)
        proto = fid.reference_protocol(
            dataset="bench",
            split="train",
            n=len(real),
            image_size=32,
            channels=3,
            extractor=extractor,
        )
        stats_path = tmp / "stats" / "bench.npz"
        fid.save_reference_stats(stats_path, mu, sigma, proto, kid_features=real_feats)
        reference = fid.load_reference_stats(stats_path, expected_protocol=proto)

        fake_g = make_generator(args.seed + 2)

        def sampler():
            gen = torch.Generator().manual_seed(2)

            def sample_fn(b: int) -> torch.Tensor:
                with torch.no_grad():
                    return fake_g(torch.randn(b, fake_g.z_dim, generator=gen))

            return sample_fn

        # Warm-up (first-call allocations), untimed.
        extractor.features_from_unit(torch.rand(2, 3, 32, 32))

        # Bare extraction (forward passes only, fakes already generated and quantized) and
        # ours, interleaved so that load changes on the shared machine hit both alike.
        fakes01 = fid.quantize_png8(sampler()(n))
        evaluator = fid.FIDEvaluator(reference, extractor, n, bs)
        t_bare, t_ours = float("inf"), float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            for i in range(0, n, bs):
                extractor.features_from_unit(fakes01[i : i + bs])
            t_bare = min(t_bare, time.perf_counter() - t0)
            t0 = time.perf_counter()
            ours = evaluator(sampler())
            t_ours = min(t_ours, time.perf_counter() - t0)
        # Its distance part alone, for the record (same statistics as inside the call).
        t0 = time.perf_counter()
        fid.frechet_distance(mu, sigma, mu, sigma)
        t_frechet = time.perf_counter() - t0

        # Released way: PNGs of the fakes, then pytorch-fid over both folders.
        fake_dir = tmp / "fake"
        t0 = time.perf_counter()
        fake_dir.mkdir()
        sample_fn, k = sampler(), 0
        while k < n:
            b = min(bs, n - k)
            for img in sample_fn(b):
                save_image(img, fake_dir / f"{k:06d}.png", normalize=True)
                k += 1
        t_png = time.perf_counter() - t0
        workers = min(len(os.sched_getaffinity(0)), 8)  # pytorch-fid's CLI default
        released = calculate_fid_given_paths(
            [str(real_dir), str(fake_dir)], bs, "cpu", args.dims, workers
        )
        t_released = time.perf_counter() - t0

    print(
        f"\nFID evaluation benchmark: N_fake={n}, N_real={5 * n}, dims={args.dims}, "
        f"batch={bs}, threads={args.threads}, repeats={args.repeats}, CPU, random-init Inception (sha256 {sha[:12]}...)"
    )
    print(f"{'':44s}{'seconds':>10s}")
    print(
        f"{'released way (PNGs + pytorch-fid on both)':44s}{t_released:10.2f}"
        f"   (writing PNGs {t_png:.2f}; FID {released:.4g})"
    )
    print(
        f"{'ours (cached stats, in memory, + KID)':44s}{t_ours:10.2f}"
        f"   (FID {ours['fid']:.4g}, {ours['fid_status']}; KID {ours['kid']:.4g})"
    )
    print(f"{'bare extraction of the N fakes':44s}{t_bare:10.2f}")
    print(f"{'  of which: one Frechet distance (sqrtm)':44s}{t_frechet:10.2f}")
    speedup, overhead = t_released / t_ours, t_ours / t_bare
    print(f"speed-up released/ours: {speedup:.2f}x (target >= 5)")
    print(f"overhead ours/bare:     {overhead:.3f}x (target <= 1.15)")
    # FIDs differ by design: the released way min-max normalizes each image.
    return 0 if np.isfinite(t_ours) else 1


if __name__ == "__main__":
    sys.exit(main())
