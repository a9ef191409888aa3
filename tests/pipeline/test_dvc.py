"""DVC over the workflow: repro is idempotent, push/pull restores results, and after a
`dvc checkout` Snakemake has nothing to do (checksums, not modification times)."""

from __future__ import annotations

import filecmp
import os
import shutil
import time

import pytest
import yaml

from .conftest import BIN, copy_repo, nothing_to_do, run, snakemake

pytestmark = pytest.mark.slow

DVC = str(BIN / "dvc")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}
TRACKED = (
    "results/data",
    "results/fid_stats",
    "results/runs",
    "results/selection",
    "results/toy",
    "results/calibration",
    "results/tables",
    "results/plots",
)


def git(*args, cwd):
    os.environ.update(GIT_ENV)
    return run(["git", *args], cwd)


@pytest.fixture(scope="module")
def dvc_repo(ci_study, tmp_path_factory):
    """A git + DVC repository whose config/config.yaml is the ci study renamed `default`
    (DVC tracks the default study, whose outputs live directly under results/). The
    data, FID statistics and toy games of the session's ci study are copied with
    Snakemake's metadata; `dvc repro` trains the runs and aggregates them."""
    src, _ = ci_study
    root = tmp_path_factory.mktemp("dvc") / "repo"
    copy_repo(root, with_src=True)
    shutil.copytree(src / ".snakemake", root / ".snakemake", symlinks=True)
    for name in ("results/data", "results/fid_stats"):
        shutil.copytree(src / name, root / name, symlinks=True)
    # each study has its own toy games; the ci study's become the default study's
    toy = src / "results/studies/ci/toy"
    shutil.copytree(toy, root / "results/toy", symlinks=True)
    # DVC's subject is versioning, not the grid: one digits pool (FID statistics and
    # calibration are still made and tracked) and the two ring8 pools.
    config = yaml.safe_load((root / "config/ci.yaml").read_text())
    config["study"] = "default"
    config["experiments"]["digits"].update(methods=["sgd"], lr_rules=["constant"])
    (root / "config/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    git("init", "-q", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "init", cwd=root)
    first = run([DVC, "repro"], root, timeout=900)
    # metrics.json is `cache: false` in dvc.yaml: git, not the DVC cache, versions it
    # (-f: results/ is git-ignored apart from the files a project un-ignores).
    git("add", "-A", cwd=root)
    git("add", "-f", "results/metrics.json", cwd=root)
    git("commit", "-qm", "dvc.lock", cwd=root)
    return root, first


def test_repro_twice_second_does_nothing(dvc_repo):
    root, first = dvc_repo
    assert "Running stage 'aggregate'" in first.stdout
    assert (root / "dvc.lock").is_file() and (root / "results/report.html").is_file()
    second = run([DVC, "repro"], root)
    assert "Running stage" not in second.stdout, second.stdout
    assert "Data and pipelines are up to date" in second.stdout
    status = run([DVC, "status"], root)
    assert "up to date" in status.stdout
    metrics = run([DVC, "metrics", "show"], root)
    assert "results/metrics.json" in metrics.stdout


def test_checkout_then_snakemake_has_nothing_to_do(dvc_repo):
    root, _ = dvc_repo
    for path in TRACKED:
        shutil.rmtree(root / path)
    run([DVC, "checkout"], root)
    assert (root / "results/tables/summary.csv").is_file()
    # DVC restores files in an order of its own: make every input newer than its
    # outputs, the worst case, with unchanged contents.
    time.sleep(1.1)
    for f in [
        *(root / "results/data").rglob("manifest.json"),
        *(root / "results/fid_stats").glob("*.npz"),
    ]:
        f.touch()
    proc = snakemake(["-n", "--configfile", "config/config.yaml"], root)
    assert nothing_to_do(proc), proc.stdout[-3000:]
    # Without the default profile's checksum limit (Snakemake's default of 1 MB) the
    # same state reruns the grid: the profile is what makes the difference.
    plain = snakemake(
        ["-n", "--configfile", "config/config.yaml", "--workflow-profile", "none"], root
    )
    assert not nothing_to_do(plain)
    assert "train" in plain.stdout


def test_push_then_pull_into_a_fresh_clone_restores_results(dvc_repo, tmp_path):
    root, _ = dvc_repo
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
    assert (clone / "results/report.html").read_bytes() == (
        root / "results/report.html"
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
