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
    # `make test` runs the suite on 2 pytest-xdist workers with `--dist loadgroup`: the
    # slow tests form one group, so they run one after the other on one worker and
    # share one ci_study (a session fixture is per worker), while the fast tests
    # spread over both workers.
    for item in items:
        if item.get_closest_marker("slow") or "ci_study" in item.fixturenames:
            item.add_marker(pytest.mark.xdist_group("slow"))


@pytest.fixture(scope="session")
def ci_study(tmp_path_factory):
    """config/ci.yaml run once with 2 cores in a temporary copy;
    returns (dir, seconds)."""
    root = copy_repo(tmp_path_factory.mktemp("ci_study") / "repo")
    proc = snakemake(
        ["--configfile", "config/ci.yaml", "--cores", "2"], root, timeout=900
    )
    return root, proc.elapsed
