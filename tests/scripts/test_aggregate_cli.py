"""The thin CLI scripts/aggregate.py: exit codes, one error line, files written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import load_script

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "aggregate.py"


def load_cli():
    return load_script(SCRIPT, "aggregate_cli")


def write_summary(
    root: Path, method: str, setting: str, seed: int, status: str, final: float | None
):
    run_dir = root / "digits" / method / "constant" / setting / f"seed{seed}"
    run_dir.mkdir(parents=True)
    summary = {
        "status": status,
        "diverged_at": None,
        "error": None,
        "metric_name": "fid",
        "metric_mode": "min",
        "best_metric": final,
        "best_iteration": 10,
        "final_metric": final,
        "iterations": 10,
        "wall_time_s": 0.1,
        "spec": {
            "experiment": "digits",
            "method": method,
            "lr_rule": "constant",
            "seed": seed,
            "lr_g": 1e-3,
            "lr_d": 1e-3,
            "method_kwargs": {},
        },
    }
    (run_dir / "summary.json").write_text(json.dumps(summary))
    (run_dir / "metrics.csv").write_text(
        "iteration,loss_g,loss_d,grad_norm_g,grad_norm_d,lr_g,lr_d,fid,fid_status,kid,"
        "elapsed_s\n"
        "0,1,1,1,1,0.001,0.001,100,ok,0.1,0.1\n"
        f"10,1,1,1,1,0.001,0.001,{final or 'nan'},ok,0.1,0.2\n"
    )


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_missing_runs_dir_is_one_error_line_and_exit_2(tmp_path):
    proc = run_script(
        "--runs-dir", str(tmp_path / "absent"), "--out-dir", str(tmp_path / "out")
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Invalid runs_dir")
    assert not (tmp_path / "out").exists()


def test_no_runs_found_is_one_error_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "runs" / "digits").mkdir(parents=True)
    code = load_cli().main(
        ["--runs-dir", str(tmp_path / "runs"), "--out-dir", str(tmp_path / "out")]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error:") and "no runs found" in err[0]


def test_bad_options_exit_2(tmp_path, capsys):
    write_summary(tmp_path / "runs", "sgd", "a", 0, "finished", 12.0)
    cli = load_cli()
    assert (
        cli.main(
            [
                "--runs-dir",
                str(tmp_path / "runs"),
                "--out-dir",
                str(tmp_path / "o"),
                "--top-k",
                "0",
            ]
        )
        == 2
    )
    assert "Invalid top_k" in capsys.readouterr().err
    with pytest.raises(
        SystemExit
    ) as exc:  # argparse's own bad-choice exit code is 2 too
        cli.main(["--runs-dir", "x", "--out-dir", "y", "--rank-by", "median"])
    assert exc.value.code == 2


def test_cli_writes_tables_metrics_and_plot_data(tmp_path, capsys):
    runs, sel = tmp_path / "runs", tmp_path / "selection"
    for setting, final in (("a", 12.0), ("b", 9.0)):
        write_summary(runs, "sgd", setting, 0, "finished", final)
    write_summary(runs, "sgd", "c", 0, "diverged", None)
    write_summary(runs, "sgd", "b", 1, "finished", 11.0)
    sel.mkdir()
    (sel / "digits.json").write_text(
        json.dumps(
            {
                "experiment": "digits",
                "metric": "fid",
                "by": "final",
                "sweep_seeds": [0],
                "seeds": [0, 1],
                "selected": [{"method": "sgd", "lr_rule": "constant", "setting": "b"}],
            }
        )
    )
    out = tmp_path / "results"
    code = load_cli().main(
        [
            "--runs-dir",
            str(runs),
            "--selection-dir",
            str(sel),
            "--out-dir",
            str(out),
            "--top-k",
            "2",
            "--no-plots",
        ]
    )
    assert code == 0, capsys.readouterr().err
    for name in (
        "calibration.md",
        "calibration.csv",
        "claims.md",
        "claims.csv",
        "cg_vs_momentum.md",
        "cg_vs_momentum.csv",
        "summary.md",
        "summary.csv",
        "paper_table.md",
        "paper_table.csv",
        "paper_table.tex",
        "seeds.md",
        "seeds.csv",
        "seeds.tex",
    ):
        assert (out / "tables" / name).stat().st_size > 0
    assert (out / "plots" / "data" / "curves_digits.csv").is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    entry = metrics["digits"]["sgd"]["constant"]
    assert entry["top1"] == 9.0 and entry["topk_mean"] == pytest.approx(10.5)
    assert entry["n_diverged"] == 1 and entry["seed_mean"] == pytest.approx(10.0)
    assert (
        "| sgd | lr grid | 9.00 | 10.50 ± 2.12 | n=3, 1 div, 0 fail |"
        in (out / "tables" / "paper_table.md").read_text()
    )


def configured_study(tmp_path: Path):
    from tests.results.fake_runs import build_configured_study, study_config

    results, config = tmp_path / "results", study_config()
    return results, build_configured_study(results, config), config


def test_study_config_names_the_runs_and_options(tmp_path, capsys):
    results, sel, config = configured_study(tmp_path)
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    outs = []
    for given in (json.dumps(config), str(config_file)):
        out = tmp_path / f"out{len(outs)}"
        code = load_cli().main(
            [
                "--study-config",
                given,
                "--selection-dir",
                str(sel),
                "--results-root",
                str(results),
                "--out-dir",
                str(out),
                "--no-plots",
            ]
        )
        assert code == 0, capsys.readouterr().err
        outs.append(out)
    paper = (outs[0] / "tables" / "paper_table.md").read_text()
    # top_k = 2 comes from the config's aggregate.top_k
    assert "| sgd | lr grid | 9.00 | 10.50 ± 2.12 | n=2, 0 div, 0 fail |" in paper
    assert "90% CI" in (outs[0] / "tables" / "seeds.md").read_text()
    for name in ("paper_table.csv", "seeds.csv", "summary.csv"):
        first = (outs[0] / "tables" / name).read_bytes()
        assert first == (outs[1] / "tables" / name).read_bytes()
    assert json.loads((outs[0] / "metrics.json").read_text())["digits"]["sgd"]


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--top-k", "3"), ("--confidence", "0.8"), ("--rank-by", "best")],
)
def test_a_study_s_options_come_from_its_config_only(tmp_path, capsys, flag, value):
    results, sel, config = configured_study(tmp_path)
    args = ["--study-config", json.dumps(config), "--selection-dir", str(sel)]
    args += ["--results-root", str(results), "--out-dir", str(tmp_path / "o")]
    assert load_cli().main([*args, flag, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: Invalid {flag}:")
    assert not (tmp_path / "o").exists()


def test_unreadable_run_files_are_one_error_line_naming_the_file(tmp_path):
    results, sel, config = configured_study(tmp_path)
    run_dir = next((results / "runs" / "t" / "digits" / "sgd").glob("*/*/seed1"))
    args = [
        "--study-config",
        json.dumps(config),
        "--selection-dir",
        str(sel),
        "--results-root",
        str(results),
        "--out-dir",
        str(tmp_path / "out"),
        "--no-plots",
    ]
    metrics = run_dir / "metrics.csv"
    metrics.write_text(metrics.read_text()[:-3])
    proc = run_script(*args)
    assert proc.returncode == 2
    assert proc.stderr == f"error: {metrics}: truncated (no final newline)\n"
    (run_dir / "summary.json").write_text('{"status": "fini')
    proc = run_script(*args)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1
    summary = run_dir / "summary.json"
    assert lines[0].startswith(f"error: {summary}: unreadable run summary (")
    assert not (tmp_path / "out").exists()


def test_study_config_errors_exit_2(tmp_path, capsys):
    results, sel, config = configured_study(tmp_path)
    cli = load_cli()
    base = ["--results-root", str(results), "--out-dir", str(tmp_path / "o")]
    assert cli.main(["--study-config", json.dumps(config), *base]) == 2
    assert "Invalid --selection-dir: missing" in capsys.readouterr().err
    assert cli.main(["--study-config", "{", "--selection-dir", str(sel), *base]) == 2
    assert capsys.readouterr().err.startswith("error: --study-config: invalid JSON")
    (sel / "digits.json").unlink()
    code = cli.main(
        ["--study-config", json.dumps(config), "--selection-dir", str(sel), *base]
    )
    err = capsys.readouterr().err
    reason = "missing (no selection for this experiment)"
    assert code == 2 and err == f"error: {sel / 'digits.json'}: {reason}\n"
    with pytest.raises(SystemExit) as exc:  # one source of runs, not both
        cli.main(["--study-config", "{}", "--runs-dir", "x", "--out-dir", "y"])
    assert exc.value.code == 2


def test_an_unreadable_calibration_is_one_error_line_naming_it(tmp_path):
    from cggan.study import Study

    results, sel, config = configured_study(tmp_path)
    path = Path(Study(config, results=str(results)).calibration_path("digits"))
    path.parent.mkdir(parents=True)
    path.write_text('{"real_floor": 1.0')
    proc = run_script(
        "--study-config",
        json.dumps(config),
        "--selection-dir",
        str(sel),
        "--results-root",
        str(results),
        "--out-dir",
        str(tmp_path / "out"),
        "--no-plots",
    )
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: unreadable")
    assert not (tmp_path / "out").exists()


def test_the_script_is_thin_and_the_library_call_is_the_cli(tmp_path, capsys):
    from cggan.results.aggregate import cli_aggregate

    text = SCRIPT.read_text()
    assert len(text.splitlines()) <= 60 and text.count("cli_aggregate(") == 1
    # the library function is the command: same exit codes, same error lines
    results, sel, config = configured_study(tmp_path)
    out = tmp_path / "out"
    code = cli_aggregate(
        study_config=json.dumps(config),
        selection_dir=sel,
        results_root=str(results),
        out_dir=out,
        no_plots=True,
    )
    assert code == 0 and (out / "tables" / "paper_table.md").is_file()
    assert capsys.readouterr().out.startswith("aggregate: ")
    assert cli_aggregate(study_config=json.dumps(config), out_dir=out) == 2
    assert capsys.readouterr().err == (
        "error: Invalid --selection-dir: missing (--study-config needs it)\n"
    )
    # ad hoc, without the schema's defaults the library has none of its own
    assert cli_aggregate(runs_dir=tmp_path, out_dir=out) == 2
    assert capsys.readouterr().err.startswith("error: Invalid --runs-dir: no schema")
