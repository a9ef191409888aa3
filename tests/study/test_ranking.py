"""Tests of cggan.study.ranking: the best setting of each pool by the mean of its
sweep seeds, its run counts and how sure the choice is."""

from __future__ import annotations

import numpy as np
import pytest

from cggan import study as cs

from .builders import sweep_record as _rec


def test_selection_picks_the_best_finished_run_and_counts_the_others():
    records = [
        _rec("sgd", "constant", "a", "finished", 30.0, best=10.0),
        _rec("sgd", "constant", "b", "finished", 20.0, best=19.0),
        _rec("sgd", "constant", "c", "diverged", 1.0),  # better number, but diverged
        _rec("sgd", "constant", "d", "failed", None),
        _rec("sgd", "constant", "e", "finished", float("nan")),
        _rec("adam", "constant", "x", "failed", None),
    ]
    groups = cs.select_settings(records, by="final", direction="min")
    assert [(g["method"], g["lr_rule"]) for g in groups] == [
        ("adam", "constant"),
        ("sgd", "constant"),
    ]
    adam, sgd = groups
    assert adam["selected"] is None and adam["n_failed"] == 1 and adam["n_runs"] == 1
    assert sgd["selected"]["setting"] == "b" and sgd["selected"]["value"] == 20.0
    assert (
        sgd["n_runs"],
        sgd["n_finished"],
        sgd["n_diverged"],
        sgd["n_failed"],
        sgd["n_no_metric"],
    ) == (5, 3, 1, 1, 1)
    # by best: run a's best (10) wins
    assert cs.select_settings(records, by="best")[1]["selected"]["setting"] == "a"


def test_selection_direction_max_and_deterministic_ties():
    records = [
        _rec("sgd", "sqrt", s, "finished", v)
        for s, v in (("z", 7.0), ("b", 8.0), ("a", 8.0))
    ]
    assert (
        cs.select_settings(records, by="final", direction="max")[0]["selected"][
            "setting"
        ]
        == "a"
    )
    assert (
        cs.select_settings(records, by="final", direction="min")[0]["selected"][
            "setting"
        ]
        == "z"
    )
    with pytest.raises(ValueError, match="Invalid selection.by"):
        cs.select_settings(records, by="median")


def test_selection_is_per_pool_so_each_hyperparameter_value_is_confirmed():
    """momentum 0.9 and 0.5 are two pools: each keeps its own best setting."""
    records = [
        _rec("momentum", "constant", f"lr_d~{lr}_lr_g~{lr}_momentum~{m}", "finished", v)
        for lr, m, v in (
            (0.01, 0.9, 500.0),
            (0.03, 0.9, 400.0),
            (0.01, 0.5, 300.0),
            (0.03, 0.5, 350.0),
        )
    ]
    groups = cs.select_settings(records, by="final")
    chosen = {g["pool"]: g["selected"]["setting"] for g in groups}
    assert chosen == {
        "momentum~0.5": "lr_d~0.01_lr_g~0.01_momentum~0.5",
        "momentum~0.9": "lr_d~0.03_lr_g~0.03_momentum~0.9",
    }


def _seeded(setting, values, status="finished"):
    return [
        _rec("sgd", "constant", setting, status, v, seed=k)
        for k, v in enumerate(values)
    ]


def test_selection_ranks_settings_by_the_mean_of_their_sweep_seeds():
    """A lucky single run does not win: b's mean (20) beats a's (30) although a's
    best seed (5) is the best run of the sweep."""
    records = _seeded("a", [5.0, 40.0, 45.0]) + _seeded("b", [20.0, 19.0, 21.0])
    (group,) = cs.select_settings(records, by="final")
    chosen = group["selected"]
    assert chosen["setting"] == "b" and chosen["value"] == pytest.approx(20.0)
    assert chosen["values"] == [20.0, 19.0, 21.0] and chosen["n_seeds"] == 3
    assert group["n_settings"] == 2 and group["n_runs"] == 6
    # how sure: b stays best in most resamples, never in all of them is not required
    assert 0.5 < group["confidence"] <= 1.0


def test_a_setting_with_a_diverged_sweep_seed_is_not_a_candidate():
    records = _seeded("a", [5.0, 6.0]) + [
        _rec("sgd", "constant", "a", "diverged", None, seed=2)
    ]
    records += _seeded("b", [20.0, 21.0, 22.0])
    (group,) = cs.select_settings(records, by="final")
    assert group["selected"]["setting"] == "b"
    assert group["n_diverged"] == 1 and group["n_settings"] == 1
    assert group["confidence"] == 1.0  # one candidate


def test_selection_confidence_falls_as_settings_overlap():
    rng = np.random.default_rng(0)
    apart = _seeded("a", list(100 + rng.normal(0, 1, 3))) + _seeded(
        "b", list(200 + rng.normal(0, 1, 3))
    )
    close = _seeded("a", [100.0, 140.0, 120.0]) + _seeded("b", [125.0, 105.0, 135.0])
    (far,) = cs.select_settings(apart, by="final")
    (near,) = cs.select_settings(close, by="final")
    assert far["confidence"] == 1.0
    assert 0.3 < near["confidence"] < 0.9
    # one seed a setting: nothing to resample
    (single,) = cs.select_settings(
        _seeded("a", [1.0]) + _seeded("b", [2.0]), by="final"
    )
    assert single["confidence"] is None


def test_selection_by_final_quarter_reads_the_final_quarter_mean():
    records = _seeded("a", [10.0, 10.0]) + _seeded("b", [20.0, 20.0])
    for rec, fq in zip(records, [50.0, 52.0, 30.0, 31.0]):
        rec["summary"]["final_quarter_metric"] = fq
    (group,) = cs.select_settings(records, by="final_quarter")
    assert group["selected"]["setting"] == "b"
    assert group["selected"]["value"] == pytest.approx(30.5)
