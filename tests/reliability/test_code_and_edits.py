"""A result knows its code, and nothing hand-edited is trusted (issue 17, items 2, 3).

Workflow level (slow): a copy of the session's finished ci study (tests/conftest.py)
with its own ``src/`` first on ``PYTHONPATH``, so that an edit of the copy's
``src/cggan/optim/cg.py`` is the code the planning sees. Unit level (fast): the
summary check and the stale-run policy on hand-made run directories.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cggan.fingerprint import code_fingerprint
from cggan.io import sha256_file
from cggan.study import existing_runs as er
from pipeline.conftest import SNAKEMAKE, copy_repo, env, nothing_to_do

STALE = "were made by other training code"


def _copy_study(ci_study, dst: Path) -> Path:
    src, _ = ci_study
    root = copy_repo(dst, with_src=True)
    shutil.copytree(src / "results", root / "results", symlinks=True)
    shutil.copytree(src / ".snakemake", root / ".snakemake", symlinks=True)
    return root


def _snakemake(root: Path, *args: str) -> subprocess.CompletedProcess:
    e = env()
    e["PYTHONPATH"] = str(root / "src")  # the copy's code, not the venv's editable one
    proc = subprocess.run(
        [SNAKEMAKE, *args, "--configfile", "config/ci.yaml"],
        cwd=root,
        env=e,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (args, proc.stderr[-3000:])
    return proc


def _plan(root: Path) -> subprocess.CompletedProcess:
    return _snakemake(root, "-n")


def _jobs(proc, rule: str) -> int:
    """How many jobs of `rule` a dry run lists."""
    return sum(
        1
        for line in (proc.stdout + proc.stderr).splitlines()
        if line.split(" ", 1)[-1].startswith(f"{rule}:")
        and line.split(" ", 1)[0]
        in ("rule", "localrule", "checkpoint", "localcheckpoint")
    )


def _train_jobs(proc) -> int:
    return sum(_jobs(proc, rule) for rule in ("train", "train_seeds", "train_chunk"))


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under results/, by path: names and bytes."""
    results = root / "results"
    return {
        str(p.relative_to(results)): p.read_bytes()
        for p in sorted(results.rglob("*"))
        if p.is_file()
    }


def _edit_selection(root: Path) -> Path:
    """Pin ring8's first selected setting by hand to another setting of its pool."""
    path = root / "results/selection/ci/ring8.json"
    record = json.loads(path.read_text())
    chosen = record["selected"][0]
    pool = root / "results/runs/ci/ring8" / chosen["method"] / chosen["lr_rule"]
    others = sorted(p.name for p in pool.iterdir() if p.name != chosen["setting"])
    assert others, "the ci study's ring8 pools have more than one setting"
    chosen["setting"] = others[0]
    path.write_text(json.dumps(record))
    return path


def _confirmation_summary(root: Path) -> Path:
    """A finished confirmation run (seed 1) with a metric."""
    return next(
        p
        for p in sorted((root / "results/runs/ci").rglob("seed1/summary.json"))
        if json.loads(p.read_text())["final_metric"] is not None
    )


PLANNING = (
    ["-n"],
    ["--rulegraph"],
    ["--dag"],
    ["--summary"],
    ["--lint"],
    ["--unlock"],
    ["--list-changes", "params"],
)


@pytest.mark.slow
def test_planning_changes_nothing_and_a_revert_plans_nothing(ci_study, tmp_path):
    """Issue 25, item 1: with a truncated summary, a hand-edited selection and a
    semantic edit of the training code present, every planning command leaves the
    results tree byte-identical; reverting the edits plans nothing."""
    root = _copy_study(ci_study, tmp_path / "repo")
    assert nothing_to_do(_plan(root))
    summary = _confirmation_summary(root)
    summary_bytes = summary.read_bytes()
    summary.write_bytes(summary_bytes[:120])
    selection_bytes = (root / "results/selection/ci/ring8.json").read_bytes()
    selection = _edit_selection(root)
    cg = root / "src/cggan/optim/cg.py"
    code = cg.read_text()
    cg.write_text(code + "\n_SEMANTIC_EDIT = 1\n")
    before = _tree(root)

    for args in PLANNING:
        proc = subprocess.run(
            [SNAKEMAKE, *args, "--configfile", "config/ci.yaml"],
            cwd=root,
            env={**env(), "PYTHONPATH": str(root / "src")},
            capture_output=True,
            text=True,
            timeout=600,
        )
        # --lint exits 1 for its two documented warnings (see the Snakefile)
        assert proc.returncode in ((0, 1) if "--lint" in args else (0,)), proc.stderr
        assert _tree(root) == before, f"snakemake {' '.join(args)} changed results/"

    plan = _plan(root)
    assert _jobs(plan, "set_aside") >= 1 and STALE in plan.stderr
    cg.write_text(code)  # the code edit reverted: no run is stale any more
    assert STALE not in _plan(root).stderr
    summary.write_bytes(summary_bytes)
    selection.write_bytes(selection_bytes)
    assert nothing_to_do(_plan(root))
    assert _tree(root) == _tree(ci_study[0])


@pytest.mark.slow
def test_a_semantic_edit_of_cg_makes_the_runs_stale_a_comment_does_not(
    ci_study, tmp_path
):
    root = _copy_study(ci_study, tmp_path / "repo")
    runs = sorted((root / "results/runs/ci").rglob("summary.json"))
    assert runs
    cg = root / "src/cggan/optim/cg.py"
    text = cg.read_text()

    cg.write_text(
        "# a comment-only edit\n" + text.replace("\n\n\n", "\n\n\n# note\n", 1)
    )
    comment = _plan(root)
    assert STALE not in comment.stderr, comment.stderr[-2000:]
    assert nothing_to_do(comment), comment.stdout[-2000:]

    cg.write_text(text + "\n_SEMANTIC_EDIT = 1\n")
    before = _tree(root)
    edited = _plan(root)
    lines = [line for line in edited.stderr.splitlines() if STALE in line]
    assert len(lines) == 1, edited.stderr[-3000:]
    assert "study 'ci'" in lines[0] and "(changed: cggan.optim.cg)" in lines[0]
    assert f"{len(runs)} of {len(runs)} run(s)" in lines[0]
    assert "set aside as *.stale, then trained again" in lines[0]
    # every run is planned to be set aside (a job each), and runs are retrained; the
    # dry run moved nothing
    assert _jobs(edited, "set_aside") == len(runs), edited.stdout[-3000:]
    assert _train_jobs(edited) >= 1
    assert _tree(root) == before

    # stale_runs: keep keeps them and trains nothing
    config = root / "config/ci.yaml"
    config.write_text(config.read_text() + "\nstale_runs: keep\n")
    kept = _plan(root)
    lines = [line for line in kept.stderr.splitlines() if STALE in line]
    assert len(lines) == 1 and "kept (stale_runs: keep)" in lines[0], kept.stderr
    assert _train_jobs(kept) == 0 and _jobs(kept, "set_aside") == 0


@pytest.mark.slow
def test_a_stale_run_is_set_aside_and_trained_again_by_a_real_run(ci_study, tmp_path):
    """A run without a code fingerprint is stale: a real run sets its summary and
    checkpoints aside and trains it from scratch; the same seed gives the same
    numbers; the next planning plans nothing."""
    root = _copy_study(ci_study, tmp_path / "repo")
    summary = _confirmation_summary(root)
    record = json.loads(summary.read_text())
    del record["code"]
    summary.write_text(json.dumps(record))
    digest = sha256_file(summary)[:12]
    metrics = (summary.parent / "metrics.csv").read_text()
    _snakemake(root, "--cores", "2")
    for name in er.STALE_FILES:
        assert (summary.parent / f"{name}.{digest}.stale").is_file(), name
    retrained = json.loads(summary.read_text())
    assert retrained["code"] == code_fingerprint()
    assert retrained["final_metric"] == record["final_metric"]
    assert _without_elapsed((summary.parent / "metrics.csv").read_text()) == (
        _without_elapsed(metrics)
    )
    assert nothing_to_do(_plan(root))


def _without_elapsed(csv_text: str) -> list[list[str]]:
    rows = [line.split(",") for line in csv_text.splitlines()]
    drop = [i for i, name in enumerate(rows[0]) if "elapsed" in name]
    return [[c for i, c in enumerate(row) if i not in drop] for row in rows]


@pytest.mark.slow
def test_an_edited_summary_number_is_reported_and_retrained(ci_study, tmp_path):
    root = _copy_study(ci_study, tmp_path / "repo")
    summary = _confirmation_summary(root)
    original = json.loads(summary.read_text())
    record = dict(original)
    better = -1.0 if record["metric_mode"] == "min" else 1e6  # would win a table
    record["final_metric"] = better
    summary.write_text(json.dumps(record))
    before = _tree(root)
    plan = _plan(root)
    lines = [line for line in plan.stderr.splitlines() if "final_metric" in line]
    assert len(lines) == 1, plan.stderr[-3000:]
    assert str(summary.relative_to(root)) in lines[0] and "trained again" in lines[0]
    assert _jobs(plan, "set_aside") == 1 and _train_jobs(plan) >= 1
    assert _tree(root) == before

    _snakemake(root, "--cores", "2")  # resumed from its checkpoint: same numbers
    assert json.loads(summary.read_text())["final_metric"] == original["final_metric"]
    (aside,) = summary.parent.glob("summary.json.*.unreadable")
    assert json.loads(aside.read_text())["final_metric"] == better
    assert nothing_to_do(_plan(root))


@pytest.mark.slow
def test_a_hand_edited_selection_is_set_aside_and_redone(ci_study, tmp_path):
    """A selection file pinned by hand to a setting that is not the best: the next
    planning names it in one line and plans the selection again; a real run sets it
    aside and redoes the selection the runs make."""
    root = _copy_study(ci_study, tmp_path / "repo")
    assert nothing_to_do(_plan(root))
    original = (root / "results/selection/ci/ring8.json").read_bytes()
    path = _edit_selection(root)
    plan = _plan(root)
    lines = [ln for ln in plan.stderr.splitlines() if "not the selection" in ln]
    assert len(lines) == 1 and "ring8.json" in lines[0], plan.stderr[-3000:]
    assert path.is_file()  # named, not moved, by planning
    assert _jobs(plan, "set_aside") == 1 and _jobs(plan, "select_settings") == 1

    _snakemake(root, "--cores", "2")
    assert path.read_bytes() == original
    assert len(list(path.parent.glob("ring8.json.*.edited"))) == 1
    assert nothing_to_do(_plan(root))


# --- unit level (fast) ----------------------------------------------------------------
def _run(tmp_path: Path, rows: str, **summary) -> Path:
    run = tmp_path / "run"
    run.mkdir(parents=True, exist_ok=True)
    (run / "metrics.csv").write_text("iteration,loss_g,fid\n" + rows)
    record = {
        "status": "finished",
        "metric_name": "fid",
        "metric_mode": "min",
        "files": {"metrics.csv": sha256_file(run / "metrics.csv")},
        "code": code_fingerprint(),
    }
    record.update(summary)
    (run / "summary.json").write_text(json.dumps(record))
    return run / "summary.json"


def test_summary_numbers_are_the_ones_of_metrics_csv(tmp_path):
    rows = "0,1.0,50.0\n50,1.0,\n100,1.0,12.25\n200,1.0,nan\n300,1.0,20.5\n"
    true = {"final_metric": 20.5, "best_metric": 12.25, "best_iteration": 100}
    assert er.read_summary(_run(tmp_path, rows, **true))["final_metric"] == 20.5
    for key, value in (
        ("final_metric", 100.0),
        ("best_metric", 1.0),
        ("best_iteration", 300),
        ("final_metric", "12"),
    ):
        path = _run(tmp_path, rows, **{**true, key: value})
        with pytest.raises(ValueError, match=f"^{path}: {key} .* of its metrics.csv"):
            er.read_summary(path)
    # a diverged run has no final metric
    path = _run(tmp_path, rows, status="diverged", **{**true, "final_metric": None})
    assert er.read_summary(path)["status"] == "diverged"
    # higher is better for modes; the first best row counts
    high = {"metric_name": "modes", "metric_mode": "max", "final_metric": 7.0}
    path = _run(tmp_path, "0,1,2.0\n100,1,7.0\n200,1,7.0\n", **high)
    text = path.parent.joinpath("metrics.csv").read_text().replace("fid", "modes")
    path.parent.joinpath("metrics.csv").write_text(text)
    record = json.loads(path.read_text())
    record["files"] = {"metrics.csv": sha256_file(path.parent / "metrics.csv")}
    record.update(best_metric=7.0, best_iteration=100)
    path.write_text(json.dumps(record))
    assert er.read_summary(path)["best_iteration"] == 100
    record["best_iteration"] = 200
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="best_iteration 200 is not the 100"):
        er.read_summary(path)


def test_selection_never_reads_an_edited_summary(tmp_path):
    from cggan.study import selection

    assert selection.read_summary is er.read_summary
    path = _run(tmp_path, "0,1.0,30.0\n", final_metric=1.0, best_metric=30.0)
    with pytest.raises(ValueError, match="final_metric 1.0 is not the 30.0"):
        selection.read_summary(path)


def test_the_stale_line_names_the_policy_and_the_modules():
    check = er.RunCheck(checked=3, study="s", stale=[("runs/x", ["cggan.optim.cg"])])
    line = er.stale_line(check)
    assert line.startswith("study 's': 1 of 3 run(s) were made by other training code")
    assert "(changed: cggan.optim.cg)" in line and "trained again" in line
    check.policy = "keep"
    assert "kept (stale_runs: keep)" in er.stale_line(check)
    assert er.stale_line(er.RunCheck()) is None


def test_a_stale_set_aside_is_restored_unless_retraining_began(tmp_path):
    run = tmp_path / "runs" / "x"
    run.mkdir(parents=True)
    for name in er.STALE_FILES:  # an older and a newer set-aside of the run
        (run / f"{name}.aaaaaaaaaaaa.stale").write_text(f"old {name}")
        (run / f"{name}.bbbbbbbbbbbb.stale").write_text(f"new {name}")
    os.utime(run / "summary.json.aaaaaaaaaaaa.stale", (1, 1))
    assert er.restore_stale(run)
    assert {n: (run / n).read_text() for n in er.STALE_FILES} == {
        n: f"new {n}" for n in er.STALE_FILES
    }
    # retraining has begun (a summary or checkpoint exists): nothing is put back
    assert not er.restore_stale(run)
    assert (run / "summary.json.aaaaaaaaaaaa.stale").is_file()
