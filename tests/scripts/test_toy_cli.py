"""scripts/toy.py and scripts/toy_report.py: the stable interface, errors, exit codes."""

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load(name):
    spec = importlib.util.spec_from_file_location(
        f"_cli_{name}", ROOT / "scripts" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
            [sys.executable, "-c", code_s], capture_output=True, text=True, timeout=60
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

    runs = [
        dataclasses.replace(r, steps=20)
        for r in cggan.toy.default_toy_runs()
        if r.purpose == "theory" or r.method in ("sgd", "adam")
    ]
    for r in runs:
        cggan.toy.write_trajectory_csv(tmp_path / "toy" / r.relpath, r.run())
    monkeypatch.setattr(cggan.toy, "default_toy_runs", lambda: runs)
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
