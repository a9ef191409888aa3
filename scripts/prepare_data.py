"""Build or verify a dataset's cache and write its manifest (the
workflow's output marker).

    python scripts/prepare_data.py --dataset cifar10 --root results/data --download

Writes ``ROOT/NAME/manifest.json`` (name, split sizes, shapes,
checksums) atomically, last.
"""

from __future__ import annotations

import argparse
import json
import sys

from cggan.registry import DATASETS  # torch-free: --help stays cheap


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dataset", required=True, help=f"one of: {', '.join(DATASETS)}"
    )
    parser.add_argument(
        "--root", required=True, help="data cache root (dataset in ROOT/NAME)"
    )
    parser.add_argument(
        "--image-size",
        type=int,
        default=None,
        help="image height = width (default: the dataset's default)",
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help="download missing source files (checksum-verified)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="sampling seed (2-D mixtures)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Imported after parsing so that --help does not pay for torch.
    from cggan.data import prepare_dataset

    try:
        manifest = prepare_dataset(
            args.dataset,
            root=args.root,
            image_size=args.image_size,
            download=args.download,
            seed=args.seed,
        )
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {k: manifest[k] for k in ("name", "image_size")}
            | {s: e["n"] for s, e in manifest["splits"].items()}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
