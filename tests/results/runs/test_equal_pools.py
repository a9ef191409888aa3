"""Equal pools: one Top-1/Top-k pool per swept hyperparameter value, pooled beside."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from tests.results.fake_runs import POOL_SWEEP, build_pool_study

from cggan.results.aggregate import aggregate_study
from cggan.results.runs.equal_pools import LR_GRID, pool_label, pool_of_row
from cggan.study.study import Study


@pytest.fixture(scope="module")
def pooled(tmp_path_factory):
    """``(results_root, selection_dir, config, out_dir, result)`` of the pool study."""
    tmp = tmp_path_factory.mktemp("pools")
    results = tmp / "results"
    sel, config = build_pool_study(results)
    out = tmp / "out"
    result = aggregate_study(Study(config, results=str(results)), sel, out, plots=False)
    return results, sel, config, out, result


def pool_row(paper: pd.DataFrame, method: str, pool: str) -> pd.Series:
    hit = paper[(paper["method"] == method) & (paper["pool"] == pool)]
    assert len(hit) == 1
    return hit.iloc[0]


def values(method, hparam):
    return [v for (m, h, _), v in POOL_SWEEP.items() if (m, h) == (method, hparam)]


def test_pool_labels_are_spelled_as_the_setting_directories():
    assert pool_label({}) == pool_label("{}") == pool_label(None) == LR_GRID
    assert pool_label({"beta_coeff": 0.5}) == "beta_coeff~0.5"
    assert pool_label('{"momentum": 0.9}') == "momentum~0.9"
    assert pool_label({"b": 1, "a": [0.5, 0.9]}) == "a~0.5x0.9_b~1"
    assert pool_of_row("lr_d~0.001_lr_g~5e-05_beta_coeff~1.0", "{}") == "beta_coeff~1.0"
    assert pool_of_row("lr_d~0.001_lr_g~5e-05", '{"x": 1}') == LR_GRID
    assert pool_of_row("b", '{"gamma": 0.01}') == "gamma~0.01"  # not a setting id


def test_every_pool_is_the_lr_grid_and_named_with_its_size(pooled):
    paper = pooled[4].paper
    assert set(zip(paper["method"], paper["pool"])) == {
        ("sgd", LR_GRID),
        ("momentum", "momentum~0.25"),
        ("momentum", "momentum~0.5"),
        ("momentum", "momentum~0.9"),
        ("cg_fr", "beta_coeff~0.5"),
        ("cg_fr", "beta_coeff~1.0"),
    }
    assert set(paper["pool_size"]) == {2}
    assert (paper["pool_size"] == paper["n_runs"]).all()
    r = pool_row(paper, "cg_fr", "beta_coeff~1.0")
    assert (r["top1"], r["topk_mean"]) == (6.0, pytest.approx(13.0))
    assert r["top1_setting"] == "lr_d~0.001_lr_g~0.0005_beta_coeff~1.0"
    r = pool_row(paper, "momentum", "momentum~0.9")  # one diverged: k=1 of 2
    assert (r["top1"], r["k_used"], r["n_diverged"]) == (30.0, 1, 1)


def test_the_published_pooling_stays_as_labelled_columns(pooled):
    paper = pooled[4].paper
    for pool in ("beta_coeff~0.5", "beta_coeff~1.0"):
        r = pool_row(paper, "cg_fr", pool)
        every = sorted(values("cg_fr", 0.5) + values("cg_fr", 1.0))
        assert (r["top1_pooled"], r["pooled_size"], r["n_pools"]) == (every[0], 4, 2)
        assert r["topk_pooled_mean"] == pytest.approx((every[0] + every[1]) / 2)
    sgd = pool_row(paper, "sgd", LR_GRID)
    assert (sgd["top1_pooled"], sgd["pooled_size"]) == (sgd["top1"], 2)


def test_markdown_csv_and_metrics_json_name_the_pools(pooled):
    out = pooled[3]
    md = (out / "tables" / "paper_table.md").read_text()
    assert "| cg_fr | beta_coeff~0.5 | 7.50 | 7.75 ± 0.35 | n=2, 0 div, 0 fail |" in md
    assert "| momentum~0.9 | 30.00 | 30.00 (k=1) | n=2, 1 div, 0 fail |" in md
    assert "every pool has 2 runs" in md and "published pooling" in md
    assert "| cg_fr | 6.00 | 6.75 ± 1.06 | n=4 in 2 pools, 0 div, 0 fail |" in md
    csv = pd.read_csv(out / "tables" / "paper_table.csv")
    for column in (
        "pool",
        "pool_size",
        "top1_pooled",
        "topk_pooled_mean",
        "pooled_size",
    ):
        assert column in csv.columns
    entry = json.loads((out / "metrics.json").read_text())["digits"]["cg_fr"]
    entry = entry["constant"]
    assert (entry["top1"], entry["n_runs"], entry["pooled_size"]) == (6.0, 4, 4)
    assert entry["pools"]["beta_coeff~0.5"]["pool_size"] == 2
    assert entry["pools"]["beta_coeff~1.0"]["top1"] == 6.0


def test_a_run_without_summary_stays_in_its_pool(pooled, tmp_path):
    results, sel, config, _, _ = pooled
    copy = tmp_path / "results"
    shutil.copytree(results, copy)
    run = next(
        (copy / "runs" / "t" / "digits" / "cg_fr" / "constant").glob(
            "lr_d~0.001_lr_g~0.001_beta_coeff~1.0/seed0"
        )
    )
    (run / "summary.json").unlink()
    result = aggregate_study(
        Study(config, results=str(copy)), sel, tmp_path / "out", plots=False
    )
    r = pool_row(result.paper, "cg_fr", "beta_coeff~1.0")
    assert (r["pool_size"], r["n_failed"], r["k_used"]) == (2, 1, 1)
    md = (tmp_path / "out" / "tables" / "paper_table.md").read_text()
    assert "pool sizes differ" not in md
