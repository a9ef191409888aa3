"""The fake study aggregated once per module (tables, plots, metrics.json)."""

from __future__ import annotations

import pytest
from tests.results.fake_runs import aggregate_dir, build_study


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """``(runs_dir, selection_dir, out_dir, result)`` of the fake study, plots drawn."""
    tmp = tmp_path_factory.mktemp("agg")
    runs, sel = build_study(tmp)
    out = tmp / "results"
    result = aggregate_dir(runs, sel, out, top_k=10, confidence=0.95)
    return runs, sel, out, result
