"""Report the pilot with seeds (config/pilot.yaml): curves, convergence and seed spread
by length, evaluation-to-evaluation movement, and the power analysis.

Thin CLI over ``cggan.study.pilot``::

    python scripts/pilot_report.py --runs results/runs/pilot/mnist \\
        --study-length 4000 --tolerance 0.05 --out docs/results/pilot

Reads every finished run directory under ``--runs``
(``<method>/<rule>/<setting>/seed<k>``) and writes ``pilot_curves.png`` (each pool's
seed mean against iteration, the study's length marked), ``pilot_lengths.csv`` (per run
and candidate length), ``pilot_pools.csv`` (per pool and length: the seeds'
final-quarter FID mean and sd, the pool-level convergence test), ``pilot_movement.csv``
and ``pilot_summary.md``. Does not import torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=Path, required=True, help="<runs>/<experiment>")
    parser.add_argument("--study-length", type=int, required=True)
    parser.add_argument("--tolerance", type=float, required=True)
    parser.add_argument("--real-floor", type=float, default=None)
    parser.add_argument("--margin", type=float, default=0.10, help="TOST margin, share")
    parser.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from cggan.io import atomic_write_text
    from cggan.results.figures.pilot import plot_pilot
    from cggan.results.tables.formatting import write_csv
    from cggan.study.pilot import (
        evaluation_movement,
        pilot_lengths,
        pool_lengths,
        read_pilot,
    )

    # finished runs only (a summary.json): a run interrupted before its end is no
    # evidence of where its curve goes
    run_dirs = sorted(p.parent for p in args.runs.glob("*/*/*/seed*/summary.json"))
    if not run_dirs:
        print(f"error: no runs under {args.runs}", file=sys.stderr)
        return 2
    curves = read_pilot(run_dirs)
    lengths = pilot_lengths(curves, args.tolerance)
    pools = pool_lengths(lengths, args.tolerance)
    movement = evaluation_movement(curves)
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / "pilot_lengths.csv", lengths)
    write_csv(args.out / "pilot_pools.csv", pools)
    write_csv(args.out / "pilot_movement.csv", movement)
    write_csv(args.out / "pilot_curves.csv", curves)
    plot_pilot(
        curves, args.study_length, args.out / "pilot_curves.png", args.real_floor
    )
    atomic_write_text(args.out / "pilot_summary.md", summary(pools, movement, args))
    print(f"pilot: {len(run_dirs)} runs -> {args.out}")
    return 0


def summary(pools, movement, args) -> str:
    """Per pool at a few lengths up to the pilot's end: the pool's convergence state
    and interval, the seed mean and sd of the final-quarter FID, and the runs a side
    a two-sample test needs to detect ±margin x that mean at 80 % power."""
    from cggan.results.statistics.hypothesis_tests import runs_for_mdd

    end = int(pools["length"].max())
    marks = sorted({args.study_length, end, *[end * k // 6 for k in (2, 3, 4, 5)]})
    rows = [
        "| pool | length | seeds | final-quarter FID (mean ± sd) | last-quarter "
        "improvement [95 % CI] | pool state | runs a side for ±"
        f"{args.margin:.0%} at 80 % power |",
        "| :--- | ---: | ---: | ---: | :--- | :--- | ---: |",
    ]
    for (method, setting), pool in pools.groupby(["method", "setting"], sort=True):
        for length in marks:
            at = pool[pool["length"] <= length].tail(1)
            if at.empty:
                continue
            r = at.iloc[0]
            sd, mean = r["final_quarter_sd"], r["final_quarter_mean"]
            n = (
                runs_for_mdd(sd, args.margin * mean, 0.05)
                if sd == sd and sd and mean == mean
                else None
            )
            rows.append(
                f"| {method} {setting} | {int(r['length'])} | {int(r['n'])} "
                f"| {mean:.0f} ± {sd:.0f} | {r['improvement_mean']:+.1%} "
                f"[{r['improvement_low']:+.1%}, {r['improvement_high']:+.1%}] "
                f"| {r['state']} | {n if n is not None else '—'} |"
            )
    step = movement["median_step_change"].median()
    return (
        f"# Pilot with seeds: each pool's runs up to {end} iterations\n\n"
        "Final-quarter FID = the mean over the evaluations of the last quarter of a "
        "run stopped at that length; improvement = the relative fall of the mean FID "
        "from the third to the final quarter (cggan.convergence); pool state = the "
        "pool-level test at tolerance "
        f"±{args.tolerance:g} (converged: the seeds' 95 % interval inside it; "
        "improving / degrading: outside it; undecided: across a bound).\n\n"
        + "\n".join(rows)
        + "\n\nFrom one evaluation to the next, over the second half of each run, FID "
        f"moves by {step:.1%} (median over runs of each run's median relative step; "
        "pilot_movement.csv).\n"
    )


if __name__ == "__main__":
    sys.exit(main())
