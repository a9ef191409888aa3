"""The CUDA tests: ``pytest -m cuda`` in a subprocess, pass or fail."""

from __future__ import annotations

import re
import subprocess
import sys
import time

from gpu.sizes import REPO

#: The files whose tests are marked ``cuda`` (run with ``-m cuda``).
CUDA_TESTS = (
    "tests/optim/test_cuda.py",
    "tests/train/test_cuda.py",
    "tests/metrics/test_frechet.py",
)


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
