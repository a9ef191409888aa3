"""β diagnostics of the CG runs: table columns, metrics.json, the β plot, old runs."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from tests.results.fake_runs import (
    PNG_MAGIC,
    POOL_BETA,
    build_pool_study,
    row,
    write_run,
)

from cggan.results.aggregate import aggregate_study
from cggan.results.runs.load import BETA_COLUMNS, load_runs
from cggan.results.statistics.beta import BETA_CURVE_COLUMNS, read_beta_curves
from cggan.study.study import Study


@pytest.fixture(scope="module")
def with_beta(tmp_path_factory):
    """``(out_dir, result)`` of the pool study whose CG runs report β, plots drawn."""
    tmp = tmp_path_factory.mktemp("beta")
    sel, config = build_pool_study(tmp / "results")
    out = tmp / "out"
    return out, aggregate_study(Study(config, results=str(tmp / "results")), sel, out)


def test_seed_and_summary_tables_show_mean_beta_and_share_capped(with_beta):
    out, result = with_beta
    selected = POOL_BETA[1.0]  # cg_fr's selected setting has beta_coeff 1.0
    for table in (result.seeds, result.summary):
        # every pool is confirmed: the beta_coeff 1.0 pool's row
        cg = row(
            table[table["setting"].str.endswith("beta_coeff~1.0")],
            "digits",
            "cg_fr",
            "constant",
        )
        for key, value in selected.items():
            assert cg[f"beta_{key}"] == pytest.approx(value)
        assert row(table, "digits", "sgd", "constant")[BETA_COLUMNS].isna().all()
    for name in ("seeds.md", "summary.md"):
        md = (out / "tables" / name).read_text()
        assert "β mean G / D | % capped G / D |" in md
        cg_line = next(
            x
            for x in md.splitlines()
            if x.startswith("| cg_fr |")
            and ("beta_coeff=1.0" in x or "beta_coeff~1.0" in x)
        )
        assert cg_line.endswith("| 0.50 / 0.44 | 99% / 88% |")
        sgd_line = next(x for x in md.splitlines() if x.startswith("| sgd |"))
        assert sgd_line.endswith("| — | — |")
    csv = pd.read_csv(out / "tables" / "seeds.csv")
    assert set(BETA_COLUMNS) <= set(csv.columns)


def test_metrics_json_has_beta_for_cg_rows_only(with_beta):
    metrics = json.loads((with_beta[0] / "metrics.json").read_text())["digits"]
    pools = metrics["cg_fr"]["constant"]["pools"]
    assert pools["beta_coeff~1.0"]["beta_mean_g"] == 0.5
    assert "beta_mean_g" not in metrics["sgd"]["constant"]


def test_beta_plot_and_its_data(with_beta):
    out = with_beta[0]
    path = out / "plots" / "beta_digits.png"
    assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 5_000
    assert min(plt.imread(path).shape[:2]) > 200
    data = pd.read_csv(out / "plots" / "data" / "beta_digits.csv")
    assert list(data.columns) == BETA_CURVE_COLUMNS
    assert set(data["method"]) == {"cg_fr"} and set(data["player"]) == {"G", "D"}
    assert set(data["statistic"]) == {"mean β", "share capped", "share zero"}
    data = data[data["setting"].str.endswith("beta_coeff~1.0")]  # one pool's curves
    capped = data[(data["statistic"] == "share capped") & (data["player"] == "G")]
    assert capped["value"].tolist() == pytest.approx([0.99] * len(capped))
    assert sorted(data["iteration"].unique()) == [0, 100, 200]  # 50: no evaluation


def test_older_runs_without_beta_still_aggregate(study):
    # The fake study's runs predate the β diagnostics: no β columns in the tables'
    # markdown, empty CSV cells, and a β plot saying that nothing was recorded.
    out, result = study[2], study[3]
    assert result.seeds[BETA_COLUMNS].isna().all().all()
    assert "β mean" not in (out / "tables" / "seeds.md").read_text()
    assert (out / "plots" / "beta_digits.png").read_bytes()[:8] == PNG_MAGIC
    assert (out / "plots" / "beta_ring8.png").is_file()  # cg_fr runs there too
    assert pd.read_csv(out / "plots" / "data" / "beta_digits.csv").empty


def test_experiments_without_cg_runs_get_no_beta_plot(tmp_path):
    from tests.results.fake_runs import aggregate_dir

    runs = tmp_path / "runs"
    write_run(runs, "digits", "sgd", "constant", "a", 0, 10.0)
    result = aggregate_dir(runs, None, tmp_path / "out", plots=False)
    assert not any("beta_" in p.name for p in result.paths)


def test_bad_beta_values_are_absent_not_errors(tmp_path):
    run = write_run(tmp_path / "runs", "digits", "cg_fr", "constant", "a", 0, 10.0)
    summary = json.loads((run / "summary.json").read_text())
    for beta in (
        None,
        "high",
        {"mean_g": "x", "mean_d": 2.0, "capped_g": None, "capped_d": 0.5},
    ):
        summary["beta"] = beta
        (run / "summary.json").write_text(json.dumps(summary))
        loaded = load_runs([run]).iloc[0]
        assert loaded[BETA_COLUMNS].isna().sum() == (
            5 if beta and "capped_d" in beta else 6
        )
    metrics = run / "metrics.csv"
    lines = metrics.read_text().splitlines()
    lines[0] += ",beta_mean_g,beta_capped_d"
    lines[1:] = [
        x + v for x, v in zip(lines[1:], [",0.5,bad", ",,", ",7,0.25", ",0.4,0.3"])
    ]
    metrics.write_text("\n".join(lines) + "\n")
    curves = read_beta_curves(load_runs([run]))
    assert sorted(curves["value"]) == [0.25, 0.3, 0.4, 0.5]  # "bad" and 7 left out
