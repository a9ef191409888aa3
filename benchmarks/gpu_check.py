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

Usage: python benchmarks/gpu_check.py [--device auto|cuda|cpu] [--quick] [--out DIR]
       [--config config/paper.yaml] [--skip-tests] [--budget-s 420]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_GPU_OUT = REPO / "docs" / "results" / "gpu"
#: The files whose tests are marked ``cuda`` (run with ``-m cuda``).
CUDA_TESTS = (
    "tests/optim/test_cuda.py",
    "tests/train/test_cuda.py",
    "tests/metrics/test_frechet.py",
)
#: The methods the issue asks to time on both models.
ISSUE_METHODS = (
    "sgd",
    "adam",
    "cg_fr",
    "cg_prp",
    "cg_hs",
    "cg_dy",
    "cg_hs_dy",
    "cg_fr_prp",
    "cg_hz",
    "nsgda",
    "graft_adam_sgd",
    "graft_sgd_adam",
)
CG_RULES = ("FR", "PRP", "HS", "DY", "HS_DY", "FR_PRP", "HZ")
#: Target of the issue: CG's step <= 1.5x Adam(fused=True) for every rule.
CG_STEP_TARGET = 1.5
#: Sizes of the full (GPU) check and of the quick one (CPU, test suite).
FULL = {
    "batch_size": 64,
    "warmup": 20,
    "iterations": 100,
    "dcgan": {"ngf": 64, "ndf": 64},
    "sngan_resnet": {},  # the paper's widths (the model's defaults)
    "z_dim": 128,
    "data_n": 2048,
    "step_repeats": 200,
    "fid_n": 10_000,
    "fid_batch": 250,
    "fid_dims": 2048,
    "concurrency": (1, 2, 4, 8),
    "concurrency_s": 12.0,
    "threads": 4,
}
QUICK = {
    "batch_size": 8,
    "warmup": 1,
    "iterations": 2,
    "dcgan": {"ngf": 8, "ndf": 8},
    "sngan_resnet": {"g_ch": 16, "d_ch": 16},
    "z_dim": 16,
    "data_n": 64,
    "step_repeats": 5,
    "fid_n": 16,
    "fid_batch": 8,
    "fid_dims": 64,
    "concurrency": (1, 2),
    "concurrency_s": 0.5,
    "threads": 1,
}


# ----------------------------------------------------------------------- cost model
def study_plan(config: dict) -> list[dict]:
    """The runs a study config plans, one row per experiment x method.

    ``config`` is a study config with the schema's defaults filled in (see
    :func:`load_config`). Sweep runs come from :class:`cggan.study.Study` (the jobs the
    Snakemake dry run lists); the confirmation runs, known only after selection, are
    one selected setting per method x lr rule times the confirmation seeds (the sweep
    seed's run is reused when it is among them). Each row: experiment, method,
    sweep_runs, confirmation_runs, runs, iterations, evaluations, eval_n_samples.
    """
    from cggan.study import Study
    from cggan.study.cost import evaluations_per_run

    study = Study(config)
    confirm_seeds = [s for s in study.seeds if s not in study.sweep_seeds]
    rows = []
    for exp in study.experiments:
        e = study.experiment(exp)
        for method in study.methods(exp):
            rules = study.lr_rules(exp)
            settings = sum(len(study.settings(exp, method, r)) for r in rules)
            sweep = settings * len(study.sweep_seeds)
            confirm = len(rules) * len(confirm_seeds)
            rows.append(
                {
                    "experiment": exp,
                    "method": method,
                    "sweep_runs": sweep,
                    "confirmation_runs": confirm,
                    "runs": sweep + confirm,
                    "iterations": int(e["iterations"]),
                    "evaluations": evaluations_per_run(
                        int(e["iterations"]), int(e["eval"]["every"])
                    ),
                    "eval_n_samples": int(e["eval"]["n_samples"]),
                }
            )
    return rows


def run_seconds(row: dict, iter_s: float, eval_s: float) -> float:
    """Seconds of one run of ``row``: iterations x time per iteration + evaluations x
    time per evaluation (checkpoints and start-up not included)."""
    return row["iterations"] * iter_s + row["evaluations"] * eval_s


def gpu_hours(plan: list[dict], iter_s: dict[str, float], eval_s: float) -> dict:
    """GPU-hours of a plan at one run per GPU.

    Args:
        plan: rows of :func:`study_plan`.
        iter_s: seconds per training iteration, per method.
        eval_s: seconds per evaluation (FID of the rows' ``eval_n_samples``).

    Returns:
        ``{"total", "sweep", "confirmation", "by_method", "runs", "missing"}``: hours,
        hours of the sweep and of the confirmation runs, hours per method, the number of
        runs, and the methods without a measured time (their runs are not counted).
    """
    total = sweep = confirm = 0.0
    by_method: dict[str, float] = {}
    missing = sorted({r["method"] for r in plan if r["method"] not in iter_s})
    runs = 0
    for row in plan:
        if row["method"] in missing:
            continue
        seconds = run_seconds(row, iter_s[row["method"]], eval_s)
        total += row["runs"] * seconds
        sweep += row["sweep_runs"] * seconds
        confirm += row["confirmation_runs"] * seconds
        by_method[row["method"]] = (
            by_method.get(row["method"], 0.0) + row["runs"] * seconds / 3600
        )
        runs += row["runs"]
    return {
        "total": total / 3600,
        "sweep": sweep / 3600,
        "confirmation": confirm / 3600,
        "by_method": by_method,
        "runs": runs,
        "missing": missing,
    }


def slurm_runtime_minutes(
    plan: list[dict],
    iter_s: dict[str, float],
    eval_s: float,
    *,
    margin: float = 1.5,
    startup_s: float = 300.0,
    step_min: int = 30,
) -> int:
    """``--time`` (minutes) for one training job: the slowest planned run x
    ``margin`` + start-up (data, Inception, CUDA context), rounded up to
    ``step_min``."""
    known = [r for r in plan if r["method"] in iter_s]
    if not known:
        raise ValueError("no planned method has a measured time per iteration")
    longest = max(run_seconds(r, iter_s[r["method"]], eval_s) for r in known)
    minutes = (longest * margin + startup_s) / 60
    return int(math.ceil(minutes / step_min) * step_min)


def load_config(path: str | os.PathLike) -> dict:
    """A study config (YAML) validated against the workflow's schema, defaults filled,
    as ``workflow/rules/common.smk`` does before it plans the study."""
    from snakemake.utils import validate

    from cggan.io import load_yaml  # refuses duplicated keys, as the workflow does

    config = load_yaml(path)
    validate(config, schema=str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    return config


# ------------------------------------------------------------------------ helpers
def _sync(device) -> None:
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _median_times(fn, n: int, warmup: int, device) -> dict:
    """Median/p10/p90 seconds of ``fn()`` over ``n`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t)
    times.sort()
    return {
        "median_s": statistics.median(times),
        "p10_s": times[int(0.1 * (len(times) - 1))],
        "p90_s": times[int(0.9 * (len(times) - 1))],
        "n": n,
        "warmup": warmup,
    }


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30
        )
        return out.stdout.strip() if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(device) -> dict:
    """Where the numbers come from: host, GPU, driver, torch, CUDA, git revision."""
    import torch

    info = {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda_runtime": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.cuda.is_available() else None,
        "device": str(device),
        "cpu_count": os.cpu_count(),
        "git_revision": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "gpu": None,
        "driver": None,
    }
    if torch.device(device).type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info["gpu"] = props.name
        info["gpu_memory_gib"] = round(props.total_memory / 2**30, 1)
        query = ["--query-gpu=driver_version", "--format=csv,noheader"]
        try:
            smi = subprocess.run(
                ["nvidia-smi", *query], capture_output=True, text=True, timeout=30
            )
            info["driver"] = smi.stdout.strip().splitlines()[0] or None
        except (OSError, subprocess.SubprocessError, IndexError):
            info["driver"] = None
    return info


# -------------------------------------------------------------------- fixtures
def make_cifar_shaped(root: Path, n: int, seed: int = 0) -> None:
    """A CIFAR-10-shaped training split (random uint8 images) as the loader's cache, so
    that ``load_dataset("cifar10", ...)`` reads it without the archive."""
    import torch

    from cggan.data import _cache_path, _write_cache
    from cggan.data.cifar10 import ARCHIVE

    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=gen)
    y = torch.randint(0, 10, (n,), generator=gen)
    info = {
        "source": "random (gpu_check)",
        "source_md5": {ARCHIVE.filename: ARCHIVE.md5},
    }
    _write_cache(_cache_path(root, "cifar10", "train", 32), x, y, info)


def make_classifier_stats(root: Path, out: Path, n: int) -> Path:
    """FID statistics of the fake split with an untrained small classifier: the run
    must have statistics; the timed iterations never evaluate."""
    import torch

    from cggan.data import load_dataset
    from cggan.metrics import features, fid

    torch.manual_seed(0)
    model = features.DigitClassifier(
        image_size=32, channels=3, feature_dim=16, widths=(4, 8)
    )
    features.save_classifier(fid.classifier_path_for(out), model)
    extractor = features.build_extractor(
        "classifier", weights=fid.classifier_path_for(out)
    )
    data = load_dataset("cifar10", root=root, split="train", image_size=32)
    feats = features.extract_features(extractor, data.x, len(data.x), 256)
    mu, sigma = fid.compute_statistics(feats)
    protocol = fid.reference_protocol(
        dataset="cifar10",
        split="train",
        n=len(data.x),
        image_size=32,
        channels=3,
        extractor=extractor,
    )
    fid.save_reference_stats(out, mu, sigma, protocol, kid_features=feats[:32])
    return out


def run_spec(root: Path, model: str, method: str, sizes: dict) -> dict:
    """A CIFAR-shaped run spec of ``model`` and ``method`` (registry defaults)."""
    from cggan.methods import method_hparams

    return {
        "study": "gpu_check",
        "experiment": "cifar10",
        "dataset": {"name": "cifar10", "image_size": 32, "root": str(root)},
        "model": {"name": model, "z_dim": sizes["z_dim"], "kwargs": sizes[model]},
        "loss": "bce",
        "n_critic": 1,
        "batch_size": sizes["batch_size"],
        "iterations": 100_000,
        "method": method,
        "method_kwargs": method_hparams(method),
        "lr_rule": "constant",
        "lr_rule_kwargs": {},
        "lr_g": 1e-4,
        "lr_d": 1e-4,
        "seed": 0,
        "eval": {
            "metric": "fid",
            "every": 1000,
            "n_samples": 32,
            "batch_size": 32,
            "extractor": "classifier",
            "dims": 16,
            "reference_split": "train",
            "reference_n": sizes["data_n"],
            "preprocessing": "fixed",
        },
        "checkpoint_every": 5000,
    }


def build_trainer(fixture: dict, model: str, method: str, sizes: dict, device):
    """A :class:`cggan.train.Trainer` of the project (nothing written to disk)."""
    from cggan.train import Trainer

    spec = run_spec(fixture["root"], model, method, sizes)
    return Trainer(
        spec,
        fixture["runs"] / f"{model}-{method}",
        fid_stats=fixture["stats"],
        threads=sizes["threads"],
        device=str(device),
        fresh=True,
    )


# ----------------------------------------------------------------------- sections
def section_cuda_tests(device, quick: bool) -> dict:
    """``pytest -m cuda`` over :data:`CUDA_TESTS` in a subprocess: counts and status."""
    import torch

    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-m",
        "cuda",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=--strict-markers",
        *CUDA_TESTS,
    ]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    counts = {}
    for word in ("passed", "failed", "skipped", "error", "errors", "deselected"):
        import re

        m = re.search(rf"(\d+) {word}\b", out)
        counts[word] = int(m.group(1)) if m else 0
    counts["errors"] = counts.pop("error") + counts.pop("errors")
    cuda = torch.cuda.is_available() and torch.device(device).type == "cuda"
    if proc.returncode not in (0, 5) or counts["failed"] or counts["errors"]:
        status = "fail"
    elif cuda and counts["passed"]:
        status = "pass"
    else:
        status = "skipped (no CUDA)" if not cuda else "none ran"
    return {
        "status": status,
        "returncode": proc.returncode,
        "files": list(CUDA_TESTS),
        "seconds": time.perf_counter() - t,
        **counts,
        "tail": out.strip().splitlines()[-15:],
    }


def section_iterations(fixture, models, sizes, device, deadline) -> dict:
    """Per model and method (``models``: model -> methods): the median time of one
    training iteration."""
    import torch

    out: dict = {}
    for model, methods in models.items():
        out[model] = {}
        for method in methods:
            if time.perf_counter() > deadline:
                out[model][method] = {"skipped": "time budget"}
                continue
            if torch.device(device).type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            trainer = build_trainer(fixture, model, method, sizes, device)
            timing = _median_times(
                trainer._train_step, sizes["iterations"], sizes["warmup"], device
            )
            if torch.device(device).type == "cuda":
                timing["peak_mem_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
            out[model][method] = timing
            del trainer
    return out


def section_optimizer_step(sizes, device) -> dict:
    """CG's step (every rule; default path and for-loop) vs Adam fused / foreach on the
    SNGAN-ResNet generator's parameters, with two alternating random gradients."""
    import torch

    from cggan.models import build_models
    from cggan.optim import ConjugateGradient

    torch.manual_seed(0)
    kwargs = sizes["sngan_resnet"]
    generator, _ = build_models("sngan_resnet", image_size=32, channels=3, **kwargs)
    base = [p.detach().to(device) for p in generator.parameters()]
    gen = torch.Generator().manual_seed(1)
    grads = [
        [torch.randn(p.shape, generator=gen).to(device) for p in base] for _ in range(2)
    ]

    def timed(factory) -> dict:
        params = [p.clone().requires_grad_(True) for p in base]
        opt = factory(params)
        state = {"i": 0}

        def step():
            for p, g in zip(params, grads[state["i"] % 2]):
                p.grad = g
            state["i"] += 1
            opt.step()

        reps = sizes["step_repeats"]
        return _median_times(step, reps, max(2, reps // 10), device)

    cuda = torch.device(device).type == "cuda"
    out = {
        "tensors": len(base),
        "parameters": sum(p.numel() for p in base),
        "adam_fused": timed(lambda ps: torch.optim.Adam(ps, lr=1e-4, fused=True)),
        "adam_foreach": timed(lambda ps: torch.optim.Adam(ps, lr=1e-4, foreach=True)),
        "cg": {},
    }
    for rule in CG_RULES:

        def cg(ps, rule=rule, **kw):
            return ConjugateGradient(ps, lr=1e-4, beta_rule=rule, **kw)

        row = {"default": timed(cg)}
        if cuda:  # the for-loop path, for reference (the default is foreach there)
            row["for_loop"] = timed(lambda ps, cg=cg: cg(ps, foreach=False))
        row["ratio_to_adam_fused"] = (
            row["default"]["median_s"] / out["adam_fused"]["median_s"]
        )
        out["cg"][rule] = row
    out["target"] = CG_STEP_TARGET
    out["target_met"] = all(
        r["ratio_to_adam_fused"] <= CG_STEP_TARGET for r in out["cg"].values()
    )
    return out


def section_fid(sizes, device, tmp: Path) -> dict:
    """One FID evaluation: ``fid_n`` SNGAN-ResNet samples, Inception at ``fid_dims``
    (randomly initialised weights), reference statistics cached as in the pipeline."""
    import numpy as np
    import torch

    from cggan.metrics import features as feat
    from cggan.metrics import fid
    from cggan.models import build_models

    weights = tmp / "torch_home" / "hub" / "checkpoints" / feat.INCEPTION_FILENAME
    weights.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    sha = feat.save_random_inception_weights(weights, seed=0)
    extractor = feat.build_extractor(
        "inception", weights=weights, dims=sizes["fid_dims"], expected_sha256=sha
    )
    setup_s = time.perf_counter() - t
    dims, n = sizes["fid_dims"], sizes["fid_n"]
    rng = np.random.default_rng(0)
    real = rng.standard_normal((max(2 * dims, n), dims)).astype(np.float64)
    mu, sigma = fid.compute_statistics(real)
    protocol = fid.reference_protocol(
        dataset="cifar10",
        split="train",
        n=len(real),
        image_size=32,
        channels=3,
        extractor=extractor,
    )
    kid_rows = min(len(real), fid.KID_REFERENCE_FEATURES)
    ref = fid.ReferenceStats(
        mu, sigma, protocol, real[:kid_rows], sqrt_sigma=fid.sqrt_psd(sigma)
    )
    evaluator = fid.FIDEvaluator(ref, extractor, n, sizes["fid_batch"], device)
    torch.manual_seed(0)
    generator, _ = build_models(
        "sngan_resnet",
        image_size=32,
        channels=3,
        z_dim=sizes["z_dim"],
        **sizes["sngan_resnet"],
    )
    generator = generator.to(device).eval()
    gen = torch.Generator().manual_seed(0)

    @torch.no_grad()
    def sample_fn(b: int):
        return generator(torch.randn(b, sizes["z_dim"], generator=gen).to(device))

    # Warm-up (first-call allocations, cuDNN plans) on one batch, not a whole one.
    warm = sizes["fid_batch"]
    fid.FIDEvaluator(ref, extractor, warm, warm, device, kid_subset_size=warm)(
        sample_fn
    )
    _sync(device)
    t = time.perf_counter()
    result = evaluator(sample_fn)
    _sync(device)
    seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "n_samples": n,
        "dims": dims,
        "batch_size": sizes["fid_batch"],
        "setup_s": setup_s,
        "fid_status": result["fid_status"],
        "weights": "random init (same architecture and cost as the FID Inception)",
    }


def _worker(job: dict, ready, go, results) -> None:
    """One concurrency process: build DCGAN-32 + Adam, warm up, say ready, wait for
    go, train for ``job["seconds"]``, put {iterations, seconds} on ``results``."""
    try:
        import torch

        torch.set_num_threads(job["sizes"]["threads"])
        trainer = build_trainer(
            job["fixture"], "dcgan", "adam", job["sizes"], job["device"]
        )
        for _ in range(max(1, job["sizes"]["warmup"])):
            trainer._train_step()
        _sync(job["device"])
        ready.put(True)
        go.wait()
        count, t = 0, time.perf_counter()
        while time.perf_counter() - t < job["seconds"] or count == 0:
            trainer._train_step()
            count += 1
        _sync(job["device"])
        results.put({"iterations": count, "seconds": time.perf_counter() - t})
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        ready.put(False)
        results.put({"error": f"{type(exc).__name__}: {exc}"})


def section_concurrency(fixture, sizes, device, run_iterations, deadline) -> dict:
    """k DCGAN-32 training processes at once: aggregate iterations/s, runs/GPU-hour.

    Processes start with ``spawn`` on CUDA (a forked CUDA context is unusable) and
    with ``fork`` on the CPU (no second torch import: the quick check stays quick).
    """
    import multiprocessing as mp

    ctx = mp.get_context("spawn" if device.type == "cuda" else "fork")
    out: dict = {"model": "dcgan", "method": "adam", "run_iterations": run_iterations}
    for k in sizes["concurrency"]:
        if time.perf_counter() > deadline:
            out[str(k)] = {"skipped": "time budget"}
            continue
        job = {
            "fixture": fixture,
            "sizes": sizes,
            "device": str(device),
            "seconds": sizes["concurrency_s"],
        }
        ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        procs = [
            ctx.Process(target=_worker, args=(job, ready, go, results))
            for _ in range(k)
        ]
        for p in procs:
            p.start()
        try:
            if not all(ready.get(timeout=600) for _ in procs):
                go.set()
                raise RuntimeError(f"a concurrency worker failed (k={k})")
            go.set()
            rows = [results.get(timeout=600) for _ in procs]
        finally:
            for p in procs:
                p.join(timeout=60)
        errors = [r["error"] for r in rows if "error" in r]
        if errors:
            raise RuntimeError(f"concurrency worker (k={k}): {errors[0]}")
        rates = [r["iterations"] / r["seconds"] for r in rows]
        total = sum(rates)
        out[str(k)] = {
            "iterations_per_s": total,
            "per_process_iterations_per_s": rates,
            "runs_per_gpu_hour": total * 3600 / run_iterations,
        }
    one = out.get("1", {}).get("iterations_per_s")
    for k in sizes["concurrency"]:
        row = out[str(k)]
        if one and "iterations_per_s" in row:
            row["speedup_vs_1"] = row["iterations_per_s"] / one
    return out


def recommend(cost: dict, concurrency: dict, iterations: dict) -> dict:
    """Profile values that follow from the measurements (printed, never written)."""
    best_k, best = 1, 0.0
    for key, row in concurrency.items():
        if (
            key.isdigit()
            and "iterations_per_s" in row
            and row["iterations_per_s"] > best
        ):
            best_k, best = int(key), row["iterations_per_s"]
    one = concurrency.get("1", {}).get("iterations_per_s") or best
    # Share a GPU only where it pays: >= 1.3x the throughput of one process.
    share = best_k if one and best / one >= 1.3 else 1
    mem = [r.get("peak_mem_gib") for r in iterations.get("sngan_resnet", {}).values()]
    mem = [m for m in mem if m]
    return {
        "train:runtime": cost.get("slurm_runtime_min"),
        "train:gpu": 1,
        "dcgan_runs_per_gpu": share,
        "sngan_resnet_runs_per_gpu": 1,
        "sngan_resnet_peak_gpu_mem_gib": max(mem) if mem else None,
    }


# --------------------------------------------------------------------------- report
def markdown(summary: dict) -> str:
    prov = summary["provenance"]
    lines = [
        "# GPU check",
        "",
        f"- device: {prov['device']} ({prov.get('gpu') or 'no GPU'}), driver "
        f"{prov.get('driver')}, torch {prov['torch']}, CUDA {prov['cuda_runtime']}",
        f"- git {prov['git_revision']}{' (dirty)' if prov['git_dirty'] else ''}, "
        f"{prov['date_utc']}, mode {summary['mode']}, wall {summary['wall_s']:.0f} s",
    ]
    if summary["mode"] != "full" or not prov.get("gpu"):
        lines.append("- **not GPU figures**: a CPU or quick run checks the script only")
    tests = summary.get("cuda_tests", {})
    lines += [
        "",
        "## CUDA tests",
        "",
        f"{tests.get('status')}: {tests.get('passed')} "
        f"passed, {tests.get('failed')} failed, {tests.get('skipped')} skipped",
    ]
    lines += [
        "",
        "## One training iteration (median, ms)",
        "",
        "| method | " + " | ".join(summary.get("iterations", {})) + " |",
        "|---|" + "---:|" * len(summary.get("iterations", {})),
    ]
    models = summary.get("iterations", {})
    methods = list(dict.fromkeys(m for rows in models.values() for m in rows))
    for method in methods:
        cells = []
        for rows in models.values():
            row = rows.get(method, {})
            cells.append(f"{1000 * row['median_s']:.2f}" if "median_s" in row else "-")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    step = summary.get("optimizer_step")
    if step:
        lines += [
            "",
            f"## Optimizer step, SNGAN-ResNet generator ({step['tensors']} "
            f"tensors, {step['parameters']:,} parameters), median ms",
            "",
            f"Adam fused {1000 * step['adam_fused']['median_s']:.3f}, Adam "
            f"foreach {1000 * step['adam_foreach']['median_s']:.3f}",
            "",
            "| CG rule | default path | for-loop | / Adam fused |",
            "|---|---:|---:|---:|",
        ]
        for rule, row in step["cg"].items():
            loop = row.get("for_loop")
            loop_ms = f"{1000 * loop['median_s']:.3f}" if loop else "-"
            lines.append(
                f"| {rule} | {1000 * row['default']['median_s']:.3f} | "
                f"{loop_ms} | {row['ratio_to_adam_fused']:.2f} |"
            )
        lines.append(
            f"\ntarget <= {step['target']}x Adam fused for every rule: "
            f"{'met' if step['target_met'] else 'NOT met'}"
        )
    fid = summary.get("fid")
    if fid:
        lines += [
            "",
            "## FID evaluation",
            "",
            f"{fid['n_samples']} samples at "
            f"{fid['dims']}-d: {fid['seconds']:.2f} s ({fid['weights']})",
        ]
    conc = summary.get("concurrency")
    if conc:
        lines += [
            "",
            f"## Concurrency (DCGAN-32, Adam; runs of "
            f"{conc['run_iterations']:,} iterations)",
            "",
            "| k | iterations/s | speed-up | runs per GPU-hour |",
            "|---:|---:|---:|---:|",
        ]
        for key, row in conc.items():
            if key.isdigit() and "iterations_per_s" in row:
                lines.append(
                    f"| {key} | {row['iterations_per_s']:.1f} | "
                    f"{row.get('speedup_vs_1', 1.0):.2f} | "
                    f"{row['runs_per_gpu_hour']:.3f} |"
                )
    cost = summary.get("cost")
    if cost:
        lines += [
            "",
            f"## Cost of {cost['config']}",
            "",
            f"- planned runs: {cost['runs']:,} ({cost['sweep_runs']:,} sweep + "
            f"{cost['confirmation_runs']:,} confirmation)",
            f"- GPU-hours at one run per GPU: {cost['gpu_hours']:.1f} "
            f"(sweep {cost['sweep_gpu_hours']:.1f})",
            f"- methods without a measured time: {cost['missing'] or 'none'}",
            f"- SLURM `train:runtime`: {cost['slurm_runtime_min']} min",
        ]
    rec = summary.get("recommended_profile")
    if rec:
        lines += ["", "## Recommended profile values (not applied)", ""]
        lines += [f"- `{k}`: {v}" for k, v in rec.items()]
    if summary.get("errors"):
        lines += ["", "## Errors", ""] + [
            f"- {k}: {v}" for k, v in summary["errors"].items()
        ]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- main
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
            # Evaluation cost scales with its samples: the measured evaluation at
            # fid_n samples, scaled to the config's n_samples (exact in the full mode).
            per_sample = summary["fid"]["seconds"] / summary["fid"]["n_samples"]
            eval_s = per_sample * max(r["eval_n_samples"] for r in plan)
            hours = gpu_hours(plan, iter_s, eval_s)
            summary["cost"] = {
                "config": str(Path(args.config).resolve().relative_to(REPO))
                if Path(args.config).resolve().is_relative_to(REPO)
                else str(args.config),
                "model": "sngan_resnet",
                "runs": sum(r["runs"] for r in plan),
                "sweep_runs": sum(r["sweep_runs"] for r in plan),
                "confirmation_runs": sum(r["confirmation_runs"] for r in plan),
                "eval_s": eval_s,
                "gpu_hours": hours["total"],
                "sweep_gpu_hours": hours["sweep"],
                "confirmation_gpu_hours": hours["confirmation"],
                "gpu_hours_by_method": hours["by_method"],
                "missing": hours["missing"],
                "margin": args.margin,
                "slurm_runtime_min": slurm_runtime_minutes(
                    plan, iter_s, eval_s, margin=args.margin
                ),
                "plan": plan,
            }
            summary["recommended_profile"] = recommend(
                summary["cost"],
                summary.get("concurrency", {}),
                summary.get("iterations", {}),
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary["wall_s"] = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "gpu_check.md").write_text(markdown(summary))
    print(markdown(summary))
    print(
        f"gpu_check: wrote {out / 'gpu_check.json'} and gpu_check.md", file=sys.stderr
    )
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
