"""The published numbers, and the table that sets them beside a replication arm only."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from tests.results.fake_runs import build_configured_study, study_config

from cggan.results.aggregate import aggregate_study
from cggan.results.statistics.top_k import PAPER_COLUMNS
from cggan.results.tables.published_numbers import (
    PUBLISHED,
    SOURCES,
    published_experiments,
    published_frame,
)
from cggan.results.tables.published_vs_reproduced import (
    PUBLISHED_COLUMNS,
    TABLE_FILES,
    published_vs_reproduced,
    render_published_vs_reproduced,
    write_published_tables,
)
from cggan.study.study import Study

ROOT = Path(__file__).resolve().parents[3]
NAME = "naganuma2023_cifar10_sngan"
METHODS = {"adam", "sgd", "momentum"} | {
    f"cg_{r}_authors" for r in ("dy", "fr", "fr_prp", "hs", "hs_dy", "hz", "prp")
}


def test_the_published_set_holds_the_released_readme_table():
    data = PUBLISHED[NAME]
    assert set(data) == {"constant", "diminishing"}
    for by_stat in data.values():
        assert set(by_stat) == {"top1", "top10_mean", "top10_std"}
        assert all(set(values) == METHODS for values in by_stat.values())
    assert data["constant"]["top1"]["adam"] == 19.38
    assert data["constant"]["top1"]["cg_fr_authors"] == 26.02
    assert data["constant"]["top10_mean"]["cg_hz_authors"] == 34.28
    assert data["constant"]["top10_std"]["cg_prp_authors"] == 2.01
    assert data["diminishing"]["top1"]["cg_hs_dy_authors"] == 29.09
    assert data["diminishing"]["top10_mean"]["momentum"] == 205.29
    assert data["diminishing"]["top10_std"]["momentum"] == 59.333  # as published
    assert data["diminishing"]["top10_mean"]["cg_dy_authors"] == 42.39
    source = SOURCES[NAME]
    assert dict(source.rules) == {"constant": "constant", "diminishing": "step_authors"}
    assert "b757483" in source.citation and source.metric == "fid" and source.k == 10
    frame = published_frame(NAME)
    assert len(frame) == 20 and set(frame["lr_rule"]) == {"constant", "step_authors"}


def _prow(experiment, method, rule, pool, top, pooled, *, metric="fid"):
    """A paper-table row: ``top`` = (top1, mean, std, size) of the pool, ``pooled``
    = (top1, mean, std, size, n_pools) of the method × rule."""
    row = dict.fromkeys(PAPER_COLUMNS, math.nan)
    row.update(
        experiment=experiment,
        metric=metric,
        mode="min",
        rank_by="final",
        method=method,
        lr_rule=rule,
        pool=pool,
        pool_size=top[3],
        top1=top[0],
        topk_mean=top[1],
        topk_std=top[2],
        k_used=min(10, top[3]),
        k=10,
        n_runs=top[3],
        n_finished=top[3],
        n_diverged=1,
        n_failed=0,
        top1_pooled=pooled[0],
        topk_pooled_mean=pooled[1],
        topk_pooled_std=pooled[2],
        k_used_pooled=10,
        pooled_size=pooled[3],
        n_pools=pooled[4],
    )
    return row


def _paper() -> pd.DataFrame:
    """Two arms with the same runs: the replication arm and the textbook arm."""
    rows = []
    for exp in ("cifar10_released", "cifar10"):
        pooled_m = (30.0, 40.0, 5.0, 100, 4)
        rows += [
            _prow(
                exp,
                "sgd",
                "constant",
                "lr grid",
                (31.0, 41.0, 8.0, 25),
                (31.0, 41.0, 8.0, 25, 1),
            ),
            _prow(
                exp,
                "momentum",
                "constant",
                "momentum~0.5",
                (30.0, 39.0, 4.0, 25),
                pooled_m,
            ),
            _prow(
                exp,
                "momentum",
                "constant",
                "momentum~0.9",
                (36.0, 80.0, 50.0, 25),
                pooled_m,
            ),
            *(
                _prow(
                    exp,
                    "cg_fr_authors",
                    "step_authors",
                    f"beta_coeff~{c}",
                    (33.0, 39.0, 9.0, 16),
                    (32.5, 38.5, 8.5, 48, 3),
                )
                for c in (0.5, 0.75, 1.0)
            ),
        ]
    return pd.DataFrame(rows, columns=PAPER_COLUMNS)


def test_only_the_named_experiment_is_set_beside_the_published_numbers():
    table = published_vs_reproduced(_paper(), {"cifar10_released": NAME})
    assert list(table.columns) == PUBLISHED_COLUMNS
    assert set(table["experiment"]) == {"cifar10_released"}  # cifar10: no row
    assert len(table) == 20
    assert published_vs_reproduced(_paper(), {}).empty


def test_reproduced_cells_use_the_published_pooling():
    table = published_vs_reproduced(_paper(), {"cifar10_released": NAME})
    at = table.set_index(["method", "lr_rule"])
    cg = at.loc[("cg_fr_authors", "step_authors")]
    assert (cg["reproduced_top1"], cg["reproduced_topk_mean"]) == (32.5, 38.5)
    assert (cg["reproduced_pool"], cg["n_pools"], cg["n_runs"]) == ("pooled", 3, 48)
    assert cg["n_diverged"] == 3  # summed over the pools
    assert cg["published_top1"] == 32.17 and cg["rule_kind"] == "diminishing"
    assert cg["delta_top1"] == pytest.approx(32.5 - 32.17)
    # the released sweep ran momentum 0.9 only: its pool, not all four values
    mom = at.loc[("momentum", "constant")]
    assert (mom["reproduced_pool"], mom["n_runs"]) == ("momentum~0.9", 25)
    assert (mom["reproduced_top1"], mom["reproduced_topk_std"]) == (36.0, 50.0)
    sgd = at.loc[("sgd", "constant")]
    assert (sgd["reproduced_pool"], sgd["reproduced_topk_mean"]) == ("pooled", 41.0)
    missing = at.loc[("adam", "step_authors")]
    assert missing["n_runs"] == 0 and math.isnan(missing["reproduced_top1"])
    assert missing["published_top10_mean"] == 135.86


def test_markdown_states_k_pool_sizes_and_every_caveat():
    table = published_vs_reproduced(_paper(), {"cifar10_released": NAME})
    md = render_published_vs_reproduced(table)
    assert "## cifar10_released" in md and "## cifar10\n" not in md
    for caveat in SOURCES[NAME].caveats:
        assert caveat in md
    assert "Top-10 published" in md and "Top-10 reproduced" in md
    assert (
        "| cg_fr_authors | CG_FR | step_authors (diminishing) | 32.17 | 32.50 |" in md
    )
    assert "205.29 ± 59.333" in md and "33.70 ± 2.04" in md
    assert "n=48 (in 3 pools), 3 div, 0 fail" in md
    assert "n=25 (momentum~0.9), 1 div, 0 fail" in md
    assert (
        "| sgd | SGD | constant | 30.34 | 31.00 | 41.09 ± 8.13 | 41.00 ± 8.00 | n=25, 1"
        in md
    )
    assert "not run" in md and "Pool sizes (runs): 25, 48" in md


def test_unknown_set_or_other_metric_is_refused_in_one_line():
    with pytest.raises(ValueError, match=r"experiments\.x\.published: 'nope'"):
        published_vs_reproduced(_paper(), {"x": "nope"})
    paper = _paper().assign(metric="modes")
    with pytest.raises(ValueError, match=r"cifar10\.eval\.metric: 'modes'"):
        published_vs_reproduced(paper, {"cifar10": NAME})


def _load(name: str) -> dict:
    return yaml.safe_load((ROOT / "config" / name).read_text(encoding="utf-8"))


def test_only_paper_yamls_replication_arm_sets_published():
    assert published_experiments(_load("paper.yaml")) == {"cifar10_released": NAME}
    for name in ("config.yaml", "laptop.yaml"):
        assert published_experiments(_load(name)) == {}, name


def test_write_nothing_without_a_published_experiment(tmp_path):
    assert write_published_tables(_paper(), {}, tmp_path) == []
    assert not any(tmp_path.iterdir())
    paths = write_published_tables(_paper(), {"cifar10_released": NAME}, tmp_path)
    assert [p.name for p in paths] == list(TABLE_FILES)
    assert len(pd.read_csv(paths[1])) == 20


def _configured(tmp_path, published):
    config = study_config()
    config["experiments"]["digits"]["published"] = published
    results = tmp_path / "results"
    return config, build_configured_study(results, config), results


def test_aggregate_study_writes_the_table_only_for_a_published_experiment(tmp_path):
    config, sel, results = _configured(tmp_path, None)
    out = tmp_path / "plain"
    aggregate_study(Study(config, results=str(results)), sel, out, plots=False)
    assert not list(out.rglob("published_vs_reproduced*"))
    config["experiments"]["digits"]["published"] = NAME
    out = tmp_path / "published"
    result = aggregate_study(Study(config, results=str(results)), sel, out, plots=False)
    written = {out / "tables" / name for name in TABLE_FILES}
    assert written <= set(result.paths) and all(p.is_file() for p in written)
    csv = pd.read_csv(out / "tables" / "published_vs_reproduced.csv")
    assert set(csv["experiment"]) == {"digits"}
    sgd = csv[(csv["method"] == "sgd") & (csv["lr_rule"] == "constant")].iloc[0]
    assert (sgd["reproduced_top1"], sgd["n_runs"], sgd["k"]) == (9.0, 2, 2)
    mom = csv[(csv["method"] == "momentum") & (csv["lr_rule"] == "constant")].iloc[0]
    assert mom["reproduced_pool"] == "momentum~0.9"


def test_an_unknown_published_set_stops_before_anything_is_written(tmp_path):
    config, sel, results = _configured(tmp_path, None)
    config["experiments"]["digits"]["published"] = "nope"
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"experiments\.digits\.published: 'nope'"):
        aggregate_study(Study(config, results=str(results)), sel, out, plots=False)
    assert not out.exists()
