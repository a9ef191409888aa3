"""The facts of the machine the numbers come from: host, GPU, driver, torch, CUDA,
cuDNN, and the git revision of the code measured."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess

from gpu.sizes import REPO


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
