"""Statistics: Top-1/Top-k of the sweep, seed t-intervals, selection, ranking."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats
from tests.results.fake_runs import (
    SWEEP,
    aggregate_dir,
    build_study,
    finite,
    row,
    write_run,
)

from cggan.results.runs.load import find_run_dirs, load_runs
from cggan.results.runs.sweep_and_confirmation import confirmation_runs
from cggan.results.statistics.top_k import top_k_stats
from cggan.study import select_settings


def test_top1_is_the_minimum_of_the_chosen_sweep_values(study):
    paper = study[3].paper
    for method, by_rule in SWEEP.items():
        for rule, by_setting in by_rule.items():
            r = row(paper, "digits", method, rule)
            assert r["top1"] == min(finite(by_setting.values()))
    assert row(paper, "digits", "adam", "constant")["top1_setting"] == "b"


def test_topk_mean_and_std_equal_numpy_on_the_k_best(tmp_path):
    runs, sel = build_study(tmp_path)
    result = aggregate_dir(runs, sel, tmp_path / "out", top_k=2, plots=False)
    for method, by_rule in SWEEP.items():
        for rule, by_setting in by_rule.items():
            best2 = sorted(finite(by_setting.values()))[:2]
            r = row(result.paper, "digits", method, rule)
            assert r["topk_mean"] == pytest.approx(np.mean(best2))
            assert r["topk_std"] == pytest.approx(np.std(best2, ddof=1))
            assert r["k_used"] == 2


def test_fewer_than_k_finished_uses_what_there_is_and_shows_the_count(study):
    paper = study[3].paper
    r = row(paper, "digits", "cg_fr", "constant")  # 2 finished of 3, k = 10
    assert r["k_used"] == 2
    assert r["topk_mean"] == pytest.approx(np.mean([20.0, 22.5]))
    md = (study[2] / "tables" / "paper_table.md").read_text()
    assert "21.25 ± 1.77 (k=2)" in md


def test_seed_interval_is_scipys_percentile_bootstrap_of_the_seed_values(study):
    seeds = study[3].seeds
    values = [25.0, 27.0, 29.5]  # adam/constant setting b: seeds 0, 1, 2
    r = row(seeds, "digits", "adam", "constant")
    expected = stats.bootstrap(
        (np.array(values),),
        np.mean,
        n_resamples=10_000,
        method="percentile",
        confidence_level=0.95,
        rng=np.random.default_rng(0),
    ).confidence_interval
    assert r["final_mean"] == pytest.approx(np.mean(values))
    assert r["final_std"] == pytest.approx(np.std(values, ddof=1))
    assert (r["ci_low"], r["ci_high"]) == (expected.low, expected.high)
    assert r["ci_method"].startswith("percentile bootstrap (10000 resamples")
    assert (r["ci_note"], r["range_low"]) == ("", 0.0)
    assert (
        r["setting"] == "b"
        and r["lr_g"] == pytest.approx(5e-4)
        and r["lr_d"] == pytest.approx(1e-3)
    )
    # a diverged seed is counted, not averaged
    r = row(seeds, "digits", "cg_fr", "constant")
    assert (r["n_runs"], r["n_finished"], r["n_diverged"]) == (3, 2, 1)
    assert r["final_mean"] == pytest.approx(20.5)


def test_summary_table_has_best_and_final_mean_std_per_method_and_rule(study):
    summary = study[3].summary
    assert len(summary[summary["experiment"] == "digits"]) == 4
    r = row(summary, "digits", "adam", "sqrt")
    finals = [35.5, 36.0, 38.0]
    assert r["final_mean"] == pytest.approx(np.mean(finals))
    assert r["final_std"] == pytest.approx(np.std(finals, ddof=1))
    assert r["best_mean"] == pytest.approx(np.mean(finals) - 1.0)
    assert "| adam | sqrt |" in (study[2] / "tables" / "summary.md").read_text()


def test_max_metric_ranks_descending(study):
    paper = study[3].paper
    r = row(paper, "ring8", "sgd", "constant")
    assert r["top1"] == 8.0
    assert r["topk_mean"] == pytest.approx(np.mean([8.0, 7.0, 5.0]))
    assert row(paper, "ring8", "cg_fr", "constant")["top1"] == 6.0
    # selected here (no selection file): the best sweep setting, highest modes
    seeds = study[3].seeds
    assert row(seeds, "ring8", "sgd", "constant")["setting"] == "b"
    stats_ = top_k_stats([1.0, 3.0, float("nan"), 2.0], 2, mode="max")
    assert (stats_["top1"], stats_["topk_mean"], stats_["k_used"]) == (3.0, 2.5, 2)


def test_rank_by_best_uses_the_best_metric(tmp_path):
    runs, sel = build_study(tmp_path)
    result = aggregate_dir(runs, sel, tmp_path / "out", rank_by="best", plots=False)
    assert (
        row(result.paper, "digits", "adam", "constant")["top1"] == 24.0
    )  # best = final - 1
    with pytest.raises(ValueError, match="Invalid rank_by"):
        aggregate_dir(runs, sel, tmp_path / "out", rank_by="median")


def test_without_a_selection_file_the_workflows_algorithm_selects(study, tmp_path):
    # ring8 has no selection file: cggan.study.select_settings on the sweep summaries
    # must pick what the aggregation confirms.
    runs_dir = study[0]
    records = [
        {
            "method": p.parts[-4],
            "lr_rule": p.parts[-3],
            "setting": p.parts[-2],
            "summary": json.loads((p / "summary.json").read_text()),
        }
        for p in sorted((runs_dir / "ring8").glob("*/*/*/seed0"))
    ]
    groups = select_settings(records, by="final", direction="max")
    expected = {(g["method"], g["lr_rule"]): g["selected"]["setting"] for g in groups}
    seeds = study[3].seeds
    got = {
        (r["method"], r["lr_rule"]): r["setting"]
        for _, r in seeds[seeds["experiment"] == "ring8"].iterrows()
    }
    assert got == expected == {("sgd", "constant"): "b", ("cg_fr", "constant"): "a"}


def test_ties_go_to_the_smaller_setting_id(tmp_path):
    runs = tmp_path / "runs"
    for setting in ("c", "a", "b"):
        write_run(runs, "digits", "sgd", "constant", setting, 0, 5.0)
    loaded = load_runs(find_run_dirs(runs))
    confirmed = confirmation_runs(loaded, None, by="final")
    assert confirmed["setting"].tolist() == ["a"]
