"""The figures of the fake study: valid PNGs of a readable size; the FID scale."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from tests.results.fake_runs import PNG_MAGIC, aggregate_dir

from cggan.results import output_files
from cggan.results.figures.curves import plot_curves
from cggan.results.tables.calibration import FLOOR, NOISE_REF


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


CALIBRATION = {"real_floor": 2.5, "noise_reference": 420.0, "n": 1000}


def _curves() -> pd.DataFrame:
    rows = [
        {
            "experiment": "digits",
            "method": method,
            "lr_rule": rule,
            "setting": 0,
            "seed": seed,
            "metric": "fid",
            "iteration": it,
            "value": start / (1 + it),
        }
        for method, start in (("adam", 300.0), ("momentum", 200.0))
        for rule in ("constant", "sqrt")
        for seed in (0, 1)
        for it in range(0, 100, 10)
    ]
    return pd.DataFrame(rows)


def _reference_lines(ax) -> dict[str, tuple[float, str]]:
    return {
        line.get_label(): (float(line.get_ydata()[0]), line.get_linestyle())
        for line in ax.get_lines()
        if line.get_label() in (FLOOR, NOISE_REF)
    }


def test_fid_curves_carry_the_calibration_on_every_panel(tmp_path):
    rows = [{"label": FLOOR, "value": 2.5}, {"label": NOISE_REF, "value": 420.0}]
    fig = plot_curves(_curves(), "digits", "min", tmp_path / "c.png", rows)
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG_MAGIC
    axes = fig.axes
    assert len(axes) == 2
    for ax in axes:
        assert _reference_lines(ax) == {FLOOR: (2.5, ":"), NOISE_REF: (420.0, "--")}
        assert ax.get_yscale() == "log"  # FID spans 300 .. 2: the log scale stays
        low, high = ax.get_ylim()
        assert low < 2.5 and high > 420.0
        texts = [t.get_text() for t in ax.texts]
        assert f"{FLOOR}: 2.50" in texts and f"{NOISE_REF}: 420.00" in texts
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert FLOOR in legend and NOISE_REF in legend


def test_unmeasured_calibration_draws_no_lines(tmp_path):
    rows = [
        {"label": FLOOR, "value": math.nan},
        {"label": NOISE_REF, "value": math.nan},
    ]
    for references in (rows, ()):
        fig = plot_curves(_curves(), "digits", "min", tmp_path / "c.png", references)
        for ax in fig.axes:
            assert _reference_lines(ax) == {}
            assert not ax.texts


def test_aggregate_draws_the_calibration_on_fid_curves_only(
    study, monkeypatch, tmp_path
):
    figs = {}

    def spy(curves, experiment, *args, **kwargs):
        figs[experiment] = plot_curves(curves, experiment, *args, **kwargs)
        return figs[experiment]

    monkeypatch.setattr(output_files, "plot_curves", spy)
    monkeypatch.setattr(output_files, "plot_sweep", lambda *a: None)
    monkeypatch.setattr(output_files, "plot_samples", lambda *a: None)
    runs, sel = study[0], study[1]
    aggregate_dir(runs, sel, tmp_path / "on", calibration={"digits": CALIBRATION})
    for ax in figs["digits"].axes:
        assert _reference_lines(ax) == {FLOOR: (2.5, ":"), NOISE_REF: (420.0, "--")}
    for ax in figs["ring8"].axes:  # modes covered: no FID scale
        assert _reference_lines(ax) == {}
    aggregate_dir(runs, sel, tmp_path / "off", calibration={"digits": None})
    for ax in figs["digits"].axes:
        assert _reference_lines(ax) == {}
