"""The GPU check's package (``benchmarks/gpu/``) is imported as ``gpu``, as the script
``benchmarks/gpu_check.py`` imports it (its folder is first on ``sys.path`` there)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
