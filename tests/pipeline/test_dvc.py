"""DVC over the workflow, on the ci study (dvc.yaml pointed at config/ci.yaml by
scripts/dvc_study.py): repro is idempotent, push/pull restores results, after a
`dvc checkout` Snakemake has nothing to do (checksums, not modification times), and
after a semantic edit of the training code `dvc status` names the training stage, after
a comment-only edit nothing."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import sys
import time

import pytest
import yaml

from cggan.fingerprint import changed_modules

from .conftest import BIN, copy_repo, nothing_to_do, run, snakemake

pytestmark = pytest.mark.slow

DVC = str(BIN / "dvc")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}
OUT = "results/studies/ci"  # the ci study's out dir (cggan.study.Study.out_dir)
FINGERPRINTS = f"{OUT}/code_fingerprint.json"
TRACKED = (
    "results/data",
    "results/fid_stats",
    "results/calibration",
    "results/runs/ci",
    "results/selection/ci",
    f"{OUT}/toy",
    f"{OUT}/tables",
    f"{OUT}/plots",
)


def git(*args, cwd):
    os.environ.update(GIT_ENV)
    return run(["git", *args], cwd)


def dvc_status(root) -> dict:
    """``dvc status --json``: {stage: [changes]}; {} when everything is up to date."""
    return json.loads(run([DVC, "status", "--json"], root).stdout)


@pytest.fixture(scope="module")
def dvc_repo(ci_study, tmp_path_factory):
    """A git + DVC repository whose dvc.yaml runs the ci study
    (`scripts/dvc_study.py config/ci.yaml`), with the session's ci study copied in
    (results and Snakemake's metadata). There is no dvc.lock yet, so `dvc repro` runs
    every stage: Snakemake inside finds the runs made (no training), aggregates again
    (DVC removes a stage's outputs that are not `persist` before running it: the
    tables and plots) and builds the report."""
    src, _ = ci_study
    root = tmp_path_factory.mktemp("dvc") / "repo"
    copy_repo(root, with_src=True)
    shutil.copytree(src / ".snakemake", root / ".snakemake", symlinks=True)
    shutil.copytree(src / "results", root / "results", symlinks=True)
    run([sys.executable, "scripts/dvc_study.py", "config/ci.yaml"], root)
    study = yaml.safe_load((root / "dvc-study.yaml").read_text())
    assert study["config"] == "config/ci.yaml" and study["out"] == OUT
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "init", cwd=root)
    first = run([DVC, "repro"], root, timeout=900)
    # metrics.json and the code fingerprints are `cache: false` in dvc.yaml: git, not
    # the DVC cache, versions them (-f: results/ is git-ignored).
    git("add", "-A", cwd=root)
    git("add", "-f", f"{OUT}/metrics.json", FINGERPRINTS, cwd=root)
    git("commit", "-qm", "dvc.lock", cwd=root)
    return root, first, src


def test_repro_twice_second_does_nothing(dvc_repo):
    root, first, src = dvc_repo
    assert "Running stage 'aggregate'" in first.stdout
    assert (root / "dvc.lock").is_file() and (root / OUT / "report.html").is_file()
    lock = yaml.safe_load((root / "dvc.lock").read_text())
    assert lock["stages"]["study"]["outs"][0]["path"] == "results/runs/ci"
    # aggregated again under DVC: the same tables as the session's ci study
    for table in ("summary.csv", "runs.csv", "claims.csv"):
        ours = (root / OUT / "tables" / table).read_bytes()
        assert ours == (src / OUT / "tables" / table).read_bytes(), table
    second = run([DVC, "repro"], root)
    assert "Running stage" not in second.stdout, second.stdout
    assert "Data and pipelines are up to date" in second.stdout
    status = run([DVC, "status"], root)
    assert "up to date" in status.stdout
    metrics = run([DVC, "metrics", "show"], root)
    assert f"{OUT}/metrics.json" in metrics.stdout


def test_checkout_then_snakemake_has_nothing_to_do(dvc_repo):
    root, _, _ = dvc_repo
    for path in TRACKED:
        shutil.rmtree(root / path)
    run([DVC, "checkout"], root)
    assert (root / OUT / "tables/summary.csv").is_file()
    # DVC restores files in an order of its own: make every input newer than its
    # outputs, the worst case, with unchanged contents.
    time.sleep(1.1)
    for f in [
        *(root / "results/data").rglob("manifest.json"),
        *(root / "results/fid_stats").glob("*.npz"),
    ]:
        f.touch()
    proc = snakemake(["-n", "--configfile", "config/ci.yaml"], root)
    assert nothing_to_do(proc), proc.stdout[-3000:]
    # Without the default profile's checksum limit (Snakemake's default of 1 MB) the
    # same state reruns the grid: the profile is what makes the difference.
    plain = snakemake(
        ["-n", "--configfile", "config/ci.yaml", "--workflow-profile", "none"], root
    )
    assert not nothing_to_do(plain)
    assert "train" in plain.stdout


def test_push_then_pull_into_a_fresh_clone_restores_results(dvc_repo, tmp_path):
    root, _, _ = dvc_repo
    run([DVC, "push"], root)
    assert (
        root / "dvc-remote"
    ).is_dir()  # the default remote (.dvc/config: ../dvc-remote)
    clone = tmp_path / "clone"
    git("clone", "-q", str(root), str(clone), cwd=tmp_path)
    # dvc-remote/ is git-ignored: a clone points its remote at the original's directory
    run(
        [DVC, "remote", "modify", "--local", "local", "url", str(root / "dvc-remote")],
        clone,
    )
    run([DVC, "pull"], clone)
    for path in TRACKED:
        cmp = filecmp.dircmp(root / path, clone / path)
        assert _same_tree(cmp), path
    assert (clone / OUT / "report.html").read_bytes() == (
        root / OUT / "report.html"
    ).read_bytes()
    assert "up to date" in run([DVC, "status"], clone).stdout


def _same_tree(cmp: filecmp.dircmp) -> bool:
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(
        cmp.left, cmp.right, cmp.common_files, shallow=False
    )
    return (
        not mismatch and not errors and all(_same_tree(s) for s in cmp.subdirs.values())
    )


def test_a_semantic_edit_of_cg_names_the_training_stage_a_comment_does_not(dvc_repo):
    """`dvc status` compares files with dvc.lock and runs nothing: after an edit it
    names the `code` stage (its deps are the code's bytes) and nothing else. `dvc
    repro code` (a second; `make dvc-status`) rewrites the fingerprints the other
    stages read: unchanged by a comment, changed by code."""
    root, _, _ = dvc_repo
    cg = root / "src/cggan/optim/cg.py"
    text = cg.read_text()
    fingerprints = (root / FINGERPRINTS).read_bytes()
    assert dvc_status(root) == {}
    try:
        cg.write_text(
            "# a comment-only edit\n" + text.replace("\n\n\n", "\n\n\n# note\n", 1)
        )
        assert set(dvc_status(root)) == {"code"}
        run([DVC, "repro", "code"], root)
        assert (root / FINGERPRINTS).read_bytes() == fingerprints
        assert dvc_status(root) == {}, "a comment changed a stage's status"

        cg.write_text(text + "\n_SEMANTIC_EDIT = 1\n")
        assert set(dvc_status(root)) == {"code"}
        run([DVC, "repro", "code"], root)
        status = dvc_status(root)
        assert "code" not in status and "study" in status, status
        changed = status["study"][0]["changed deps"][FINGERPRINTS]
        assert changed["training"] == "modified", status["study"]
        old, new = (
            json.loads(fingerprints),
            json.loads((root / FINGERPRINTS).read_text()),
        )
        old["modules"], new["modules"] = (
            old["training_modules"],
            new["training_modules"],
        )
        old["fingerprint"], new["fingerprint"] = old["training"], new["training"]
        assert changed_modules(old, new) == ["cggan.optim.cg"]
    finally:
        cg.write_text(text)
    run([DVC, "repro", "code"], root)
    assert dvc_status(root) == {}
