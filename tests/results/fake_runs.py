"""A hand-made tree of fake run directories (no training) for the results tests."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from tests.study.builders import SCHEMA_DEFAULTS as DEFAULTS
from tests.study.builders import make_config

from cggan.results.aggregate import aggregate
from cggan.results.claims.plan import analysis_plan
from cggan.results.output_files import AggregateResult
from cggan.results.runs.load import find_run_dirs, load_selections
from cggan.study import Study, select_settings, selection_record


def default_plan(**analysis) -> dict:
    """The analysis plan of the schema's defaults, with ``analysis`` overrides and
    ``rank_by`` (the selection's ``by``)."""
    config = json.loads(json.dumps(DEFAULTS))
    rank_by = analysis.pop("rank_by", None)
    config["analysis"].update(analysis)
    if rank_by is not None:
        config["selection"]["by"] = rank_by
    return analysis_plan(config)


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Hand-chosen FIDs of the digits sweep (seed 0): method -> rule -> setting -> final FID,
# "div" = diverged, "fail" = failed.
SWEEP = {
    "adam": {
        "constant": {"a": 30.0, "b": 25.0, "c": "div"},
        "sqrt": {"a": 40.0, "b": 35.5, "c": 50.0},
    },
    "cg_fr": {
        "constant": {"a": 20.0, "b": 22.5, "c": "fail"},
        "sqrt": {"a": 28.0, "b": 26.0, "c": 27.0},
    },
}
# Selected setting and the final FIDs of seeds 1 and 2 (seed 0 is the sweep run).
CONFIRM = {
    ("adam", "constant"): ("b", {1: 27.0, 2: 29.5}),
    ("adam", "sqrt"): ("b", {1: 36.0, 2: 38.0}),
    ("cg_fr", "constant"): ("a", {1: 21.0, 2: "div"}),
    ("cg_fr", "sqrt"): ("b", {1: 25.0, 2: 24.5}),
}
# 2-D mixture (modes covered, higher is better), rule constant, seed 0 only.
MIXTURE = {
    "sgd": {"a": 5.0, "b": 8.0, "c": 7.0},
    "cg_fr": {"a": 6.0, "b": "div", "c": 3.0},
}


def write_run(
    root, experiment, method, rule, setting, seed, value, *, metric="fid", mode="min"
):
    """A fake run at ``root/<experiment>/<method>/<rule>/<setting>/seed<seed>``.

    ``value``: the final metric, ``"div"`` (diverged) or ``"fail"`` (failed); settings
    ``a``, ``b``, ``c`` have lr_g 1e-3, 5e-4, 1e-4.
    """
    run_dir = root / experiment / method / rule / setting / f"seed{seed}"
    lr = {"a": 1e-3, "b": 5e-4, "c": 1e-4}[setting]
    return fill_run(run_dir, value, lr=lr, metric=metric, mode=mode)


def fill_run(
    run_dir: Path,
    value,
    *,
    lr: float,
    metric="fid",
    mode="min",
    method_kwargs: dict | None = None,
    beta: dict | None = None,
    beta_columns: bool = False,
) -> Path:
    """Write summary.json, metrics.csv and samples of a fake run into ``run_dir``.

    ``beta``: the run averages of the β diagnostics (``{"mean_g": ..., ...}``), written
    to summary.json and, per evaluation, as metrics.csv columns; ``beta_columns``
    writes the (empty) columns without values, as the trainer does for non-CG runs.
    """
    experiment, method, rule, _, seed_dir = run_dir.parts[-5:]
    seed = int(seed_dir[len("seed") :])
    run_dir.mkdir(parents=True)
    status = {"div": "diverged", "fail": "failed"}.get(value, "finished")
    final = value if status == "finished" else None
    # best over training: better than final by 1 for finished runs
    best = (
        None
        if status == "failed"
        else (99.0 if final is None else final + (-1.0 if mode == "min" else 1.0))
    )
    summary = {
        "status": status,
        "diverged_at": 150 if status == "diverged" else None,
        "error": "boom" if status == "failed" else None,
        "metric_name": metric,
        "metric_mode": mode,
        "best_metric": best,
        "best_iteration": 100,
        "final_metric": final,
        "iterations": 200,
        "wall_time_s": 1.5,
        "versions": {},
        "git_revision": "abc",
        "spec": {
            "experiment": experiment,
            "method": method,
            "method_kwargs": method_kwargs
            if method_kwargs is not None
            else ({"beta_coeff": 0.5} if method.startswith("cg") else {}),
            "lr_rule": rule,
            "lr_g": lr,
            "lr_d": 2 * lr,
            "seed": seed,
            "dataset": {"name": experiment},
            "eval": {"metric": metric, "every": 100},
        },
    }
    if beta is not None or beta_columns:
        summary["beta"] = beta
    (run_dir / "summary.json").write_text(json.dumps(summary))
    if status != "failed":
        _write_outputs(run_dir, final, lr=lr, metric=metric, seed=seed)
        if beta is not None or beta_columns:
            add_beta_columns(run_dir / "metrics.csv", beta)
    return run_dir


BETA_KEYS = ("mean_g", "mean_d", "capped_g", "capped_d", "zero_g", "zero_d")


def add_beta_columns(path: Path, beta: dict | None) -> None:
    """Append the six β columns to a metrics.csv: ``beta`` at every evaluated row
    (rows without an evaluation and runs without ``beta`` get empty cells)."""
    lines = path.read_text().splitlines()
    out = [lines[0] + "," + ",".join(f"beta_{k}" for k in BETA_KEYS)]
    for line in lines[1:]:
        evaluated = beta is not None and ",," not in line
        cells = [str(beta[k]) if evaluated else "" for k in BETA_KEYS]
        out.append(line + "," + ",".join(cells))
    path.write_text("\n".join(out) + "\n")


def _write_outputs(run_dir: Path, final, *, lr: float, metric: str, seed: int) -> None:
    end = final if final is not None else float("nan")
    cols = "iteration,loss_g,loss_d,grad_norm_g,grad_norm_d,lr_g,lr_d,"
    if metric == "fid":
        rows = [cols + "fid,fid_status,kid,elapsed_s"]
        rows += [
            f"0,1,1,1,1,{lr},{lr},{end + 200},ok,0.1,0.1",
            f"50,1,1,1,1,{lr},{lr},,,,0.2",
        ]
        rows += [
            f"100,1,1,1,1,{lr},{lr},{end + 20},ok,0.1,0.3",
            f"200,1,1,1,1,{lr},{lr},{end},ok,0.1,0.4",
        ]
    else:
        rows = [cols + "modes,high_quality,elapsed_s"]
        rows += [
            f"0,1,1,1,1,{lr},{lr},1,0.1,0.1",
            f"200,1,1,1,1,{lr},{lr},{end},0.8,0.4",
        ]
    (run_dir / "metrics.csv").write_text("\n".join(rows) + "\n")
    image = np.random.default_rng(seed).random((18, 18, 3))
    plt.imsave(run_dir / "samples.png", image)
    if metric == "modes":
        angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
        np.save(
            run_dir / "samples.npy",
            np.c_[np.cos(angles), np.sin(angles)].repeat(20, axis=0),
        )


def build_study(tmp_path: Path) -> tuple[Path, Path]:
    runs, sel = tmp_path / "runs" / "study", tmp_path / "selection" / "study"
    for method, by_rule in SWEEP.items():
        for rule, by_setting in by_rule.items():
            for setting, value in by_setting.items():
                write_run(runs, "digits", method, rule, setting, 0, value)
    selected = []
    for (method, rule), (setting, values) in CONFIRM.items():
        for seed, value in values.items():
            write_run(runs, "digits", method, rule, setting, seed, value)
        selected.append(
            {
                "method": method,
                "lr_rule": rule,
                "setting": setting,
                "value": 0.0,
                "n_candidates": 3,
                "n_diverged": 0,
                "n_failed": 0,
            }
        )
    sel.mkdir(parents=True)
    (sel / "digits.json").write_text(
        json.dumps(
            {
                "experiment": "digits",
                "metric": "fid",
                "by": "final",
                "sweep_seeds": [0],
                "seeds": [0, 1, 2],
                "selected": selected,
                "extra_key": "tolerated",
            }
        )
    )
    for method, by_setting in MIXTURE.items():
        for setting, value in by_setting.items():
            write_run(
                runs,
                "ring8",
                method,
                "constant",
                setting,
                0,
                value,
                metric="modes",
                mode="max",
            )
    # no selection file for ring8: it is selected by the aggregation itself
    return runs, sel


def aggregate_dir(
    runs: Path,
    sel: Path | None,
    out: Path,
    *,
    rank_by: str | None = None,
    plan: dict | None = None,
    **kw,
) -> AggregateResult:
    """``aggregate`` over every run found under ``runs`` (the former directory API),
    with the schema's defaults for the options not given."""
    options = {**DEFAULTS["aggregate"], **kw}
    plan = (
        plan
        if plan is not None
        else default_plan(**({"rank_by": rank_by} if rank_by else {}))
    )
    return aggregate(
        find_run_dirs(runs), load_selections(sel), out, plan=plan, **options
    )


def row(table: pd.DataFrame, experiment: str, method: str, rule: str) -> pd.Series:
    hit = table[
        (table["experiment"] == experiment)
        & (table["method"] == method)
        & (table["lr_rule"] == rule)
    ]
    assert len(hit) == 1
    return hit.iloc[0]


def finite(values):
    return [v for v in values if isinstance(v, float)]


# --- a configured study (cggan.study.Study): runs where the config names them ---
#: Final FID per (method, lr_g) of the sweep at seed 0; other seeds add 1 per seed.
#: momentum (both values) is the matched control a study running CG must sweep.
STUDY_SWEEP = {("sgd", 1e-3): 12.0, ("sgd", 5e-4): 9.0, ("momentum", 1e-3): 15.0,
               ("momentum", 5e-4): 14.0, ("cg_fr", 1e-3): 20.0,
               ("cg_fr", 5e-4): "div"}  # fmt: skip


def study_config(**overrides) -> dict:
    """A tiny schema-complete study: digits, sgd, momentum (CG's cap 0.25 and 0.9) and
    cg_fr, two lr_g, sweep seed 0, fresh confirmation seeds 1-2 (the study tests'
    digits experiment, :func:`tests.study.builders.make_config`)."""
    config = make_config(
        experiments={"digits": make_config()["experiments"]["digits"]},
        methods={
            "sgd": {},
            "momentum": {"momentum": [0.25, 0.9]},
            "cg_fr": {"beta_coeff": [0.5]},
        },
        lr_rules={"constant": {"lr_d": [1e-3], "lr_g": [1e-3, 5e-4], "kwargs": {}}},
        seeds=[1, 2],
        aggregate={"top_k": 2, "confidence": 0.9},
    )
    config.update(overrides)
    return config


def _study_value(spec: dict):
    return STUDY_SWEEP[(spec["method"], spec["lr_g"])]


def build_configured_study(
    results: Path, config: dict, value_of=_study_value, beta_of=None
) -> Path:
    """Train nothing: write the sweep, the workflow's selection file, the confirmation.

    Args:
        value_of: a sweep run's spec -> its final metric (or "div"/"fail").
        beta_of: a run's spec -> its β run averages (None: a non-CG run, empty β
            columns); None (the default) writes runs without any β (older runs).

    Returns:
        The selection directory.
    """
    study = Study(config, results=str(results))

    def fill(run_dir: Path, value, spec: dict) -> None:
        beta = beta_of(spec) if beta_of else None
        fill_run(
            run_dir,
            value,
            lr=spec["lr_g"],
            method_kwargs=spec["method_kwargs"],
            beta=beta,
            beta_columns=beta_of is not None,
        )

    records = []
    for run_dir in map(Path, study.sweep_run_dirs()):
        spec = study.run_spec(*run_dir.parts[-5:-1], 0)
        fill(run_dir, value_of(spec), spec)
        summary = json.loads((run_dir / "summary.json").read_text())
        records.append(
            {
                "method": spec["method"],
                "lr_rule": spec["lr_rule"],
                "setting": run_dir.parts[-2],
                "summary": summary,
            }
        )
    groups = select_settings(records, by="final", direction="min")
    selection = selection_record(
        study=study.name,
        experiment="digits",
        metric="fid",
        groups=groups,
        by="final",
        direction="min",
        sweep_seeds=[0],
        seeds=study.seeds,
    )
    sel_dir = results / "selection" / study.name
    sel_dir.mkdir(parents=True)
    (sel_dir / "digits.json").write_text(json.dumps(selection))
    for run_dir in map(Path, study.confirmation_run_dirs(selection)):
        if not run_dir.exists():
            spec = json.loads((run_dir.parent / "seed0" / "summary.json").read_text())
            value = spec["final_metric"] + int(run_dir.name[len("seed") :])
            fill(run_dir, value, study.run_spec_of(run_dir))
    return sel_dir


# --- equal pools: methods that sweep a hyperparameter besides the learning rates ---
#: Final FID at seed 0 per (method, hyperparameter value, lr_g); seed k adds k.
POOL_SWEEP = {
    ("sgd", None, 1e-3): 12.0, ("sgd", None, 5e-4): 9.0,
    ("momentum", 0.25, 1e-3): 11.0, ("momentum", 0.25, 5e-4): 10.0,
    ("momentum", 0.5, 1e-3): 13.0, ("momentum", 0.5, 5e-4): 12.5,
    ("momentum", 0.9, 1e-3): 30.0, ("momentum", 0.9, 5e-4): "div",
    ("cg_fr", 0.5, 1e-3): 8.0, ("cg_fr", 0.5, 5e-4): 7.5,
    ("cg_fr", 1.0, 1e-3): 20.0, ("cg_fr", 1.0, 5e-4): 6.0,
}  # fmt: skip
#: β run averages of cg_fr by beta_coeff (the cap c·β_max is reached more often at 1).
POOL_BETA = {
    0.5: {"mean_g": 0.25, "mean_d": 0.2, "capped_g": 0.9, "capped_d": 0.5,
          "zero_g": 0.0, "zero_d": 0.1},
    1.0: {"mean_g": 0.5, "mean_d": 0.44, "capped_g": 0.99, "capped_d": 0.88,
          "zero_g": 0.0, "zero_d": 0.02},
}  # fmt: skip


def pool_config(**overrides) -> dict:
    """sgd (no hyperparameter), momentum (0.25, 0.5, 0.9: CG's caps and the baseline)
    and cg_fr (β coeff 0.5, 1.0); fresh confirmation seeds 1-3."""
    methods = {
        "sgd": {},
        "momentum": {"momentum": [0.25, 0.5, 0.9]},
        "cg_fr": {"beta_coeff": [0.5, 1.0]},
    }
    return study_config(**{"methods": methods, "seeds": [1, 2, 3], **overrides})


def pool_value(spec: dict):
    kwargs = spec["method_kwargs"]
    value = next(iter(kwargs.values()), None)
    return POOL_SWEEP[(spec["method"], value, spec["lr_g"])]


def pool_beta(spec: dict) -> dict | None:
    if spec["method"] != "cg_fr":
        return None
    return POOL_BETA[spec["method_kwargs"]["beta_coeff"]]


def build_pool_study(results: Path, config: dict | None = None, beta: bool = True):
    """``(selection_dir, config)`` of the pool study, with β diagnostics if ``beta``."""
    config = config or pool_config()
    beta_of = pool_beta if beta else None
    return build_configured_study(results, config, pool_value, beta_of), config
