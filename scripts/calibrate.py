"""Measure an FID experiment's scale: real floor and noise reference (one JSON).

Thin CLI over ``cggan.metrics.calibration.calibrate``; the FID protocol's flags are
``scripts/fid_stats.py``'s (:meth:`cggan.fid_protocol.FIDProtocol.add_arguments`)::

    python scripts/calibrate.py --stats results/fid_stats/<key>.npz --dataset digits \\
        --image-size 16 --extractor classifier --dims 128 --n 1437 --split train \\
        --n-samples 360 --data-root results/data \\
        --out results/calibration/<key>-gen360.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from cggan.fid_protocol import FIDProtocol  # torch-free: --help stays cheap


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stats", type=Path, required=True, help="reference statistics npz")
    FIDProtocol.add_arguments(p)  # the protocol's flags, as fid_stats.py's
    p.add_argument("--n-samples", type=int, required=True, help="images of each kind")
    p.add_argument("--data-root", type=Path, required=True)
    p.add_argument("--batch-size", type=int, default=250)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, required=True, help="calibration JSON to write")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from cggan.io import atomic_write_json
    from cggan.metrics.calibration import calibrate
    from cggan.runtime import get_device, set_threads

    set_threads(args.threads)
    try:
        record = calibrate(
            args.stats,
            FIDProtocol.from_args(args),
            data_root=args.data_root,
            n_samples=args.n_samples,
            batch_size=args.batch_size,
            device=str(get_device(args.device)),
            inception_weights=args.inception_weights,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    clean = {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v)
        for k, v in record.items()
    }
    atomic_write_json(args.out, clean)
    print(json.dumps(clean))
    return 0


if __name__ == "__main__":
    sys.exit(main())
