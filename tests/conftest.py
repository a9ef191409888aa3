"""Session fixtures shared by several test packages (pipeline, reliability)."""

from __future__ import annotations

import pytest

from pipeline.conftest import copy_repo, snakemake  # tests/ is on sys.path (rootdir)


def pytest_configure(config):
    # Registered here (pyproject.toml lists the others): `pytest -m cuda` runs the GPU
    # checks (benchmarks/gpu_check.py); without CUDA they skip.
    config.addinivalue_line(
        "markers", "cuda: needs a CUDA device (run by benchmarks/gpu_check.py)"
    )


def pytest_collection_modifyitems(config, items):
    # `make test` runs the fast tests on 2 pytest-xdist workers, then the slow ones in
    # one process, so that the session's ci study is built once (a session fixture is
    # per worker; xdist 3.8's `--dist loadgroup` does not group under pytest 9.2, whose
    # items keep their id in `_id`, not the `_nodeid` xdist rewrites). A test that uses
    # the ci study must therefore be marked slow.
    for item in items:
        if "ci_study" in item.fixturenames and not item.get_closest_marker("slow"):
            raise pytest.UsageError(
                f"{item.nodeid} uses the ci_study fixture: mark it slow"
            )


@pytest.fixture(scope="session")
def ci_study(tmp_path_factory):
    """config/ci.yaml run once with 2 cores in a temporary copy;
    returns (dir, seconds)."""
    root = copy_repo(tmp_path_factory.mktemp("ci_study") / "repo")
    proc = snakemake(
        ["--configfile", "config/ci.yaml", "--cores", "2"], root, timeout=900
    )
    return root, proc.elapsed
