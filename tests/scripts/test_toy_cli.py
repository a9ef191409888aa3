"""scripts/toy.py and scripts/toy_report.py: stable interface, errors, exit codes."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import load_script

ROOT = Path(__file__).resolve().parents[2]


def load(name):
    return load_script(ROOT / "scripts" / f"{name}.py", f"_cli_{name}")


toy = load("toy")
toy_report = load("toy_report")


def read(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_cg_paper_run(tmp_path):
    out = tmp_path / "cg.csv"
    assert (
        toy.main(
            [
                "--game",
                "cg_paper",
                "--method",
                "cg_fr",
                "--lr",
                "1e-3",
                "--steps",
                "4",
                "--init=2,-4",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = read(out)
    assert list(rows[0]) == ["step", "theta_0", "omega_0", "dist", "objective"]
    assert [int(r["step"]) for r in rows] == [0, 1, 2, 3, 4]
    assert float(rows[0]["objective"]) == pytest.approx(420.0)
    assert float(rows[0]["dist"]) == pytest.approx(20**0.5)


def test_bilinear_options(tmp_path):
    out = tmp_path / "b.csv"
    assert (
        toy.main(
            [
                "--game",
                "bilinear",
                "--method",
                "pm",
                "--lr-g",
                "0.5",
                "--lr-d",
                "0.5",
                "--gamma",
                "1",
                "--dim",
                "2",
                "--coupling",
                "1",
                "--steps",
                "1",
                "--init",
                "1,2,3,4",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = read(out)
    assert list(rows[0])[:6] == [
        "step",
        "theta_0",
        "theta_1",
        "omega_0",
        "omega_1",
        "dist",
    ]
    # Hand-computed PM step (C = I, γ = 1, η = ½): z_half = (−2, −2, 4, 6),
    # v(z_half) = (4, 6, 2, 2), z' = (−1, −1, 2, 3).
    assert [
        float(rows[1][k]) for k in ("theta_0", "theta_1", "omega_0", "omega_1")
    ] == [-1.0, -1.0, 2.0, 3.0]


def test_scheme_override(tmp_path):
    out = tmp_path / "s.csv"
    assert (
        toy.main(
            [
                "--game",
                "dirac",
                "--method",
                "sgd",
                "--scheme",
                "simultaneous",
                "--lr",
                "0.1",
                "--steps",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert len(read(out)) == 3


def run_cli(module, argv):
    """``main(argv)``'s exit code, also when argparse exits on its own."""
    try:
        return module.main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--method", "nope", "--lr", "0.1"], "Invalid method"),
        (["--method", "sgd", "--lr", "-0.1"], "Invalid lr_g"),
        (["--method", "pm", "--lr", "0.1", "--gamma", "0"], "Invalid gamma"),
        (["--method", "sgd", "--lr", "0.1", "--init", "1,2,3"], "Invalid init"),
        (["--method", "sgd", "--lr", "0.1", "--init", "1,x"], "Invalid init"),
        (["--method", "sgd", "--lr-g", "0.1"], "Invalid lr"),
        (["--method", "sgd", "--lr", "0.1", "--dim", "0"], "Invalid dim"),
        (["--method", "sgd", "--lr", "0.1", "--scheme", "implicit"], "invalid choice"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, capsys, argv, match):
    out = tmp_path / "x.csv"
    code = run_cli(
        toy, ["--game", "bilinear", *argv, "--steps", "3", "--out", str(out)]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and match in err
    assert not out.exists()


def test_subprocess_exit_code_and_help(tmp_path):
    bad = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "toy.py"),
            "--game",
            "cg_paper",
            "--method",
            "sgd",
            "--lr",
            "0.1",
            "--steps",
            "2",
            "--gamma",
            "-1",
            "--out",
            str(tmp_path / "a"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0
    assert bad.stderr.startswith("error: Invalid")
    # --help must not need torch: run it with torch made unimportable.
    code = (
        "import sys; sys.modules['torch'] = None; sys.argv = ['toy', '--help'];"
        f"exec(open({str(ROOT / 'scripts' / 'toy_report.py')!r}).read())"
    )
    for script in ("toy.py", "toy_report.py"):
        code_s = code.replace("toy_report.py", script)
        res = subprocess.run(
            [sys.executable, "-c", code_s],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert res.returncode == 0, res.stderr
        assert "--out" in res.stdout


def test_toy_report_missing_inputs(tmp_path, capsys):
    code = toy_report.main(
        [
            "--toy-dir",
            str(tmp_path / "none"),
            "--out-table",
            str(tmp_path / "t.md"),
            "--out-figure",
            str(tmp_path / "f.png"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: missing toy trajectories") and err.count("\n") == 1


def test_toy_report_writes_table_and_figure(tmp_path, monkeypatch):
    import dataclasses

    import cggan.toy
    import cggan.toy.report

    runs = [
        dataclasses.replace(r, steps=20)
        for r in cggan.toy.default_toy_runs()
        if r.purpose == "theory" or r.method in ("sgd", "adam")
    ]
    for r in runs:
        cggan.toy.write_trajectory_csv(tmp_path / "toy" / r.relpath, r.run())
    monkeypatch.setattr(cggan.toy.report, "default_toy_runs", lambda: runs)
    code = toy_report.main(
        [
            "--toy-dir",
            str(tmp_path / "toy"),
            "--out-table",
            str(tmp_path / "tables" / "toy_theory.md"),
            "--out-figure",
            str(tmp_path / "plots" / "toy.png"),
        ]
    )
    assert code == 0
    assert (tmp_path / "tables" / "toy_theory.md").read_text().count(
        "| bilinear |"
    ) == 5
    assert len(read(tmp_path / "tables" / "toy_theory.csv")) == 6
    assert (tmp_path / "plots" / "toy.png").stat().st_size > 0


SMALL_TOY = {
    "enabled": True,
    "games": [
        {"game": "cg_paper", "steps": 5, "init": [2.0, -4.0],
         "runs": [{"methods": ["sgd", "pm"], "lr": 0.001, "gamma": 0.001}]},
        {"game": "bilinear", "purpose": "theory", "dim": 2, "coupling": 1.0,
         "steps": 20, "init": [1.0, 0.5, 0.25, -0.75],
         "runs": [{"methods": ["sgd"], "scheme": "simultaneous", "lr": "theory"},
                  {"methods": ["omd"], "lr": "theory"}]},
    ],
}  # fmt: skip
SMALL_PATHS = ["cg_paper/sgd.csv", "cg_paper/pm.csv", "bilinear/sgd_simultaneous.csv",
               "bilinear/omd.csv"]  # fmt: skip


def test_toy_config_runs_every_run_and_logs_its_command(tmp_path, capsys):
    import shlex

    out_dir = tmp_path / "toy"
    config = json.dumps(SMALL_TOY)
    assert toy.main(["--toy-config", config, "--out-dir", str(out_dir)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(SMALL_PATHS)
    written = [p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*.csv")]
    assert sorted(written) == sorted(SMALL_PATHS)
    # each logged command writes the same bytes on its own
    for line, relpath in zip(lines, SMALL_PATHS):
        argv = shlex.split(line.split("scripts/toy.py ", 1)[1])
        assert argv[-1] == str(out_dir / relpath)
        argv[-1] = str(tmp_path / "again.csv")
        assert toy.main(argv) == 0
        assert (tmp_path / "again.csv").read_bytes() == (out_dir / relpath).read_bytes()
    assert len(read(out_dir / "bilinear/omd.csv")) == 21


def test_toy_config_from_a_file(tmp_path):
    path = tmp_path / "toy.json"
    path.write_text(json.dumps(SMALL_TOY))
    assert toy.main(["--toy-config", str(path), "--out-dir", str(tmp_path / "t")]) == 0
    assert (tmp_path / "t" / "cg_paper" / "pm.csv").is_file()


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--toy-config", "{}"], "Invalid arguments: --out-dir missing"),
        (["--toy-config", "{}", "--out-dir", "d", "--game", "dirac"],
         "Invalid arguments: --game"),
        (["--game", "dirac", "--method", "sgd", "--lr", "0.1", "--out", "x.csv"],
         "Invalid arguments: --steps missing"),
        (["--game", "dirac", "--method", "sgd", "--lr", "0.1", "--steps", "1",
          "--out", "x.csv", "--out-dir", "d"], "Invalid arguments: --out-dir"),
        ([], "Invalid arguments: --game, --method, --steps, --out missing"),
        (["--toy-config", '{"games": []}', "--out-dir", "d"], "Invalid toy.games: []"),
        (["--toy-config", "{nope", "--out-dir", "d"], "--toy-config: invalid JSON"),
        (["--toy-config", json.dumps({"games": [{"game": "cg_paper", "steps": 1,
            "runs": [{"methods": ["sgd"], "lr": "theory"}]}]}), "--out-dir", "d"],
         "Invalid theory run: cg_paper/sgd"),
    ],
)  # fmt: skip
def test_toy_modes_and_config_errors_one_line_exit_2(tmp_path, capsys, argv, match):
    monkey_cwd = tmp_path / "cwd"
    monkey_cwd.mkdir()
    argv = [a if a not in ("d", "x.csv") else str(monkey_cwd / a) for a in argv]
    assert run_cli(toy, argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and match in err, err
    assert not any(monkey_cwd.iterdir())  # nothing written


def test_toy_report_reads_the_configured_runs(tmp_path):
    config = json.dumps(SMALL_TOY)
    assert toy.main(["--toy-config", config, "--out-dir", str(tmp_path / "toy")]) == 0
    code = toy_report.main(
        [
            "--toy-dir",
            str(tmp_path / "toy"),
            "--toy-config",
            config,
            "--out-table",
            str(tmp_path / "t.md"),
            "--out-figure",
            str(tmp_path / "f.png"),
        ]
    )
    assert code == 0
    rows = read(tmp_path / "t.csv")
    assert [(r["game"], r["method"]) for r in rows] == [
        ("bilinear", "sgd_simultaneous"),
        ("bilinear", "omd"),
    ]
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("script", ["toy.py", "toy_report.py"])
def test_scripts_are_thin(script):
    text = (ROOT / "scripts" / script).read_text()
    assert len(text.splitlines()) <= 60
    assert text.count("return cli_") == 1  # one library call
