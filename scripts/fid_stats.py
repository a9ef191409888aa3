#!/usr/bin/env python
"""Compute FID/KID reference statistics of a dataset split, once, keyed by protocol.

Writes OUT (.npz: mu, sigma, sigma's square root, real features for KID) and OUT.json
(protocol, npz sha256): cggan.metrics.fid.compute_reference_stats.

Example: python scripts/fid_stats.py --dataset digits --data-root results/data \\
    --image-size 16 --extractor classifier --out results/fid_stats/digits16.npz
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cggan.fid_protocol import FIDProtocol  # torch-free: --help stays cheap


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    FIDProtocol.add_arguments(p)  # the protocol's flags, as calibrate.py's
    add = p.add_argument
    add("--data-root", required=True, type=Path, help="dataset cache directory")
    add("--seed", type=int, default=0, help="subset and classifier training seed")
    add("--min-accuracy", type=float, default=0.95, help="classifier accuracy gate")
    add("--epochs", type=int, default=15, help="classifier training epochs")
    add("--batch-size", type=int, default=250)
    add("--threads", type=int, default=1)
    add("--device", default="cpu")
    add("--out", required=True, type=Path, help="output .npz")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from cggan.metrics.fid import compute_reference_stats
    from cggan.runtime import get_device, set_threads

    try:
        set_threads(args.threads)
        compute_reference_stats(
            args.out,
            FIDProtocol.from_args(args),
            data_root=args.data_root,
            inception_weights=args.inception_weights,
            seed=args.seed,
            min_accuracy=args.min_accuracy,
            epochs=args.epochs,
            batch_size=args.batch_size,
            device=get_device(args.device),
        )
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
