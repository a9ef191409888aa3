"""`snakemake --lint` finds nothing but the two warnings the Snakefile justifies."""

from __future__ import annotations

import re

from .conftest import copy_repo, snakemake

#: The warnings kept on purpose, each explained in workflow/Snakefile's header: the
#: pinned virtualenv instead of a conda environment per rule, and PYTHON (common.smk).
JUSTIFIED = {
    "Specify a conda environment or container for each rule.",
    "Shell command directly uses variable PYTHON from outside of the rule",
}


def test_snakemake_lint_reports_only_the_justified_warnings(tmp_path):
    root = copy_repo(tmp_path / "repo")
    proc = snakemake(["--lint"], root, timeout=300, check=False)  # 1: lints found
    out = proc.stdout + proc.stderr
    warnings = set(re.findall(r"^    \* (.+?):?$", out, flags=re.M))
    assert warnings, out[-3000:]  # the lint ran (and still finds the justified ones)
    assert warnings <= JUSTIFIED, out[-6000:]
