"""End to end: config/ci.yaml through the whole DAG, then nothing left to do."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import yaml

from .conftest import nothing_to_do, snakemake

pytestmark = pytest.mark.slow

#: The ci study's tables, plots and metrics.json (a study other than `default`).
OUT = "results/studies/ci"


def test_ci_study_tables_have_one_finite_row_per_method_and_rule(ci_study):
    root, seconds = ci_study
    config = yaml.safe_load((root / "config/ci.yaml").read_text())
    summary = pd.read_csv(root / OUT / "tables/summary.csv")
    for exp, e in config["experiments"].items():
        methods = e.get("methods") or list(config["methods"])
        rules = e.get("lr_rules") or list(config["lr_rules"])
        rows = summary[summary["experiment"] == exp]
        # one row per confirmed setting: per method x rule x pool (momentum has two)
        assert set(zip(rows["method"], rows["lr_rule"])) == {
            (m, r) for m in methods for r in rules
        }, exp
        pools = {
            m: len((config["methods"][m] or {}).get("momentum", [0])) for m in methods
        }
        assert len(rows) == sum(pools[m] for m in methods) * len(rules), exp
        assert (rows["n_runs"] == len(config["seeds"])).all()
        if e["eval"]["metric"] == "fid":
            assert all(math.isfinite(v) for v in rows["final_mean"]), rows
    for name in ("paper_table", "seeds"):
        for ext in ("md", "csv", "tex"):
            assert (root / OUT / f"tables/{name}.{ext}").stat().st_size > 0
    metrics = json.loads((root / OUT / "metrics.json").read_text())
    assert set(metrics) >= set(config["experiments"])
    assert (root / OUT / "plots/toy_cg_paper.png").is_file()
    print(f"ci study: {seconds:.0f} s")


def test_confirmation_runs_use_fresh_seeds(ci_study):
    root, _ = ci_study
    config = yaml.safe_load((root / "config/ci.yaml").read_text())
    sel = json.loads((root / "results/selection/ci/digits.json").read_text())
    assert (
        sel["sweep_seeds"] == config["sweep_seeds"] and sel["seeds"] == config["seeds"]
    )
    assert not set(config["sweep_seeds"]) & set(config["seeds"])
    # sgd, momentum 0.5, momentum 0.9, adam, cg_fr (pools) x constant, sqrt
    assert len(sel["selected"]) == 5 * 2
    runs = root / "results/runs/ci/digits"
    for s in sel["selected"]:
        setting = runs / s["method"] / s["lr_rule"] / s["setting"]
        wanted = sorted(f"seed{k}" for k in [*config["sweep_seeds"], *config["seeds"]])
        assert sorted(p.name for p in setting.iterdir()) == wanted
        for seed_dir in setting.iterdir():
            spec = json.loads((seed_dir / "summary.json").read_text())["spec"]
            assert (
                spec["seed"] == int(seed_dir.name[4:]) and spec["method"] == s["method"]
            )
    # settings that were not selected ran at the sweep seed only
    all_settings = [p for p in runs.glob("*/*/*") if p.is_dir()]
    chosen = {(s["method"], s["lr_rule"], s["setting"]) for s in sel["selected"]}
    unselected = [p for p in all_settings if tuple(p.parts[-3:]) not in chosen]
    assert len(unselected) == len(all_settings) - len(chosen)
    assert unselected and all(
        [q.name for q in p.iterdir()] == ["seed0"] for p in unselected
    )


def test_grids_cut_off_at_an_edge_are_extended_and_trained(ci_study):
    """The ci grids have 2 lr_G values under the constant rule (and 1 lr_D): every
    pool's best setting is on an edge, so each round steps past it, unless its best
    value is tied (a single-value axis cannot be stepped); the new
    settings are trained at the sweep seed and take part in the selection."""
    root, _ = ci_study
    config = yaml.safe_load((root / "config/ci.yaml").read_text())
    # the schema's default (ci.yaml does not set it)
    rounds = config["selection"].get("max_grid_extensions", 2)
    runs = root / "results/runs/ci/digits"
    added_any = False
    for round_ in range(1, rounds + 1):
        path = root / f"results/selection/ci/digits/extension{round_}.json"
        record = json.loads(path.read_text())
        assert record["round"] == round_
        added = {(a["method"], a["lr_rule"], a["pool"]): a for a in record["added"]}
        for pool in record["pools"]:
            key = (pool["method"], pool["lr_rule"], pool["pool"])
            # an axis with one value (lr_d; lr_g under sqrt) has no ratio to step by
            several = len(config["lr_rules"][pool["lr_rule"]]["lr_g"]) > 1
            steppable = several and any(e.startswith("lr_g") for e in pool["edges"])
            expected = steppable and pool["selected"] and not pool.get("tied")
            assert (key in added) == bool(expected), (round_, pool)
        for a in record["added"]:
            summary = runs / a["method"] / a["lr_rule"] / a["setting"] / "seed0"
            assert (summary / "summary.json").is_file(), a
        added_any |= bool(added)
    assert added_any
    # the selection ranked the extended settings too, and records where they sit
    sel = json.loads((root / "results/selection/ci/digits.json").read_text())
    assert any(s["round"] > 0 for s in sel["selected"])
    assert all("edges" in s for s in sel["selected"])
    table = pd.read_csv(root / OUT / "tables/runs.csv")
    assert (table["round"].dropna() > 0).any()


def test_second_invocation_has_nothing_to_do(ci_study):
    root, _ = ci_study
    proc = snakemake(["--configfile", "config/ci.yaml", "--cores", "2"], root)
    assert nothing_to_do(proc), proc.stdout[-3000:] + proc.stderr[-3000:]


def test_report_builds(ci_study):
    root, _ = ci_study
    snakemake(
        ["--configfile", "config/ci.yaml", "--report", "results/report.html"], root
    )
    assert (root / "results/report.html").stat().st_size > 100_000
