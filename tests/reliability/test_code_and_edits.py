"""A result knows its code, and nothing hand-edited is trusted (issue 17, items 2, 3).

Workflow level (slow): a copy of the session's finished ci study (tests/conftest.py)
with its own ``src/`` first on ``PYTHONPATH``, so that an edit of the copy's
``src/cggan/optim/cg.py`` is the code the planning sees. Unit level (fast): the
summary check and the stale-run policy on hand-made run directories.
"""

from __future__ import annotations

import json
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


def _plan(root: Path) -> subprocess.CompletedProcess:
    e = env()
    e["PYTHONPATH"] = str(root / "src")  # the copy's code, not the venv's editable one
    proc = subprocess.run(
        [SNAKEMAKE, "-n", "--configfile", "config/ci.yaml"],
        cwd=root,
        env=e,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _train_jobs(proc) -> int:
    return sum(
        1
        for line in (proc.stdout + proc.stderr).splitlines()
        if line.startswith(("rule train", "localrule train"))
    )


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
    edited = _plan(root)
    lines = [line for line in edited.stderr.splitlines() if STALE in line]
    assert len(lines) == 1, edited.stderr[-3000:]
    assert "study 'ci'" in lines[0] and "(changed: cggan.optim.cg)" in lines[0]
    assert f"{len(runs)} of {len(runs)} run(s)" in lines[0]
    assert "retraining" in lines[0]
    # every run's summary and checkpoints are set aside: all are planned again
    assert _train_jobs(edited) >= 1 and not nothing_to_do(edited)
    for summary in runs:
        assert not summary.exists()
        assert summary.with_name("summary.json.stale").is_file()
        assert not summary.with_name("checkpoint.pt").exists()

    # stale_runs: keep puts them back (not retrained since) and trains nothing
    config = root / "config/ci.yaml"
    config.write_text(config.read_text() + "\nstale_runs: keep\n")
    kept = _plan(root)
    lines = [line for line in kept.stderr.splitlines() if STALE in line]
    assert len(lines) == 1 and "kept (stale_runs: keep)" in lines[0], kept.stderr
    assert all(summary.is_file() for summary in runs)
    assert _train_jobs(kept) == 0


@pytest.mark.slow
def test_an_edited_summary_number_is_reported_and_retrained(ci_study, tmp_path):
    root = _copy_study(ci_study, tmp_path / "repo")
    summary = next(
        p
        for p in sorted((root / "results/runs/ci").rglob("seed0/summary.json"))
        if json.loads(p.read_text())["final_metric"] is not None
    )
    record = json.loads(summary.read_text())
    better = -1.0 if record["metric_mode"] == "min" else 1e6  # would win the selection
    record["final_metric"] = better
    summary.write_text(json.dumps(record))
    plan = _plan(root)
    lines = [line for line in plan.stderr.splitlines() if "final_metric" in line]
    assert len(lines) == 1, plan.stderr[-3000:]
    assert str(summary.relative_to(root)) in lines[0] and "retraining" in lines[0]
    assert _train_jobs(plan) >= 1
    assert not summary.exists()
    assert summary.with_name("summary.json.unreadable").is_file()


@pytest.mark.slow
def test_a_hand_edited_selection_is_set_aside_and_redone(ci_study, tmp_path):
    """A selection file pinned by hand to a setting that is not the best: the next
    planning names it in one line and plans the selection again (item 3)."""
    root = _copy_study(ci_study, tmp_path / "repo")
    assert nothing_to_do(_plan(root))
    path = root / "results/selection/ci/ring8.json"
    record = json.loads(path.read_text())
    chosen = record["selected"][0]
    pool = root / "results/runs/ci/ring8" / chosen["method"] / chosen["lr_rule"]
    others = sorted(p.name for p in pool.iterdir() if p.name != chosen["setting"])
    assert others, "the ci study's ring8 pools have more than one setting"
    chosen["setting"] = others[0]
    path.write_text(json.dumps(record))
    plan = _plan(root)
    lines = [ln for ln in plan.stderr.splitlines() if "not the selection" in ln]
    assert len(lines) == 1 and "ring8.json" in lines[0], plan.stderr[-3000:]
    assert not path.exists() and path.with_name("ring8.json.edited").is_file()
    assert "select_settings" in plan.stdout and not nothing_to_do(plan)


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


def test_the_stale_policy_retrains_or_keeps_and_keep_restores(tmp_path):
    run = tmp_path / "runs" / "x"
    run.mkdir(parents=True)
    for name in er.STALE_FILES:
        (run / name).write_text(name)
    check = er.RunCheck(checked=3, study="s", stale=[(str(run), ["cggan.optim.cg"])])
    line = er.handle_stale_runs(check)
    assert line.startswith("study 's': 1 of 3 run(s) were made by other training code")
    assert "(changed: cggan.optim.cg)" in line and "retraining" in line
    assert sorted(p.name for p in run.iterdir()) == sorted(
        n + er.STALE_SUFFIX for n in er.STALE_FILES
    )
    assert er._restore_stale(run)
    assert sorted(p.name for p in run.iterdir()) == sorted(er.STALE_FILES)
    check.policy = "keep"
    assert "kept (stale_runs: keep)" in er.handle_stale_runs(check)
    assert (run / "summary.json").is_file()
    # retraining has begun (a new checkpoint): the stale files are not put back
    er.handle_stale_runs(er.RunCheck(stale=[(str(run), ["no fingerprint"])]))
    (run / "checkpoint.pt").write_text("new")
    assert not er._restore_stale(run)
    assert er.handle_stale_runs(er.RunCheck()) is None
