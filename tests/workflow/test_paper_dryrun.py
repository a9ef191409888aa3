"""The published study's dry run lists every sweep job, quickly, touching nothing."""

from __future__ import annotations

import re
from collections import Counter

import yaml

from .conftest import copy_repo, snakemake

#: The paper's grid (Naganuma & Iiduka 2023, Sec. 4; docs/reproducing-the-paper.md): 5 x 5 lr pairs for the constant rule,
#: the first four squared for the diminishing rule; baselines (SGD, momentum, Adam) once,
#: each of the 7 CG rules with 3 beta coefficients. The released sweeps: 600 CL + 384 DL runs.
PAPER_LR_PAIRS = {"constant": 5 * 5, "step": 4 * 4, "sqrt": 4 * 4}
PAPER_OPTIMIZERS = 3 + 7 * 3


def test_paper_config_dry_run_lists_every_sweep_job(tmp_path):
    root = copy_repo(tmp_path / "repo")
    proc = snakemake(["-n", "--configfile", "config/paper.yaml"], root, timeout=120)
    assert proc.elapsed <= 20, f"dry run took {proc.elapsed:.1f} s"
    out = proc.stdout + proc.stderr
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
    jobs = re.findall(
        r"output: results/runs/paper/cifar10/(\w+)/(constant|step|sqrt)/([^/]+)/seed100/"
        r"summary\.json", out)
    assert len(jobs) == len(set(jobs)) == int(stats["train"])

    per_rule = Counter(rule for method, rule, _ in jobs if not method.startswith(
        ("nsgda", "graft", "omd", "pm", "co")))
    assert per_rule["constant"] == PAPER_OPTIMIZERS * PAPER_LR_PAIRS["constant"] == 600
    assert per_rule["step"] == PAPER_OPTIMIZERS * PAPER_LR_PAIRS["step"] == 384
    assert per_rule["sqrt"] == PAPER_OPTIMIZERS * PAPER_LR_PAIRS["sqrt"]

    # The related methods sweep their own axes over the same lr pairs.
    config = yaml.safe_load((root / "config/paper.yaml").read_text())
    related = 0
    for method in ("nsgda", "graft_adam_sgd", "graft_sgd_adam", "omd", "pm", "co"):
        size = 1
        for values in (config["methods"][method] or {}).values():
            size *= len(values)
        related += size
    expected = (PAPER_OPTIMIZERS + related) * sum(PAPER_LR_PAIRS.values())
    assert int(stats["train"]) == expected
    assert {"prepare_data", "fid_stats", "select_settings", "aggregate"} <= set(stats)
    # A dry run creates nothing and downloads nothing.
    assert not (root / "results").exists()
