"""Measure an FID experiment's scale: real floor and noise reference (one JSON).

Thin CLI over ``cggan.metrics.calibration.calibrate``::

    python scripts/calibrate.py --stats results/fid_stats/<key>.npz --dataset digits \\
        --image-size 16 --data-root results/data --reference-split train --n 360 \\
        --out results/calibration/<key>-gen360.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stats", type=Path, required=True, help="reference statistics npz")
    p.add_argument("--dataset", required=True)
    p.add_argument("--image-size", type=int, required=True)
    p.add_argument("--data-root", type=Path, required=True)
    p.add_argument("--reference-split", choices=("train", "test"), required=True)
    p.add_argument("--n", type=int, required=True, help="images of each kind")
    p.add_argument("--batch-size", type=int, default=250)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--inception-weights", default=None)
    p.add_argument(
        "--preprocessing",
        choices=("fixed", "minmax"),
        default="fixed",
        help="the experiment's eval.preprocessing (default fixed)",
    )
    p.add_argument("--out", type=Path, required=True, help="calibration JSON to write")
    args = p.parse_args(argv)
    from cggan.io import atomic_write_json
    from cggan.metrics.calibration import calibrate
    from cggan.runtime import get_device, set_threads

    set_threads(args.threads)
    try:
        record = calibrate(
            args.stats,
            dataset=args.dataset,
            image_size=args.image_size,
            data_root=args.data_root,
            reference_split=args.reference_split,
            n=args.n,
            batch_size=args.batch_size,
            device=str(get_device(args.device)),
            inception_weights=args.inception_weights,
            preprocessing=args.preprocessing,
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
