"""Tables (md/csv/tex), metrics.json and the curve data of the fake study."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.results.fake_runs import aggregate_dir, row, write_run

from cggan.results.tables.formatting import format_cell


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


def test_layout_rows_are_methods_and_columns_are_rules(study):
    md = (study[2] / "tables" / "paper_table.md").read_text()
    block = md.split("## digits")[1].split("## ")[0]
    lines = [line for line in block.splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header[:2] == ["method", "pool"]
    assert header[2:5] == ["constant: Top-1", "constant: Top-10", "constant: runs"]
    assert header[5:8] == ["sqrt: Top-1", "sqrt: Top-10", "sqrt: runs"]
    table = lines[: lines.index(next(x for x in lines[2:] if "real data" in x))]
    methods = [line.strip("|").split("|")[0].strip() for line in table[2:]]
    assert methods == ["adam", "cg_fr"]
    first = [c.strip() for c in lines[2].strip("|").split("|")]
    # adam: its pool, constant Top-1, sqrt Top-1
    assert (first[1], first[2], first[5]) == ("lr grid", "25.00", "35.50")
    tex = (study[2] / "tables" / "paper_table.tex").read_text()
    assert r"\multicolumn{3}{c}{constant}" in tex and r"cg\_fr" in tex
    assert r"beta\_coeff\textasciitilde{}0.5" in tex and "tab:pooled-digits" in tex


def test_no_finished_run_shows_a_dash_with_its_counts(tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "digits", "sgd", "constant", "a", 0, "div")
    write_run(runs, "digits", "sgd", "constant", "b", 0, "fail")
    (runs / "digits" / "sgd" / "constant" / "c" / "seed0").mkdir(
        parents=True
    )  # no summary.json
    result = aggregate_dir(runs, None, tmp_path / "out")
    r = row(result.paper, "digits", "sgd", "constant")
    assert (r["n_runs"], r["n_diverged"], r["n_failed"], r["k_used"]) == (3, 1, 2, 0)
    md = (tmp_path / "out" / "tables" / "paper_table.md").read_text()
    assert "| sgd | lr grid | — | — | n=3, 1 div, 2 fail |" in md
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
    # rows without an evaluation (iteration 50) are dropped; the last value is the
    # final FID
    assert sorted(adam["iteration"].unique()) == [0, 100, 200]
    seed1 = adam[adam["seed"] == 1].set_index("iteration")["value"]
    assert seed1[200] == 27.0


def test_format_cell_never_prints_nan():
    assert format_cell(float("nan"), 1.0) == "—"
    assert format_cell(None) == "—"
    assert format_cell(2.0, float("nan")) == "2.00"
    assert format_cell(2.0, 0.5) == "2.00 ± 0.50"
