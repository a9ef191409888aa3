"""Measure the FID estimator's noise on a finished run (thin CLI over
``cggan.train.fid_noise``)::

    python scripts/fid_noise.py --run results/runs/pilot/mnist/<m>/<rule>/<s>/seed0 \\
        --fid-stats results/fid_stats/<stats>.npz --n 500 2000 --draws 20 \\
        --out docs/results/pilot/fid_noise.csv

Writes one row per (N, draw) and prints, per N, the mean FID, its standard deviation
over draws and their ratio (the coefficient of variation).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--run", type=Path, required=True, help="a finished run directory")
    p.add_argument("--fid-stats", type=Path, required=True, help="reference .npz")
    p.add_argument(
        "--n", type=int, nargs="+", default=[500, 2000], help="sample counts"
    )
    p.add_argument("--draws", type=int, default=20, help="noise draws per N")
    p.add_argument("--device", default="auto")
    p.add_argument("--out", type=Path, required=True, help="CSV of the draws")
    args = p.parse_args(argv)
    import pandas as pd

    from cggan.results.tables.formatting import write_csv
    from cggan.train.fid_noise import estimator_noise

    try:
        rows = estimator_noise(
            args.run,
            args.fid_stats,
            n_samples=args.n,
            draws=args.draws,
            device=args.device,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(args.out, table)
    for n, group in table.groupby("n_samples"):
        mean, sd = group["fid"].mean(), group["fid"].std(ddof=1)
        print(
            f"N={n}: FID {mean:.1f} ± {sd:.1f} over {len(group)} draws "
            f"(CV {sd / mean:.1%})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
