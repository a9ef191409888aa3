#!/usr/bin/env python
"""One FID evaluation at 2048-d: the pipeline's way, the released code's way, bare
feature extraction, and the Fréchet-distance step alone, at N = 100 and N = 1,000.

Released way (CG-GAN main.py): write the N generated images as PNG files
(``save_image(normalize=True)``), then run pytorch-fid over the real folder (5·N PNGs)
and the fake folder, which recomputes the real statistics and takes
``scipy.linalg.sqrtm`` of a 2048×2048 product every time. Pipeline (ours): real
statistics and R = Σ_r^½ cached once (untimed, as the fid_stats rule does), fakes
generated in memory and quantized as 8-bit PNGs would be, features, the Fréchet
distance from ``eigvalsh(R Σ_g R)``, and KID. Bare: the extractor's forward passes over
the same N pre-generated, quantized fakes.

Measured side by side at ``--measure-n`` (default 100): ours and bare interleaved
(minimum of ``--repeats``), the released way once, split into its parts; the cheap
parts below are the minimum of three calls, pytorch-fid's distance one call. At larger N
(default 1,000) the forward passes are extrapolated linearly from the measured rate
(fixed batch size; the output says so), and every other part is measured at that N:
sampling and quantization, statistics, both Fréchet distances (2048-d statistics of N
features with the reference covariance), KID, PNG writing.

The official Inception weights are not available offline: a randomly initialized file
of the same architecture is generated into a temporary TORCH_HOME (timings are those
of the real network; the FID values mean nothing). Targets (issue 13): ours >= 5x
faster than the released way, ours <= 1.15x the bare extraction, Fréchet step >= 10x.

Usage: python benchmarks/fid_eval.py [--n 100,1000] [--measure-n 100] [--threads 1]
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
    p.add_argument("--n", default="100,1000", help="generated images N (real: 5·N)")
    p.add_argument(
        "--measure-n",
        type=int,
        default=100,
        help="N at which the forward passes are measured",
    )
    p.add_argument("--dims", type=int, default=2048, choices=[64, 192, 768, 2048])
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--repeats", type=int, default=3, help="repeats of ours and bare, interleaved"
    )
    return p


def make_generator(seed: int, z_dim: int = 64):
    """DCGAN-like random generator: z -> 3×32×32 in [-1, 1]."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    g = nn.Sequential(
        nn.Unflatten(1, (z_dim, 1, 1)),
        nn.ConvTranspose2d(z_dim, 128, 4, 1, 0),
        nn.BatchNorm2d(128),
        nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, 2, 1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 4, 2, 1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.ConvTranspose2d(32, 3, 4, 2, 1),
        nn.Tanh(),
    )
    g.z_dim = z_dim
    return g.eval()


def sampler(g, seed: int = 2):
    """A fresh ``sample_fn(b)`` drawing from ``g`` with a fixed noise stream."""
    import torch

    gen = torch.Generator().manual_seed(seed)

    def sample_fn(b: int):
        with torch.no_grad():
            return g(torch.randn(b, g.z_dim, generator=gen))

    return sample_fn


def clock(fn, *args, **kwargs):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def best_of(repeats: int, fn, *args, **kwargs):
    """(minimum seconds over ``repeats`` calls, last result): the machine is shared."""
    runs = [clock(fn, *args, **kwargs) for _ in range(repeats)]
    return min(t for t, _ in runs), runs[-1][1]


def write_pngs(folder: Path, sample_fn, n: int, bs: int, normalize: bool) -> None:
    from torchvision.utils import save_image

    folder.mkdir(parents=True)
    k = 0
    while k < n:
        for img in sample_fn(min(bs, n - k)):
            image = img if normalize else (img + 1) / 2
            save_image(image, folder / f"{k:06d}.png", normalize=normalize)
            k += 1


def released_way(tmp: Path, fake_g, n: int, args) -> dict:
    """The released code's evaluation at N, timed part by part (real PNGs untimed)."""
    from pytorch_fid import fid_score
    from pytorch_fid.inception import InceptionV3

    write_pngs(
        tmp / "real",
        sampler(make_generator(args.seed + 1), 1),
        5 * n,
        args.batch_size,
        normalize=False,
    )
    t = {
        "png": clock(
            write_pngs,
            tmp / "fake",
            sampler(fake_g),
            n,
            args.batch_size,
            normalize=True,
        )[0]
    }
    t["model"], model = clock(InceptionV3, [InceptionV3.BLOCK_INDEX_BY_DIM[args.dims]])
    workers = min(len(os.sched_getaffinity(0)), 8)  # pytorch-fid's CLI default
    feats = {}
    for name in ("real", "fake"):
        files = sorted((tmp / name).glob("*.png"))
        t[name], feats[name] = clock(
            fid_score.get_activations,
            files,
            model,
            args.batch_size,
            args.dims,
            "cpu",
            workers,
        )
    return {"t": t, "feats": feats}


def reference_from(real_feats, extractor, n_real: int):
    """The cached reference statistics (μ, Σ, R, KID rows) of the real features."""
    from cggan.metrics import fid

    mu, sigma = fid.compute_statistics(real_feats)
    t_root, root = clock(fid.sqrt_psd, sigma)
    protocol = fid.reference_protocol(
        dataset="bench",
        split="train",
        n=n_real,
        image_size=32,
        channels=3,
        extractor=extractor,
    )
    ref = fid.ReferenceStats(mu, sigma, protocol, real_feats, sqrt_sigma=root)
    return ref, t_root


def ours_and_bare(evaluator, extractor, fake_g, n: int, repeats: int) -> tuple:
    """Minimum times of ours (whole evaluation) and bare extraction, interleaved."""
    from cggan.metrics import fid

    fakes01 = fid.quantize_png8(sampler(fake_g)(n))
    bs = evaluator.batch_size
    extractor.features_from_unit(fakes01[:2])  # warm-up (first-call allocations)
    t_bare, t_ours, result = float("inf"), float("inf"), None
    for _ in range(repeats):
        t, _ = clock(
            lambda: [
                extractor.features_from_unit(fakes01[i : i + bs])
                for i in range(0, n, bs)
            ]
        )
        t_bare = min(t_bare, t)
        t, result = clock(evaluator, sampler(fake_g))
        t_ours = min(t_ours, t)
    return t_ours, t_bare, result


def non_extraction_parts(ref, fake_g, n: int, bs: int, seed: int) -> dict:
    """Every step of ours but the forward passes, and the released way's PNG writing
    and pytorch-fid distance, measured at N."""
    import numpy as np

    from cggan.metrics import fid
    from cggan.metrics.kid import kernel_inception_distance, polynomial_kernel

    t = {}
    t["sample+quantize"], _ = best_of(
        3,
        lambda: [
            fid.quantize_png8(sample_fn(min(bs, n - i)))
            for sample_fn in [sampler(fake_g)]
            for i in range(0, n, bs)
        ],
    )
    # N features of a Gaussian near the reference's (the distance's cost depends on d
    # only; a distance well above zero keeps the relative difference meaningful).
    rng = np.random.default_rng(seed)
    feats = ref.mu + 0.1 + 1.25 * rng.standard_normal((n, ref.mu.size)) @ ref.sqrt_sigma
    t["statistics"], (mu, sigma) = best_of(3, fid.compute_statistics, feats)
    root = ref.sqrt_sigma
    t["frechet ours"], (ours, _) = best_of(
        3, fid.frechet_distance, ref.mu, ref.sigma, mu, sigma, sqrt_sigma1=root
    )
    kernel = polynomial_kernel(ref.kid_features, ref.kid_features)  # cached in use
    t["kid"], _ = best_of(
        3, kernel_inception_distance, feats, ref.kid_features, kernel_2=kernel
    )
    t["frechet pytorch-fid"], (theirs, _) = clock(
        fid.frechet_distance, ref.mu, ref.sigma, mu, sigma
    )
    t["relative difference"] = abs(ours - theirs) / abs(theirs)
    with tempfile.TemporaryDirectory() as tmp:
        t["png"], _ = clock(write_pngs, Path(tmp) / "f", sampler(fake_g), n, bs, True)
    return t


def figures(n: int, m: int, measured: dict, parts: dict) -> dict:
    """Seconds per evaluation at N: measured at N = m, else the forward passes scaled
    from m (they are linear in the number of images) plus the parts measured at N."""
    scale = n / m
    steps = ("sample+quantize", "statistics", "frechet ours", "kid")
    rest = sum(parts[k] for k in steps)
    released = measured["released"]
    fig = {
        "bare": measured["bare"] * scale,
        "ours": measured["ours"] if n == m else measured["bare"] * scale + rest,
        "released": parts["png"]
        + released["model"]
        + (released["real"] + released["fake"]) * scale
        + parts["frechet pytorch-fid"],
        "frechet ours": parts["frechet ours"],
        "frechet pytorch-fid": parts["frechet pytorch-fid"],
        "relative difference": parts["relative difference"],
        "how": "measured" if n == m else f"forward passes x{scale:g} of N={m}",
    }
    if n == m:
        fig["ours model"] = measured["bare"] + rest  # the model used for other N
    return fig


def report(rows: dict, args, sha: str) -> None:
    print(
        f"\nFID evaluation, dims={args.dims}, batch={args.batch_size}, "
        f"threads={args.threads}, CPU, random-init Inception (sha256 {sha[:12]}...)"
    )
    print(
        f"{'N':>6}{'released s':>12}{'ours s':>9}{'bare s':>9}{'rel/ours':>10}"
        f"{'ours/bare':>11}{'Fréchet: pfid s':>17}{'ours s':>8}{'ratio':>8}"
        "  how"
    )
    for n, f in rows.items():
        print(
            f"{n:>6}{f['released']:>12.1f}{f['ours']:>9.2f}{f['bare']:>9.2f}"
            f"{f['released'] / f['ours']:>9.1f}x{f['ours'] / f['bare']:>10.3f}x"
            f"{f['frechet pytorch-fid']:>17.2f}{f['frechet ours']:>8.2f}"
            f"{f['frechet pytorch-fid'] / f['frechet ours']:>7.1f}x  {f['how']}"
        )
    for n, f in rows.items():
        model = (
            f" (the model for other N gives {f['ours model']:.2f} s)"
            if ("ours model" in f)
            else ""
        )
        print(
            f"N={n}: Fréchet relative difference to pytorch-fid "
            f"{f['relative difference']:.1e}{model}"
        )
    ok = all(
        f["released"] / f["ours"] >= 5 and f["ours"] / f["bare"] <= 1.15
        for f in rows.values()
    )
    print(
        f"targets released/ours >= 5x and ours/bare <= 1.15x at every N: "
        f"{'met' if ok else 'NOT met'}"
    )


def measure(tmp: Path, args, sizes: list[int]):
    """Everything timed; returns the rows of the report and the weights' sha256."""
    from cggan.metrics import features as feat
    from cggan.metrics import fid

    weights = tmp / "torch_home" / "hub" / "checkpoints" / feat.INCEPTION_FILENAME
    weights.parent.mkdir(parents=True)
    print(
        f"generating random-init Inception weights into {weights} ...", file=sys.stderr
    )
    sha = feat.save_random_inception_weights(weights, seed=args.seed)
    os.environ["TORCH_HOME"] = str(tmp / "torch_home")  # pytorch-fid's hub lookup
    extractor = feat.build_extractor(
        "inception", weights=weights, dims=args.dims, expected_sha256=sha
    )
    fake_g, m = make_generator(args.seed + 2), args.measure_n
    print(
        f"released way at N={m} (pytorch-fid over {5 * m}+{m} PNGs) ...",
        file=sys.stderr,
    )
    released = released_way(tmp, fake_g, m, args)
    ref, _ = reference_from(released["feats"]["real"], extractor, 5 * m)
    evaluator = fid.FIDEvaluator(ref, extractor, m, args.batch_size)
    print(f"ours and bare extraction at N={m} ...", file=sys.stderr)
    t_ours, t_bare, _ = ours_and_bare(evaluator, extractor, fake_g, m, args.repeats)
    measured = {"released": released["t"], "ours": t_ours, "bare": t_bare}
    rows = {}
    for n in sizes:
        print(f"the other steps at N={n} ...", file=sys.stderr)
        parts = non_extraction_parts(ref, fake_g, n, args.batch_size, args.seed)
        rows[n] = figures(n, m, measured, parts)
    return rows, sha


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sizes = [int(v) for v in args.n.split(",")]
    if args.measure_n < 2 or any(n < 2 for n in sizes) or args.repeats < 1:
        print(
            "error: Invalid --n/--measure-n/--repeats (allowed: >= 2, 2, 1)",
            file=sys.stderr,
        )
        return 2
    from threadpoolctl import threadpool_limits

    from cggan.runtime import set_threads

    set_threads(args.threads)
    with threadpool_limits(args.threads), tempfile.TemporaryDirectory() as tmp:
        rows, sha = measure(Path(tmp), args, sizes)
    report(rows, args, sha)
    return 0


if __name__ == "__main__":
    sys.exit(main())
