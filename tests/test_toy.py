"""Toy runner: games by name, trajectories and CSV, the workflow's run list, the report."""

import csv
import dataclasses
import math

import numpy as np
import pytest
import torch

from cggan.methods import METHODS
from cggan.toy import (
    build_game,
    build_report,
    default_toy_runs,
    measured_rate,
    one_step_operator,
    read_trajectory_csv,
    run_toy,
    theory_bounds,
    theory_step_size,
    write_trajectory_csv,
)

torch.set_num_threads(1)


@pytest.mark.parametrize(
    "name, kw, match",
    [
        ("saddle", {}, "Invalid game"),
        ("bilinear", {"dim": 2, "init": [1.0, 2.0, 3.0]}, "Invalid init"),
        ("bilinear", {"dim": 0}, "Invalid dim"),
        ("cg_paper", {"dim": 2}, "Invalid dim"),
        ("dirac", {"coupling": 2.0}, "Invalid coupling"),
        ("cg_paper", {"init": [1.0]}, "Invalid init"),
    ],
)
def test_build_game_rejects_bad_input(name, kw, match):
    with pytest.raises(ValueError, match=match):
        build_game(name, **kw)


def test_build_game_defaults():
    assert build_game("cg_paper").point().tolist() == [2.0, -4.0]
    assert build_game("dirac").point().tolist() == [1.0, 1.0]
    game = build_game("quadratic", dim=2, coupling=3.0, init=[1, 2, 3, 4])
    assert game.C.tolist() == [[3.0, 0.0], [0.0, 3.0]]
    assert game.point().tolist() == [1.0, 2.0, 3.0, 4.0]


def test_run_toy_rows_and_csv_round_trip(tmp_path):
    traj = run_toy(
        "bilinear",
        "sgd",
        lr_g=0.1,
        lr_d=0.1,
        steps=5,
        scheme="simultaneous",
        dim=2,
        init=[1.0, 0.0, 0.0, 2.0],
    )
    assert traj.theta.shape == (6, 2) and traj.omega.shape == (6, 2)
    # Step 1 by hand: θ' = θ − ηω, ω' = ω + ηθ (C = I).
    np.testing.assert_allclose(traj.theta[1], [1.0, -0.2])
    np.testing.assert_allclose(traj.omega[1], [0.1, 2.0])
    np.testing.assert_allclose(
        traj.dist, np.linalg.norm(np.hstack([traj.theta, traj.omega]), axis=1)
    )
    np.testing.assert_allclose(traj.objective, np.sum(traj.theta * traj.omega, axis=1))
    path = tmp_path / "t.csv"
    write_trajectory_csv(path, traj)
    with open(path) as fh:
        header = next(csv.reader(fh))
    assert header == [
        "step",
        "theta_0",
        "theta_1",
        "omega_0",
        "omega_1",
        "dist",
        "objective",
    ]
    back = read_trajectory_csv(path)
    np.testing.assert_array_equal(back.theta, traj.theta)  # repr keeps every bit
    np.testing.assert_array_equal(back.dist, traj.dist)


def test_run_toy_stops_on_divergence():
    traj = run_toy(
        "cg_paper", "sgd", lr_g=1.0, lr_d=1.0, steps=50, scheme="simultaneous"
    )
    assert traj.stopped_at is not None
    assert np.isnan(traj.dist[-1]) and traj.dist.shape == (51,)


def test_run_toy_rejects_bad_steps():
    with pytest.raises(ValueError, match="Invalid steps"):
        run_toy("dirac", "sgd", lr_g=0.1, lr_d=0.1, steps=-1)


def test_default_runs_cover_every_method_with_one_lr():
    runs = default_toy_runs()
    figure = [r for r in runs if r.game == "cg_paper"]
    assert sorted(r.method for r in figure) == sorted(METHODS)
    assert {(r.lr_g, r.lr_d) for r in figure} == {(1e-3, 1e-3)}
    assert {r.init for r in figure} == {(2.0, -4.0)}
    assert len({r.relpath for r in runs}) == len(runs)
    theory = {(r.game, r.method): r for r in runs if r.purpose == "theory"}
    assert set(theory) == {
        ("bilinear", m) for m in ("sgd", "omd", "pm", "co", "iu")
    } | {("quadratic", "sgd")}
    # C = I₂ (λ = 1): Thm 3 η = 1/(2√2), Thm 4/6 η = γ/(1 + γ²) = ½ at γ = 1, Thm 5 η = 1,
    # Thm 1 on the quadratic game η = 1/(1 + λ_max) = ½.
    assert theory["bilinear", "omd"].lr_g == pytest.approx(1 / (2 * math.sqrt(2)))
    assert theory["bilinear", "pm"].lr_g == pytest.approx(0.5)
    assert theory["bilinear", "co"].lr_g == pytest.approx(0.5)
    assert theory["bilinear", "iu"].lr_g == pytest.approx(1.0)
    assert theory["quadratic", "sgd"].lr_g == pytest.approx(0.5)
    assert theory["bilinear", "sgd"].scheme == "simultaneous"


def test_cli_args_round_trip():
    run = next(
        r for r in default_toy_runs() if r.game == "cg_paper" and r.method == "pm"
    )
    args = run.cli_args("out.csv")
    assert args[:4] == ["--game", "cg_paper", "--method", "pm"]
    assert "--init=2.0,-4.0" in args and args[-2:] == ["--out", "out.csv"]
    assert float(args[args.index("--gamma") + 1]) == run.gamma


def test_measured_rate_is_geometric_mean():
    assert measured_rate(3.0 * 0.5 ** np.arange(10)) == pytest.approx(0.5)
    assert measured_rate(np.array([1.0, 4.0, 1.0])) == pytest.approx(1.0)
    assert measured_rate(np.array([1.0, 0.5, np.nan, np.nan])) == pytest.approx(0.5)


def test_theory_step_sizes_and_bounds_from_formulas():
    C = np.diag([1.0, 2.0])  # λ_min = 1, λ_max = 4, κ = 4
    assert theory_step_size("bilinear", "omd", C) == pytest.approx(
        1 / (2 * math.sqrt(8))
    )
    assert theory_step_size("bilinear", "pm", C, gamma=1.0) == pytest.approx(
        1 / (4 + 16)
    )
    assert theory_step_size("bilinear", "iu", C) == pytest.approx(0.5)
    assert theory_bounds("bilinear", "iu", C, 0.5)[1] == pytest.approx(
        1 - (1 - 2**-0.5) / 4
    )
    lower, upper, _ = theory_bounds("quadratic", "sgd", C, 0.2)
    assert lower == pytest.approx(math.sqrt(1 / 2)) and upper == pytest.approx(
        math.sqrt(4 / 5)
    )
    with pytest.raises(ValueError, match="Invalid theory run"):
        theory_step_size("cg_paper", "sgd", C)


@pytest.mark.parametrize(
    "method, gamma", [("sgd", None), ("pm", 0.5), ("co", 0.5), ("iu", None)]
)
def test_one_step_operator_matches_the_scheme(method, gamma):
    z0 = [0.3, -1.0, 0.5, 0.7]
    scheme = "simultaneous" if method == "sgd" else None
    traj = run_toy(
        "bilinear",
        method,
        lr_g=0.2,
        lr_d=0.2,
        steps=1,
        dim=2,
        coupling=1.5,
        init=z0,
        scheme=scheme,
        gamma=gamma,
    )
    op = one_step_operator("bilinear", method, 1.5 * np.eye(2), 0.2, gamma)
    np.testing.assert_allclose(
        np.hstack([traj.theta[1], traj.omega[1]]), op @ z0, rtol=1e-12
    )


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
