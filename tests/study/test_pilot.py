"""Tests of cggan.study.pilot on synthetic curves: per-run lengths, the pool-level
test by length, and the evaluation-to-evaluation movement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cggan.study.pilot import evaluation_movement, pilot_lengths, pool_lengths


def _curves(kind: str, seeds=3, points=33, every=100):
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(seeds):
        for k in range(points):
            base = {"flat": 300.0, "falling": 300.0 + 3000.0 * np.exp(-k / 8)}[kind]
            fid = base * (1 + 0.01 * rng.standard_normal())
            rows.append(
                {"method": kind, "setting": "s", "seed": seed,
                 "iteration": k * every, "fid": fid}
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_lengths_and_pools_see_a_flat_pool_converge_and_a_falling_one_improve():
    curves = pd.concat([_curves("flat"), _curves("falling")])
    lengths = pilot_lengths(curves, tolerance=0.05)
    assert set(lengths["seed"]) == {0, 1, 2}
    pools = pool_lengths(lengths, tolerance=0.05)
    end = pools[pools["length"] == 3200].set_index("method")
    assert end.loc["flat", "state"] == "converged"
    assert end.loc["flat", "n"] == 3
    assert end.loc["flat", "final_quarter_mean"] == pytest.approx(300, rel=0.02)
    early = pools[pools["length"] == 800].set_index("method")
    assert early.loc["falling", "state"] == "improving"


def test_movement_is_the_median_relative_step_of_the_late_half():
    curves = pd.DataFrame(
        {"method": "m", "setting": "s", "seed": 0, "iteration": [0, 100, 200, 300, 400],
         "fid": [1000.0, 500.0, 100.0, 110.0, 99.0]}
    )  # fmt: skip
    (row,) = evaluation_movement(curves).to_dict("records")
    # late half: iterations 300 and 400 -> one step |99 - 110| / 110
    assert row["median_step_change"] == pytest.approx(11 / 110)
