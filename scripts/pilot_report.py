"""Report the run-length pilot (config/pilot.yaml): curves and convergence by length.

Thin CLI over ``cggan.results.pilot``::

    python scripts/pilot_report.py --runs results/runs/pilot/mnist \\
        --study-length 2000 --tolerance 0.10 --out docs/results/pilot

Reads every finished run directory under ``--runs``
(``<method>/<rule>/<setting>/seed<k>``),
writes ``pilot_curves.png`` (FID against iteration, the study's length marked),
``pilot_lengths.csv`` (per run and candidate length: FID, the improvement over the last
quarter of a run stopped there, converged at ``--tolerance``) and ``pilot_summary.md``.
Does not import torch.
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
    parser.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from cggan.io import atomic_write_text
    from cggan.results.pilot import pilot_lengths, plot_pilot, read_pilot
    from cggan.results.tables import write_csv

    # finished runs only (a summary.json): a run interrupted before its end is no
    # evidence of where its curve goes
    run_dirs = sorted(p.parent for p in args.runs.glob("*/*/*/seed*/summary.json"))
    if not run_dirs:
        print(f"error: no runs under {args.runs}", file=sys.stderr)
        return 2
    curves = read_pilot(run_dirs)
    lengths = pilot_lengths(curves, args.tolerance)
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / "pilot_lengths.csv", lengths)
    write_csv(args.out / "pilot_curves.csv", curves)
    figure = args.out / "pilot_curves.png"
    plot_pilot(curves, args.study_length, figure, args.real_floor)
    atomic_write_text(args.out / "pilot_summary.md", summary(lengths, args))
    print(f"pilot: {len(run_dirs)} runs -> {args.out}")
    return 0


def summary(lengths, args) -> str:
    """One row per run: FID at the study's length and at the pilot's end, and the
    last-quarter improvement of a run stopped at the study's length."""
    rows = [
        "| run | FID at the study's length | FID at the pilot's end | improvement "
        "over the last quarter at the study's length | converged |",
        "| :--- | ---: | ---: | ---: | :--- |",
    ]
    for (method, setting), run in lengths.groupby(["method", "setting"], sort=True):
        at = run[run["length"] == args.study_length]
        end = run[run["length"] == run["length"].max()]
        if at.empty:
            continue
        a, e = at.iloc[0], end.iloc[0]
        rows.append(
            f"| {method} {setting} | {a['fid']:.0f} | {e['fid']:.0f} "
            f"(iteration {int(e['length'])}) | {a['improvement_last_quarter']:+.1%} "
            f"| {a['converged']} |"
        )
    return (
        f"# Pilot: FID of single runs far past the study's length "
        f"({args.study_length} iterations)\n\nImprovement = the relative fall of the "
        "mean FID from the third to the final quarter of a run stopped at that length "
        f"(cggan.convergence); converged = improvement <= {args.tolerance:g}.\n\n"
        + "\n".join(rows)
        + "\n"
    )


if __name__ == "__main__":
    sys.exit(main())
