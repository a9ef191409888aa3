"""Training throughput: one training iteration of each model and method, and k training
processes on one device at once."""

from __future__ import annotations

import time

from gpu.fixture import build_trainer
from gpu.timing import median_times, sync


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
            timing = median_times(
                trainer._train_step, sizes["iterations"], sizes["warmup"], device
            )
            if torch.device(device).type == "cuda":
                timing["peak_mem_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
            out[model][method] = timing
            del trainer
    return out


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
        sync(job["device"])
        ready.put(True)
        go.wait()
        count, t = 0, time.perf_counter()
        while time.perf_counter() - t < job["seconds"] or count == 0:
            trainer._train_step()
            count += 1
        sync(job["device"])
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
