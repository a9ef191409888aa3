#!/usr/bin/env python
"""The GPU check (issue 18): CUDA tests, per-iteration cost of every method, FID cost,
concurrency, and from them the GPU-hours of the paper study and the SLURM resources.

On one CUDA GPU (``make gpu-check`` on a GPU node; budget <= 8 minutes on one H100):

1. **CUDA tests**: ``pytest -m cuda`` over :data:`CUDA_TESTS` (optimizers on CUDA
   against CPU on the same inputs; a short training run on CUDA whose resume from a
   checkpoint gives the metrics of an uninterrupted one; the Fréchet path), pass/fail.
2. **One training iteration** of DCGAN-32 and SNGAN-ResNet-32 at batch 64 on
   CIFAR-shaped data (random uint8 images in a temporary data root) for every method of
   :data:`ISSUE_METHODS` and of the study config: the project's own
   :class:`cggan.train.Trainer` (its ``_train_step``: data, noise, D step, G step,
   statistics, the iteration's one host sync), median of >= 100 iterations after a
   warm-up, ``torch.cuda.synchronize``'d.
3. **Optimizer step**: ConjugateGradient (every rule, its default path: foreach on
   CUDA; and the for-loop) against ``torch.optim.Adam(fused=True)`` and
   ``Adam(foreach=True)`` on the SNGAN-ResNet generator's parameters.
4. **One FID evaluation**: 10,000 samples of the SNGAN-ResNet generator through
   :class:`cggan.metrics.fid.FIDEvaluator` with a randomly initialised FID Inception at
   2048-d (the same cost as the real weights, which cannot be downloaded offline).
5. **Concurrency**: k = 1, 2, 4, 8 DCGAN-32 training processes on the GPU at once;
   aggregate iterations per second, runs per GPU-hour.
6. **Cost of the study** (``--config``, default config/paper.yaml): planned runs (the
   sweep from :class:`cggan.study.Study`, the grid the Snakemake dry run lists, plus the
   confirmation seeds of one selected setting per method x rule) x iterations x the
   measured time per iteration, + evaluations x the measured FID time; the runtime a
   SLURM training job should ask for (the slowest method, x ``--margin``).

Writes ``gpu_check.json`` and ``gpu_check.md`` with provenance (GPU, driver, torch,
CUDA, git revision) into ``--out``: default ``docs/results/gpu/`` on CUDA; on the CPU a
new temporary directory (CPU numbers never go to docs/results/gpu).

``--device cpu --quick`` runs the same steps at toy sizes in under a minute (the test
suite does, tests/benchmarks/test_gpu_check.py). Without CUDA and without ``--device
cpu --full`` the script runs the quick check (``make bench`` runs every benchmark).

The steps live in the package ``benchmarks/gpu/``, one module per thing measured
(``gpu.cuda_tests``, ``gpu.training``, ``gpu.optimizer_step``, ``gpu.fid_evaluation``,
``gpu.cost``; the machine's facts in ``gpu.device``, the report in ``gpu.report``); this
script runs them in order and writes the report.

Usage: python benchmarks/gpu_check.py [--device auto|cuda|cpu] [--quick] [--out DIR]
       [--config config/paper.yaml] [--skip-tests] [--budget-s 420]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from gpu import report
from gpu.cost import load_config, recommend, study_cost, study_plan
from gpu.cuda_tests import section_cuda_tests
from gpu.device import provenance
from gpu.fid_evaluation import section_fid
from gpu.fixture import make_cifar_shaped, make_classifier_stats
from gpu.optimizer_step import section_optimizer_step
from gpu.sizes import DEFAULT_GPU_OUT, FULL, ISSUE_METHODS, QUICK, REPO
from gpu.training import section_concurrency, section_iterations


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="auto", help="auto, cuda, cuda:N or cpu")
    p.add_argument("--quick", action="store_true", help="toy sizes (CPU, tests)")
    p.add_argument("--full", action="store_true", help="full sizes even on the CPU")
    p.add_argument("--out", type=Path, default=None, help="output directory")
    p.add_argument("--config", type=Path, default=REPO / "config" / "paper.yaml")
    p.add_argument("--skip-tests", action="store_true", help="no CUDA tests")
    p.add_argument(
        "--budget-s",
        type=float,
        default=420.0,
        help="stop starting new timings after this many seconds",
    )
    p.add_argument("--margin", type=float, default=1.5, help="SLURM runtime margin")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import torch

    from cggan.runtime import get_device

    device = get_device(args.device)
    cuda = device.type == "cuda"
    quick = args.quick or (not cuda and not args.full)
    if not cuda and not args.quick and not args.full:
        print(
            "gpu_check: no CUDA device; running the quick CPU check (--full for "
            "full sizes on the CPU)",
            file=sys.stderr,
        )
    sizes = QUICK if quick else FULL
    out = args.out
    if out is None:
        out = (
            DEFAULT_GPU_OUT
            if cuda and not quick
            else Path(tempfile.mkdtemp(prefix="gpu_check_"))
        )
    if (not cuda or quick) and out.resolve() == DEFAULT_GPU_OUT.resolve():
        print(
            f"gpu_check: refusing to write CPU or quick numbers to {DEFAULT_GPU_OUT}",
            file=sys.stderr,
        )
        return 2
    start = time.perf_counter()
    deadline = start + args.budget_s
    torch.set_num_threads(sizes["threads"])
    summary: dict = {
        "mode": "quick" if quick else "full",
        "sizes": {k: list(v) if isinstance(v, tuple) else v for k, v in sizes.items()},
        "provenance": provenance(device),
        "errors": {},
    }

    summary["section_seconds"] = {}

    def attempt(name, fn, *a):
        print(f"gpu_check: {name} ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        try:
            summary[name] = fn(*a)
        except Exception as exc:  # noqa: BLE001 - one failed section must not hide others
            summary["errors"][name] = f"{type(exc).__name__}: {exc}"
        summary["section_seconds"][name] = time.perf_counter() - t

    tmp = Path(tempfile.mkdtemp(prefix="gpu_check_work_"))
    try:
        if not args.skip_tests:
            attempt("cuda_tests", section_cuda_tests, device, quick)
        config = load_config(args.config)
        plan = study_plan(config)
        planned = {r["method"] for r in plan}
        methods = list(dict.fromkeys([*ISSUE_METHODS, *sorted(planned)]))
        root = tmp / "data"
        make_cifar_shaped(root, sizes["data_n"])
        fixture = {
            "root": root,
            "stats": make_classifier_stats(root, tmp / "stats.npz", sizes["data_n"]),
            "runs": tmp / "runs",
        }
        # DCGAN: the issue's methods (all in the full check); SNGAN-ResNet, the paper's
        # model: every method the config plans too (the cost model needs them).
        dcgan_methods = list(ISSUE_METHODS) if quick else methods
        attempt(
            "iterations",
            section_iterations,
            fixture,
            {"dcgan": dcgan_methods, "sngan_resnet": methods},
            sizes,
            device,
            deadline,
        )
        attempt("optimizer_step", section_optimizer_step, sizes, device)
        attempt("fid", section_fid, sizes, device, tmp)
        run_iterations = max(r["iterations"] for r in plan)
        attempt(
            "concurrency",
            section_concurrency,
            fixture,
            sizes,
            device,
            run_iterations,
            deadline + 60,
        )
        iters = summary.get("iterations", {}).get("sngan_resnet", {})
        iter_s = {m: r["median_s"] for m, r in iters.items() if "median_s" in r}
        if "fid" in summary and iter_s:
            summary["cost"] = study_cost(
                plan, iter_s, summary["fid"], args.config, args.margin
            )
            summary["recommended_profile"] = recommend(
                summary["cost"],
                summary.get("concurrency", {}),
                summary.get("iterations", {}),
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary["wall_s"] = time.perf_counter() - start
    written = report.write(summary, out)
    print(report.markdown(summary))
    print(f"gpu_check: wrote {written} and gpu_check.md", file=sys.stderr)
    if "recommended_profile" in summary:
        rec = summary["recommended_profile"]
        print(
            "recommended profiles/slurm values (not applied): "
            f"train:runtime={rec['train:runtime']} train:gpu=1; "
            f"DCGAN runs per GPU: {rec['dcgan_runs_per_gpu']}",
            file=sys.stderr,
        )
    failed = summary.get("cuda_tests", {}).get("status") == "fail"
    return 1 if summary["errors"] or failed else 0


if __name__ == "__main__":
    sys.exit(main())
