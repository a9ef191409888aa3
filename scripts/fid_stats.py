#!/usr/bin/env python
"""Compute FID/KID reference statistics of a dataset split, once, keyed by their protocol.

Writes ``OUT`` (.npz: mu, sigma, a seeded subset of the real features for KID) and
``OUT`` with suffix .json (the protocol and the npz's sha256). With ``--extractor classifier``
it first trains the domain classifier on the train split, checks its test accuracy and
saves it as ``<OUT stem>-classifier.pt``.

Example:
    python scripts/fid_stats.py --dataset digits --data-root results/data --image-size 16 \\
        --extractor classifier --out results/fid_stats/digits16-train-classifier128-n1437.npz
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--dataset", required=True, help="dataset name (cggan.data.DATASETS)"
    )
    p.add_argument(
        "--data-root", required=True, type=Path, help="dataset cache directory"
    )
    p.add_argument("--image-size", required=True, type=int, help="image side length")
    p.add_argument("--extractor", required=True, choices=["classifier", "inception"])
    p.add_argument(
        "--inception-weights",
        type=Path,
        default=None,
        help="pytorch-fid weights file (else $CGGAN_INCEPTION_WEIGHTS, else torch hub cache)",
    )
    p.add_argument(
        "--dims",
        type=int,
        default=None,
        help="feature dimension: Inception block 64|192|768|2048 (default 2048); "
        "the classifier has 128",
    )
    p.add_argument(
        "--n",
        type=int,
        default=None,
        help="real images used (default: the whole split)",
    )
    p.add_argument(
        "--split", default="train", help="split the statistics describe (default train)"
    )
    p.add_argument(
        "--seed", type=int, default=0, help="subset choice and classifier training seed"
    )
    p.add_argument(
        "--min-accuracy",
        type=float,
        default=0.95,
        help="classifier: fail below this test accuracy (default 0.95)",
    )
    p.add_argument(
        "--epochs", type=int, default=15, help="classifier training epochs (default 15)"
    )
    p.add_argument("--batch-size", type=int, default=250)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", required=True, type=Path, help="output .npz")
    return p


def run(args: argparse.Namespace) -> dict:
    import numpy as np
    import torch

    from cggan.data import load_dataset
    from cggan.metrics import features as feat
    from cggan.metrics import fid
    from cggan.runtime import get_device, set_threads

    if args.out.suffix != ".npz":
        raise ValueError(f"Invalid --out: {args.out} (expected a .npz path)")
    set_threads(args.threads)
    device = get_device(args.device)
    data = load_dataset(
        args.dataset, root=args.data_root, split=args.split, image_size=args.image_size
    )
    if data.x.dim() != 4:
        raise ValueError(f"Invalid --dataset: {args.dataset!r} (not an image dataset)")
    n_total = len(data.x)
    n = n_total if args.n is None else args.n
    if n < 2 or n > n_total:
        raise ValueError(
            f"Invalid --n: {n} (the {args.dataset} {args.split} split has {n_total} images; "
            f"allowed: 2 to {n_total})"
        )
    extra: dict = {}
    if args.extractor == "classifier":
        if args.dims not in (None, 128):
            raise ValueError(
                f"Invalid --dims: {args.dims} (the classifier extractor has 128)"
            )
        train = (
            data
            if args.split == "train"
            else load_dataset(
                args.dataset,
                root=args.data_root,
                split="train",
                image_size=args.image_size,
            )
        )
        test = load_dataset(
            args.dataset, root=args.data_root, split="test", image_size=args.image_size
        )
        model, acc = feat.train_domain_classifier(
            train, test, seed=args.seed, epochs=args.epochs, device=device
        )
        print(f"classifier test accuracy: {acc:.4f}", file=sys.stderr)
        if acc < args.min_accuracy:
            raise RuntimeError(
                f"classifier test accuracy {acc:.4f} < {args.min_accuracy} on {args.dataset}; "
                f"statistics not written"
            )
        clf_path = fid.classifier_path_for(args.out)
        feat.save_classifier(
            clf_path,
            model,
            dataset=args.dataset,
            test_accuracy=acc,
            seed=args.seed,
            epochs=args.epochs,
        )
        extractor = feat.build_extractor("classifier", weights=clf_path, device=device)
        extra.update(classifier_file=clf_path.name, classifier_test_accuracy=acc)
    else:
        extractor = feat.build_extractor(
            "inception",
            weights=args.inception_weights,
            dims=args.dims or 2048,
            device=device,
        )
    gen = torch.Generator().manual_seed(args.seed)
    idx = (
        torch.arange(n_total)
        if n == n_total
        else torch.randperm(n_total, generator=gen)[:n]
    )
    feats = feat.extract_features(extractor, data.x[idx], n, args.batch_size)
    mu, sigma = fid.compute_statistics(feats)
    rng = np.random.default_rng(args.seed)
    kid_rows = rng.choice(n, min(n, fid.KID_REFERENCE_FEATURES), replace=False)
    protocol = fid.reference_protocol(
        dataset=args.dataset,
        split=args.split,
        n=n,
        image_size=args.image_size,
        channels=int(data.x.shape[1]),
        extractor=extractor,
        seed=args.seed,
    )
    fid.save_reference_stats(
        args.out,
        mu,
        sigma,
        protocol,
        kid_features=feats[np.sort(kid_rows)],
        extra=extra,
    )
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}", file=sys.stderr)
    return {"protocol": protocol, "extra": extra}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
