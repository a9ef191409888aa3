"""Toy runner: games by name, trajectories and CSV, the run list of the toy: config."""

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from cggan.methods import METHODS
from cggan.toy import (
    DEFAULT_TOY_GAMES,
    build_game,
    default_toy_runs,
    read_toy_config,
    read_trajectory_csv,
    run_toy,
    toy_relpaths,
    toy_runs,
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


# --------------------------------------------------------------------------- the config

REPO = Path(__file__).resolve().parents[1]


def _theory_game(**extra):
    game = {
        "game": "bilinear",
        "purpose": "theory",
        "dim": 2,
        "coupling": 1.0,
        "steps": 5,
        "init": [1.0, 0.5, 0.25, -0.75],
    }
    return {**game, **extra}


def test_default_toy_games_are_the_schema_default_and_the_configs():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    assert schema["properties"]["toy"]["properties"]["games"]["default"] == (
        DEFAULT_TOY_GAMES
    )
    # config.yaml and paper.yaml state the default study; ci.yaml takes the default
    for name in ("config.yaml", "paper.yaml"):
        toy = yaml.safe_load((REPO / "config" / name).read_text())["toy"]
        assert toy["enabled"] and toy["games"] == DEFAULT_TOY_GAMES, name
    ci = yaml.safe_load((REPO / "config/ci.yaml").read_text())["toy"]
    assert ci == {"enabled": True}
    assert default_toy_runs() == toy_runs({"enabled": True})


def test_toy_runs_from_a_config():
    config = {
        "enabled": True,
        "games": [
            {
                "game": "dirac",
                "steps": 3,
                "runs": [
                    {"methods": ["pm", "sgd"], "lr": 0.2, "gamma": 0.5},
                    {"methods": ["sgd"], "lr": 0.1, "scheme": "simultaneous"},
                ],
            },
            _theory_game(
                runs=[{"methods": ["pm", "omd"], "lr": "theory", "gamma": 1.0}]
            ),
        ],
    }
    runs = toy_runs(config)
    assert [r.relpath for r in runs] == [
        "dirac/pm.csv",
        "dirac/sgd.csv",
        "dirac/sgd_simultaneous.csv",
        "bilinear/pm.csv",
        "bilinear/omd.csv",
    ]
    assert toy_relpaths(config) == [r.relpath for r in runs]
    pm, sgd = runs[0], runs[1]
    assert (pm.lr_g, pm.lr_d, pm.gamma, pm.init, pm.purpose) == (
        0.2,
        0.2,
        0.5,
        None,
        "figure",
    )
    assert sgd.gamma is None  # sgd takes no γ: the group's γ is not passed to it
    assert runs[2].scheme == "simultaneous"
    assert runs[3].lr_g == pytest.approx(0.5) and runs[3].purpose == "theory"
    assert runs[4].lr_g == pytest.approx(1 / (2 * math.sqrt(2)))
    assert runs[4].gamma is None
    assert runs[3].init == (1.0, 0.5, 0.25, -0.75) and runs[3].dim == 2
    assert "--init" not in " ".join(pm.cli_args("x.csv"))  # the game's own start
    assert pm.run().steps == 3


@pytest.mark.parametrize(
    "games, match",
    [
        ([], r"Invalid toy\.games: \[\]"),
        ([{"game": "saddle", "steps": 1, "runs": [{"methods": ["sgd"], "lr": 0.1}]}],
         r"Invalid toy\.games\[0\]\.game: 'saddle' \(allowed: bilinear"),
        ([{"game": "dirac", "runs": [{"methods": ["sgd"], "lr": 0.1}]}],
         r"Invalid toy\.games\[0\]\.steps: missing"),
        ([{"game": "dirac", "steps": 1, "runs": [{"methods": ["sgd"], "lr": 0.1}],
           "seed": 1}], r"Invalid toy\.games\[0\]\.seed"),
        ([{"game": "dirac", "steps": -1, "runs": [{"methods": ["sgd"], "lr": 0.1}]}],
         r"Invalid toy\.games\[0\]\.steps: -1"),
        ([{"game": "cg_paper", "dim": 2, "steps": 1,
           "runs": [{"methods": ["sgd"], "lr": 0.1}]}],
         r"Invalid toy\.games\[0\]\.dim: 2 \(allowed: only bilinear, quadratic\)"),
        ([_theory_game(init=[1.0, 2.0], runs=[{"methods": ["sgd"], "lr": 0.1}])],
         r"Invalid toy\.games\[0\]\.init: \[1\.0, 2\.0\] \(allowed: 4 finite"),
        ([_theory_game(runs=[])], r"Invalid toy\.games\[0\]\.runs: \[\]"),
        ([_theory_game(runs=[{"methods": ["nope"], "lr": 0.1}])],
         r"Invalid toy\.games\[0\]\.runs\[0\]\.methods: 'nope'"),
        ([_theory_game(runs=[{"methods": "sgd", "lr": 0.1}])],
         r"Invalid toy\.games\[0\]\.runs\[0\]\.methods: 'sgd'"),
        ([_theory_game(runs=[{"methods": ["sgd"], "lr": 0.0}])],
         r"Invalid toy\.games\[0\]\.runs\[0\]\.lr: 0\.0"),
        ([_theory_game(runs=[{"methods": ["sgd"], "lr": "1e-3"}])],
         r"Invalid toy\.games\[0\]\.runs\[0\]\.lr: '1e-3'"),
        ([_theory_game(runs=[{"methods": ["sgd"]}])],
         r"Invalid toy\.games\[0\]\.runs\[0\]\.lr: missing"),
        ([_theory_game(runs=[{"methods": ["pm"], "lr": 0.1, "gamma": -1}])],
         r"Invalid toy\.games\[0\]\.runs\[0\]\.gamma: -1"),
        ([_theory_game(runs=[{"methods": ["sgd"], "lr": 0.1, "scheme": "implicit"}])],
         r"Invalid toy\.games\[0\]\.runs\[0\]\.scheme: 'implicit'"),
        ([_theory_game(runs=[{"methods": ["sgd"], "lr": 0.1},
                             {"methods": ["sgd"], "lr": 0.2}])],
         r"Invalid toy\.games: 'bilinear/sgd\.csv' \(allowed: one run per output"),
    ],
)  # fmt: skip
def test_bad_toy_config_is_one_line_naming_the_key(games, match):
    with pytest.raises(ValueError, match=match) as err:
        toy_relpaths({"enabled": True, "games": games})
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match=match):
        toy_runs({"games": games})


def test_theory_lr_needs_a_theorem_and_unknown_keys_are_refused():
    games = [
        {"game": "cg_paper", "steps": 1, "runs": [{"methods": ["sgd"], "lr": "theory"}]}
    ]
    assert toy_relpaths({"games": games}) == ["cg_paper/sgd.csv"]  # planning: no lr
    with pytest.raises(ValueError, match="Invalid theory run: cg_paper/sgd"):
        toy_runs({"games": games})
    with pytest.raises(ValueError, match=r"Invalid toy\.runs"):
        toy_relpaths({"enabled": True, "runs": []})


def test_read_toy_config(tmp_path):
    assert read_toy_config('{"enabled": false}') == {"enabled": False}
    path = tmp_path / "toy.json"
    path.write_text(json.dumps({"games": DEFAULT_TOY_GAMES}))
    assert read_toy_config(str(path)) == {"games": DEFAULT_TOY_GAMES}
    # text not starting with "{" is a path
    for bad, match in (
        (str(tmp_path / "none.json"), f"^{tmp_path}/none.json: unreadable"),
        ("{nope", "^--toy-config: invalid JSON"),
        ("[1]", r"^\[1\]: unreadable"),
    ):
        with pytest.raises(ValueError, match=match):
            read_toy_config(bad)
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match=f"^{path}: not a JSON object"):
        read_toy_config(str(path))


def test_planning_the_toy_study_does_not_import_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from cggan.toy import toy_relpaths\n"
        "print(len(toy_relpaths({'enabled': True})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert out.stdout.strip() == "30"


def test_toy_rules_are_shell_only():
    text = (REPO / "workflow/rules/toy.smk").read_text()
    assert "run:" not in text and text.count("shell:") == 2
    assert "--toy-config {params.toy:q}" in text
    assert "--out-dir {params.toy_dir:q}" in text
