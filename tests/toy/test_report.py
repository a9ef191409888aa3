"""The toy report: theory table (Markdown, CSV) and the CG-paper figure."""

import csv
import dataclasses
import json
import math

import pytest
import torch

from cggan.toy import default_toy_runs, toy_runs, write_trajectory_csv
from cggan.toy.report import build_report, cli_toy_report

torch.set_num_threads(1)


def test_build_report_on_short_runs(tmp_path):
    runs = [r for r in default_toy_runs() if r.purpose == "theory"]
    runs = [dataclasses.replace(r, steps=30) for r in runs]
    runs += [
        r
        for r in default_toy_runs()
        if r.game == "cg_paper" and r.method in ("sgd", "cg_fr")
    ]
    runs = [dataclasses.replace(r, steps=min(r.steps, 30)) for r in runs]
    for r in runs:
        write_trajectory_csv(tmp_path / "toy" / r.relpath, r.run())
    out = tmp_path / "out"
    rows = build_report(
        tmp_path / "toy",
        out_table_md=out / "t.md",
        out_table_csv=out / "t.csv",
        out_figure=out / "f.png",
        runs=runs,
    )
    assert len(rows) == 6 and all(row["holds"] for row in rows)
    sga = next(
        r for r in rows if r["game"] == "bilinear" and r["method"] == "sgd_simultaneous"
    )
    assert sga["measured_rate"] == pytest.approx(math.sqrt(1 + 0.1**2))  # C = I: exact
    assert (out / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert "| bilinear | pm |" in (out / "t.md").read_text()
    with open(out / "t.csv") as fh:
        assert len(list(csv.DictReader(fh))) == 6
    (tmp_path / "toy" / runs[0].relpath).unlink()
    with pytest.raises(FileNotFoundError, match=runs[0].relpath):
        build_report(
            tmp_path / "toy",
            out_table_md=out / "t.md",
            out_table_csv=out / "t.csv",
            out_figure=out / "f.png",
            runs=runs,
        )


def test_cli_toy_report_takes_the_runs_from_the_toy_config(tmp_path, capsys):
    games = [
        {
            "game": "quadratic",
            "purpose": "theory",
            "dim": 2,
            "coupling": 1.0,
            "steps": 30,
            "runs": [{"methods": ["sgd"], "scheme": "simultaneous", "lr": "theory"}],
        },
        {"game": "cg_paper", "steps": 10, "runs": [{"methods": ["adam"], "lr": 0.01}]},
    ]
    config = json.dumps({"enabled": True, "games": games})
    for r in toy_runs(json.loads(config)):
        write_trajectory_csv(tmp_path / "toy" / r.relpath, r.run())
    out = tmp_path / "out"
    # a .csv --out-table is read as the Markdown path's twin
    code = cli_toy_report(
        toy_dir=tmp_path / "toy",
        out_table=out / "t.csv",
        out_figure=out / "f.png",
        toy_config=config,
    )
    assert code == 0 and capsys.readouterr().err == ""
    assert (out / "t.md").read_text().count("| quadratic | sgd_simultaneous |") == 1
    with open(out / "t.csv") as fh:
        assert [row["method"] for row in csv.DictReader(fh)] == ["sgd_simultaneous"]
    # the default study's files are missing here: one error line, exit 2
    code = cli_toy_report(
        toy_dir=tmp_path / "toy", out_table=out / "d.md", out_figure=out / "d.png"
    )
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: missing toy trajectories")
    assert err.count("\n") == 1 and not (out / "d.md").exists()
    bad = json.dumps({"games": [{**games[1], "runs": [{"methods": ["x"], "lr": 1}]}]})
    code = cli_toy_report(
        toy_dir=tmp_path / "toy",
        out_table=out / "d.md",
        out_figure=out / "d.png",
        toy_config=bad,
    )
    assert code == 2
    assert capsys.readouterr().err.startswith("error: Invalid toy.games[0].runs[0]")
