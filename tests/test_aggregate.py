"""Tests of cggan.aggregate on a hand-made tree of fake run directories (no training)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from cggan import aggregate as agg  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Hand-chosen FIDs of the digits sweep (seed 0): method -> rule -> setting -> final FID,
# "div" = diverged, "fail" = failed.
SWEEP = {
    "adam": {
        "constant": {"a": 30.0, "b": 25.0, "c": "div"},
        "sqrt": {"a": 40.0, "b": 35.5, "c": 50.0},
    },
    "cg_fr": {
        "constant": {"a": 20.0, "b": 22.5, "c": "fail"},
        "sqrt": {"a": 28.0, "b": 26.0, "c": 27.0},
    },
}
# Selected setting and the final FIDs of seeds 1 and 2 (seed 0 is the sweep run).
CONFIRM = {
    ("adam", "constant"): ("b", {1: 27.0, 2: 29.5}),
    ("adam", "sqrt"): ("b", {1: 36.0, 2: 38.0}),
    ("cg_fr", "constant"): ("a", {1: 21.0, 2: "div"}),
    ("cg_fr", "sqrt"): ("b", {1: 25.0, 2: 24.5}),
}
# 2-D mixture (modes covered, higher is better), rule constant, seed 0 only.
MIXTURE = {
    "sgd": {"a": 5.0, "b": 8.0, "c": 7.0},
    "cg_fr": {"a": 6.0, "b": "div", "c": 3.0},
}


def write_run(
    root, experiment, method, rule, setting, seed, value, *, metric="fid", mode="min"
):
    run_dir = root / experiment / method / rule / setting / f"seed{seed}"
    run_dir.mkdir(parents=True)
    status = {"div": "diverged", "fail": "failed"}.get(value, "finished")
    final = value if status == "finished" else None
    # best over training: better than final by 1 for finished runs
    best = (
        None
        if status == "failed"
        else (99.0 if final is None else final + (-1.0 if mode == "min" else 1.0))
    )
    lr = {"a": 1e-3, "b": 5e-4, "c": 1e-4}[setting]
    summary = {
        "status": status,
        "diverged_at": 150 if status == "diverged" else None,
        "error": "boom" if status == "failed" else None,
        "metric_name": metric,
        "metric_mode": mode,
        "best_metric": best,
        "best_iteration": 100,
        "final_metric": final,
        "iterations": 200,
        "wall_time_s": 1.5,
        "versions": {},
        "git_revision": "abc",
        "spec": {
            "experiment": experiment,
            "method": method,
            "method_kwargs": {"beta_coeff": 0.5} if method.startswith("cg") else {},
            "lr_rule": rule,
            "lr_g": lr,
            "lr_d": 2 * lr,
            "seed": seed,
            "dataset": {"name": experiment},
            "eval": {"metric": metric, "every": 100},
        },
    }
    (run_dir / "summary.json").write_text(json.dumps(summary))
    if status != "failed":
        end = final if final is not None else float("nan")
        cols = "iteration,loss_g,loss_d,grad_norm_g,grad_norm_d,lr_g,lr_d,"
        if metric == "fid":
            rows = [cols + "fid,fid_status,kid,elapsed_s"]
            rows += [
                f"0,1,1,1,1,{lr},{lr},{end + 200},ok,0.1,0.1",
                f"50,1,1,1,1,{lr},{lr},,,,0.2",
            ]
            rows += [
                f"100,1,1,1,1,{lr},{lr},{end + 20},ok,0.1,0.3",
                f"200,1,1,1,1,{lr},{lr},{end},ok,0.1,0.4",
            ]
        else:
            rows = [cols + "modes,high_quality,elapsed_s"]
            rows += [
                f"0,1,1,1,1,{lr},{lr},1,0.1,0.1",
                f"200,1,1,1,1,{lr},{lr},{end},0.8,0.4",
            ]
        (run_dir / "metrics.csv").write_text("\n".join(rows) + "\n")
        image = np.random.default_rng(seed).random((18, 18, 3))
        plt.imsave(run_dir / "samples.png", image)
        if metric == "modes":
            angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
            np.save(
                run_dir / "samples.npy",
                np.c_[np.cos(angles), np.sin(angles)].repeat(20, axis=0),
            )
    return run_dir


def build_study(tmp_path: Path) -> tuple[Path, Path]:
    runs, sel = tmp_path / "runs" / "study", tmp_path / "selection" / "study"
    for method, by_rule in SWEEP.items():
        for rule, by_setting in by_rule.items():
            for setting, value in by_setting.items():
                write_run(runs, "digits", method, rule, setting, 0, value)
    selected = []
    for (method, rule), (setting, values) in CONFIRM.items():
        for seed, value in values.items():
            write_run(runs, "digits", method, rule, setting, seed, value)
        selected.append(
            {
                "method": method,
                "lr_rule": rule,
                "setting": setting,
                "value": 0.0,
                "n_candidates": 3,
                "n_diverged": 0,
                "n_failed": 0,
            }
        )
    sel.mkdir(parents=True)
    (sel / "digits.json").write_text(
        json.dumps(
            {
                "experiment": "digits",
                "metric": "fid",
                "by": "final",
                "sweep_seed": 0,
                "seeds": [0, 1, 2],
                "selected": selected,
                "extra_key": "tolerated",
            }
        )
    )
    for method, by_setting in MIXTURE.items():
        for setting, value in by_setting.items():
            write_run(
                runs,
                "ring8",
                method,
                "constant",
                setting,
                0,
                value,
                metric="modes",
                mode="max",
            )
    # no selection file for ring8: it is selected by the aggregation itself
    return runs, sel


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agg")
    runs, sel = build_study(tmp)
    out = tmp / "results"
    result = agg.aggregate(runs, sel, out, top_k=10, confidence=0.95)
    return runs, sel, out, result


def row(table: pd.DataFrame, experiment: str, method: str, rule: str) -> pd.Series:
    hit = table[
        (table["experiment"] == experiment)
        & (table["method"] == method)
        & (table["lr_rule"] == rule)
    ]
    assert len(hit) == 1
    return hit.iloc[0]


def finite(values):
    return [v for v in values if isinstance(v, float)]


def test_top1_is_the_minimum_of_the_chosen_sweep_values(study):
    paper = study[3].paper
    for method, by_rule in SWEEP.items():
        for rule, by_setting in by_rule.items():
            r = row(paper, "digits", method, rule)
            assert r["top1"] == min(finite(by_setting.values()))
    assert row(paper, "digits", "adam", "constant")["top1_setting"] == "b"


def test_topk_mean_and_std_equal_numpy_on_the_k_best(tmp_path):
    runs, sel = build_study(tmp_path)
    result = agg.aggregate(runs, sel, tmp_path / "out", top_k=2, plots=False)
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


def test_t_interval_matches_scipy_on_the_chosen_seed_values(study):
    seeds = study[3].seeds
    values = [25.0, 27.0, 29.5]  # adam/constant setting b: seeds 0, 1, 2
    r = row(seeds, "digits", "adam", "constant")
    low, high = stats.t.interval(
        0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values)
    )
    assert r["final_mean"] == pytest.approx(np.mean(values))
    assert r["final_std"] == pytest.approx(np.std(values, ddof=1))
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert (
        r["setting"] == "b"
        and r["lr_g"] == pytest.approx(5e-4)
        and r["lr_d"] == pytest.approx(1e-3)
    )
    # a diverged seed is counted, not averaged
    r = row(seeds, "digits", "cg_fr", "constant")
    assert (r["n_runs"], r["n_finished"], r["n_diverged"]) == (3, 2, 1)
    assert r["final_mean"] == pytest.approx(20.5)


def test_t_interval_needs_two_values_and_a_valid_level():
    assert all(math.isnan(v) for v in agg.t_interval([3.0]))
    with pytest.raises(ValueError, match="Invalid confidence"):
        agg.t_interval([1.0, 2.0], confidence=1.5)


def test_diverged_and_failed_counts_appear_in_md_csv_and_tex(study):
    tables = study[2] / "tables"
    csv = pd.read_csv(tables / "paper_table.csv")
    assert row(csv, "digits", "adam", "constant")[
        ["n_runs", "n_diverged", "n_failed"]
    ].tolist() == [3, 1, 0]
    assert row(csv, "digits", "cg_fr", "constant")[
        ["n_runs", "n_diverged", "n_failed"]
    ].tolist() == [3, 0, 1]
    md = (tables / "paper_table.md").read_text()
    adam_line = next(line for line in md.splitlines() if line.startswith("| adam |"))
    assert "n=3, 1 div, 0 fail" in adam_line
    tex = (tables / "paper_table.tex").read_text()
    assert "n=3, 1 div, 0 fail" in tex and "n=3, 0 div, 1 fail" in tex
    seeds_md = (tables / "seeds.md").read_text()
    assert "n=3, 1 div, 0 fail" in seeds_md
    assert "n=3, 1 div, 0 fail" in (tables / "seeds.tex").read_text()
    summary = pd.read_csv(tables / "summary.csv")
    assert row(summary, "digits", "cg_fr", "constant")[
        ["n_runs", "n_finished", "n_diverged", "n_failed"]
    ].tolist() == [3, 2, 1, 0]


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
    stats_ = agg.top_k_stats([1.0, 3.0, float("nan"), 2.0], 2, mode="max")
    assert (stats_["top1"], stats_["topk_mean"], stats_["k_used"]) == (3.0, 2.5, 2)


def test_rank_by_best_uses_the_best_metric(tmp_path):
    runs, sel = build_study(tmp_path)
    result = agg.aggregate(runs, sel, tmp_path / "out", rank_by="best", plots=False)
    assert (
        row(result.paper, "digits", "adam", "constant")["top1"] == 24.0
    )  # best = final - 1
    with pytest.raises(ValueError, match="Invalid rank_by"):
        agg.aggregate(runs, sel, tmp_path / "out", rank_by="median")


def test_layout_rows_are_methods_and_columns_are_rules(study):
    md = (study[2] / "tables" / "paper_table.md").read_text()
    block = md.split("## digits")[1].split("## ")[0]
    lines = [line for line in block.splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header[0] == "method"
    assert header[1:4] == ["constant: Top-1", "constant: Top-10", "constant: runs"]
    assert header[4:7] == ["sqrt: Top-1", "sqrt: Top-10", "sqrt: runs"]
    methods = [line.strip("|").split("|")[0].strip() for line in lines[2:]]
    assert methods == ["adam", "cg_fr"]
    first = [c.strip() for c in lines[2].strip("|").split("|")]
    assert (
        first[1] == "25.00" and first[4] == "35.50"
    )  # adam: constant Top-1, sqrt Top-1
    tex = (study[2] / "tables" / "paper_table.tex").read_text()
    assert r"\multicolumn{3}{c}{constant}" in tex and r"cg\_fr" in tex


def test_no_finished_run_shows_a_dash_with_its_counts(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "digits", "sgd", "constant", "a", 0, "div")
    write_run(runs, "digits", "sgd", "constant", "b", 0, "fail")
    (runs / "digits" / "sgd" / "constant" / "c" / "seed0").mkdir(
        parents=True
    )  # no summary.json
    result = agg.aggregate(runs, None, tmp_path / "out")
    r = row(result.paper, "digits", "sgd", "constant")
    assert (r["n_runs"], r["n_diverged"], r["n_failed"], r["k_used"]) == (3, 1, 2, 0)
    md = (tmp_path / "out" / "tables" / "paper_table.md").read_text()
    assert "| sgd | — | — | n=3, 1 div, 2 fail |" in md
    assert "nan" not in md.lower()
    assert (
        "nan"
        not in (tmp_path / "out" / "tables" / "paper_table.csv").read_text().lower()
    )
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["digits"]["sgd"]["constant"]["top1"] is None


def test_metrics_json_is_nested_and_has_no_nan(study):
    text = (study[2] / "metrics.json").read_text()

    def reject(name):
        raise AssertionError(f"{name} in metrics.json")

    metrics = json.loads(text, parse_constant=reject)
    entry = metrics["digits"]["adam"]["constant"]
    assert entry["top1"] == 25.0
    assert entry["seed_mean"] == pytest.approx(np.mean([25.0, 27.0, 29.5]))
    assert entry["n_diverged"] == 1
    assert {"top1", "topk_mean", "seed_mean", "seed_std", "n_diverged"} <= set(entry)
    assert metrics["ring8"]["sgd"]["constant"]["seed_std"] is None  # one seed: no std


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


def test_curve_data_is_long_format_of_the_confirmation_runs(study):
    data = pd.read_csv(study[2] / "plots" / "data" / "curves_digits.csv")
    assert list(data.columns) == [
        "experiment",
        "method",
        "lr_rule",
        "setting",
        "seed",
        "metric",
        "iteration",
        "value",
    ]
    adam = data[(data["method"] == "adam") & (data["lr_rule"] == "constant")]
    assert sorted(adam["seed"].unique()) == [0, 1, 2]
    assert set(adam["setting"]) == {"b"}
    # rows without an evaluation (iteration 50) are dropped; the last value is the final FID
    assert sorted(adam["iteration"].unique()) == [0, 100, 200]
    seed1 = adam[adam["seed"] == 1].set_index("iteration")["value"]
    assert seed1[200] == 27.0


def test_bad_input_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="Invalid runs_dir"):
        agg.load_runs(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no runs found"):
        agg.load_runs(tmp_path / "empty")
    with pytest.raises(ValueError, match="Invalid k"):
        agg.top_k_stats([1.0], 0)
    with pytest.raises(ValueError, match="Invalid selection_dir"):
        agg.load_selections(tmp_path / "absent")


def test_a_spec_contradicting_its_directory_is_rejected(tmp_path):
    run_dir = write_run(tmp_path / "runs", "digits", "sgd", "constant", "a", 0, 10.0)
    moved = tmp_path / "runs" / "digits" / "adam" / "constant" / "a" / "seed0"
    moved.parent.mkdir(parents=True)
    run_dir.rename(moved)
    with pytest.raises(ValueError, match="method='sgd'"):
        agg.load_runs(tmp_path / "runs")


def test_format_cell_never_prints_nan():
    assert agg.format_cell(float("nan"), 1.0) == "—"
    assert agg.format_cell(None) == "—"
    assert agg.format_cell(2.0, float("nan")) == "2.00"
    assert agg.format_cell(2.0, 0.5) == "2.00 ± 0.50"
