"""A configured study aggregated from the runs its config names, never a glob."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from tests.results.fake_runs import (
    aggregate_dir,
    build_configured_study,
    fill_run,
    row,
    study_config,
)

from cggan.results.aggregate import aggregate_study
from cggan.results.runs.sweep_and_confirmation import study_run_dirs
from cggan.study import Study, read_study_config

SGD_BEST = "lr_d~0.001_lr_g~0.0005"


@pytest.fixture
def configured(tmp_path):
    """``(results_root, selection_dir, config)`` of a configured fake study."""
    results, config = tmp_path / "results", study_config()
    return results, build_configured_study(results, config), config


def test_run_list_is_the_sweep_plus_each_selections_confirmation(configured):
    results, sel, config = configured
    run_dirs, selections = study_run_dirs(Study(config, results=str(results)), sel)
    study = Study(config, results=str(results))
    assert run_dirs[: study.n_sweep_runs] == study.sweep_run_dirs()
    confirmation = study.confirmation_run_dirs(selections["digits"])
    assert run_dirs[study.n_sweep_runs :] == confirmation
    best = f"{study.paths.runs_root}/digits/sgd/constant/{SGD_BEST}/seed1"
    assert best in confirmation


def test_options_default_to_the_config_and_tables_match_the_directory_form(
    configured, tmp_path
):
    results, sel, config = configured
    result = aggregate_study(Study(config, results=str(results)), sel, tmp_path / "a")
    sgd = row(result.paper, "digits", "sgd", "constant")
    assert (sgd["k"], sgd["top1"], sgd["topk_mean"]) == (2, 9.0, 10.5)
    assert row(result.seeds, "digits", "sgd", "constant")["confidence"] == 0.9
    # Nothing else on disk: the glob of the directory gives the same bytes.
    aggregate_dir(
        results / "runs" / "t",
        sel,
        tmp_path / "b",
        top_k=2,
        confidence=0.9,
        plots=False,
    )
    for name in ("paper_table.csv", "seeds.csv", "summary.csv", "paper_table.tex"):
        a, b = tmp_path / "a" / "tables" / name, tmp_path / "b" / "tables" / name
        assert a.read_bytes() == b.read_bytes()


def test_a_run_of_a_removed_setting_never_enters_the_tables(configured, tmp_path):
    results, sel, config = configured
    stale = results / "runs" / "t" / "digits" / "sgd" / "constant"
    fill_run(stale / "lr_d~0.001_lr_g~0.1" / "seed0", 1.0, lr=0.1)
    result = aggregate_study(
        Study(config, results=str(results)), sel, tmp_path / "out", plots=False
    )
    sgd = row(result.paper, "digits", "sgd", "constant")
    assert (sgd["n_runs"], sgd["top1"], sgd["topk_mean"]) == (2, 9.0, 10.5)
    # the directory form does see it: that is why the workflow lists its runs
    globbed = aggregate_dir(
        results / "runs" / "t", sel, tmp_path / "g", top_k=2, plots=False
    )
    assert row(globbed.paper, "digits", "sgd", "constant")["top1"] == 1.0


def test_a_deleted_confirmation_run_is_counted_missing(configured, tmp_path):
    results, sel, config = configured
    seed1 = results / "runs" / "t" / "digits" / "sgd" / "constant" / SGD_BEST / "seed1"
    shutil.rmtree(seed1)
    result = aggregate_study(
        Study(config, results=str(results)), sel, tmp_path / "out", plots=False
    )
    seeds = row(result.seeds, "digits", "sgd", "constant")
    assert (seeds["n_runs"], seeds["n_finished"], seeds["n_failed"]) == (2, 1, 1)
    assert seeds["final_mean"] == 11.0  # seed 2 (the sweep's 9.0 + 2)
    md = (tmp_path / "out" / "tables" / "seeds.md").read_text()
    assert "n=2, 0 div, 1 fail" in md


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", "", '{"a": 1', "{}"])
def test_an_unreadable_summary_stops_naming_the_file(configured, tmp_path, text):
    results, sel, config = configured
    path = results / "runs" / "t" / "digits" / "sgd" / "constant" / SGD_BEST
    path = path / "seed1" / "summary.json"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        aggregate_study(Study(config, results=str(results)), sel, tmp_path / "out")
    message = str(info.value)
    assert message.startswith(f"{path}: unreadable run summary (")
    assert "\n" not in message
    assert not (tmp_path / "out").exists()  # nothing written, nothing counted


@pytest.mark.parametrize(
    "cut, reason",
    [
        (lambda t: t[:-5], "truncated (no final newline)"),
        (lambda t: t.rsplit(",", 3)[0] + "\n", "line 5 has 8 fields"),
        (lambda t: "", "empty file"),
    ],
)
def test_a_truncated_metrics_csv_stops_naming_the_file(
    configured, tmp_path, cut, reason
):
    results, sel, config = configured
    path = results / "runs" / "t" / "digits" / "sgd" / "constant" / SGD_BEST
    path = path / "seed1" / "metrics.csv"
    path.write_text(cut(path.read_text()))
    with pytest.raises(ValueError, match="metrics.csv: ") as info:
        aggregate_study(Study(config, results=str(results)), sel, tmp_path / "out")
    assert str(info.value).startswith(f"{path}: ") and reason in str(info.value)
    assert not (tmp_path / "out").exists()


def test_selection_files_are_read_per_experiment(configured, tmp_path):
    results, sel, config = configured
    (sel / "digits.json").rename(sel / "other.json")
    with pytest.raises(ValueError, match=r"digits\.json: missing"):
        study_run_dirs(Study(config, results=str(results)), sel)
    data = json.loads((sel / "other.json").read_text())
    (sel / "digits.json").write_text(json.dumps({**data, "experiment": "ring8"}))
    with pytest.raises(ValueError, match="holds experiment 'ring8'"):
        study_run_dirs(Study(config, results=str(results)), sel)


def test_read_study_config_takes_json_text_or_a_file(tmp_path):
    config = study_config()
    assert read_study_config(json.dumps(config)) == config
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    assert read_study_config(str(path)) == config
    path.write_text("{")
    with pytest.raises(ValueError, match=f"{path}: invalid JSON"):
        read_study_config(str(path))
    with pytest.raises(ValueError, match="unreadable"):
        read_study_config(str(tmp_path / "absent.json"))
    path.write_text("[]")
    with pytest.raises(ValueError, match=f"{path}: not a JSON object"):
        read_study_config(str(path))


def test_curves_come_from_the_confirmation_runs(configured, tmp_path):
    results, sel, config = configured
    aggregate_study(
        Study(config, results=str(results)), sel, tmp_path / "out", plots=False
    )
    curves = pd.read_csv(tmp_path / "out" / "plots" / "data" / "curves_digits.csv")
    sgd = curves[curves["method"] == "sgd"]
    assert set(sgd["setting"]) == {SGD_BEST} and sorted(sgd["seed"].unique()) == [1, 2]


#: Every file a configured FID study with CG runs writes (the workflow's outputs).
STUDY_FILES = {
    *(
        f"tables/{t}.{x}"
        for t in ("paper_table", "seeds")
        for x in ("md", "csv", "tex")
    ),
    *(f"tables/{t}.{x}" for t in ("summary", "calibration") for x in ("md", "csv")),
    *(f"tables/{t}.{x}" for t in ("cg_vs_momentum", "claims") for x in ("md", "csv")),
    "tables/runs.csv",
    "metrics.json",
    *(f"plots/{k}_digits.png" for k in ("curves", "sweep", "samples", "beta")),
    "plots/data/curves_digits.csv",
    "plots/data/beta_digits.csv",
}


def test_the_written_files_are_exactly_the_workflows_outputs(configured, tmp_path):
    results, sel, config = configured
    out = tmp_path / "out"
    result = aggregate_study(Study(config, results=str(results)), sel, out)
    written = {p.relative_to(out).as_posix() for p in result.paths}
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == on_disk == STUDY_FILES


def test_claims_and_cg_vs_momentum_tables_come_from_the_study(configured, tmp_path):
    from cggan.results.claims.cg_vs_momentum import PAIR_COLUMNS
    from cggan.results.claims.check import CLAIM_COLUMNS

    results, sel, config = configured
    out = tmp_path / "out"
    result = aggregate_study(Study(config, results=str(results)), sel, out, plots=False)
    claims = pd.read_csv(out / "tables" / "claims.csv")
    assert list(claims.columns) == CLAIM_COLUMNS
    assert set(claims["verdict"]) <= {
        "holds",
        "contradicted",
        "inconclusive",
        "equivalent",
        "better",
        "worse",
    }
    assert (claims["claim"] == "h").any()  # CG vs matched momentum
    # the claims are recomputed from runs.csv alone, byte for byte
    from cggan.results.claims.check import claims_table
    from cggan.results.claims.plan import analysis_plan
    from cggan.results.runs.runs_csv import read_runs_csv
    from cggan.results.tables.formatting import write_csv

    again = claims_table(
        read_runs_csv(out / "tables" / "runs.csv"), analysis_plan(config)
    )
    write_csv(tmp_path / "again.csv", again)
    assert (tmp_path / "again.csv").read_bytes() == (
        out / "tables" / "claims.csv"
    ).read_bytes()
    pairs = pd.read_csv(out / "tables" / "cg_vs_momentum.csv")
    assert list(pairs.columns) == PAIR_COLUMNS
    cg = pairs[(pairs["method"] == "cg_fr") & (pairs["cap"] == 0.25)].iloc[0]
    assert cg["n_pairs"] > 0  # momentum~0.25 is cg_fr's twin at c = 0.5
    assert len(result.claims) == len(claims)
    assert len(result.cg_vs_momentum) == len(pairs)
    assert "Claims check" in (out / "tables" / "claims.md").read_text()
    assert "matched cap" in (out / "tables" / "cg_vs_momentum.md").read_text()


def test_runs_csv_names_the_code_of_each_run_and_marks_the_stale_ones(
    configured, tmp_path
):
    """A run kept under `stale_runs: keep` (made by other training code) is marked."""
    from cggan.fingerprint import code_fingerprint

    results, sel, config = configured
    current = code_fingerprint()["fingerprint"]
    summaries = sorted((results / "runs" / "t").rglob("summary.json"))
    for path, code in zip(summaries[:2], (current, "0" * 64), strict=True):
        record = json.loads(path.read_text())
        record["code"] = {"fingerprint": code}
        path.write_text(json.dumps(record))
    result = aggregate_study(Study(config, results=str(results)), sel, tmp_path / "out")
    table = result.runs_table
    codes = dict(zip(table["code"], table["stale"], strict=True))
    assert codes[current[:12]] is False and codes["0" * 12] is True
    assert table["stale"].isna().sum() == len(table) - 2  # the others recorded none
    from cggan.results.runs.runs_csv import read_runs_csv

    back = read_runs_csv(tmp_path / "out" / "tables" / "runs.csv")
    assert set(back["stale"].dropna()) == {True, False}


def test_seeds_table_shows_each_pool_s_convergence_test(configured, tmp_path):
    """The seeds table carries the pool-level test of each selected setting's
    confirmation runs beside the count of runs within the tolerance."""
    results, sel, config = configured
    result = aggregate_study(
        Study(config, results=str(results)), sel, tmp_path / "o", plots=False
    )
    seeds = result.seeds
    assert "pool_convergence" in seeds.columns
    known = seeds["pool_convergence"].dropna()
    assert len(known) and all(
        s.split(" ", 1)[0] in {"converged", "improving", "degrading", "undecided"}
        for s in known
    )
    text = (tmp_path / "o" / "tables" / "seeds.md").read_text()
    assert ", pool " in text
