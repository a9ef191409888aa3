"""Timing on a device: the median of ``torch.cuda.synchronize``'d calls."""

from __future__ import annotations

import statistics
import time


def sync(device) -> None:
    """Wait for the device's queued work (CUDA); nothing on the CPU."""
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def median_times(fn, n: int, warmup: int, device) -> dict:
    """Median/p10/p90 seconds of ``fn()`` over ``n`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t)
    times.sort()
    return {
        "median_s": statistics.median(times),
        "p10_s": times[int(0.1 * (len(times) - 1))],
        "p90_s": times[int(0.9 * (len(times) - 1))],
        "n": n,
        "warmup": warmup,
    }
