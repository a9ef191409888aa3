"""Toy runner: games by name, trajectories and CSV, the workflow's run list."""

import csv
import math

import numpy as np
import pytest
import torch

from cggan.methods import METHODS
from cggan.toy import (
    build_game,
    default_toy_runs,
    read_trajectory_csv,
    run_toy,
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
    # C = I₂ (λ = 1): Thm 3 η = 1/(2√2), Thm 4/6 η = γ/(1 + γ²) = ½ at γ = 1,
    # Thm 5 η = 1, Thm 1 on the quadratic game η = 1/(1 + λ_max) = ½.
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
