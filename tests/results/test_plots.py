"""The figures of the fake study: valid PNGs of a readable size."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from tests.results.fake_runs import PNG_MAGIC


def test_plots_are_valid_pngs_of_nontrivial_size(study):
    plots = study[2] / "plots"
    for kind in ("curves", "sweep", "samples"):
        for experiment in ("digits", "ring8"):
            path = plots / f"{kind}_{experiment}.png"
            assert path.read_bytes()[:8] == PNG_MAGIC
            assert path.stat().st_size > 5_000
            height, width = plt.imread(path).shape[:2]
            assert height > 200 and width > 200
    assert not list(plots.glob(".*.tmp"))
