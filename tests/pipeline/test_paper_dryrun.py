"""The published study's dry run lists every sweep job, touching nothing.

(How long planning takes is not asserted here: a test checks behaviour, and a wall
time on a shared CI machine is not one. `time snakemake -n --configfile
config/paper.yaml` measures it.)"""

from __future__ import annotations

import re
from collections import Counter

from .conftest import copy_repo, snakemake

#: The paper's grid (Naganuma & Iiduka 2023, Sec. 4; docs/reproducing-the-paper.md):
#: 5 x 5 lr pairs for the constant rule, the first four squared for each diminishing
#: rule; baselines (SGD, momentum, Adam), each of the 7 CG rules with 3 beta
#: coefficients.
LR_PAIRS = {"constant": 5 * 5, "sqrt": 4 * 4, "power": 4 * 4, "step_authors": 4 * 4}
#: momentum: the paper's 0.9 and CG's caps c x 1/2 for c in {0.5, 0.75, 1} (the control)
MOMENTA = ("0.25", "0.375", "0.5", "0.9")
CG_POOLS = 7 * 3
#: The textbook arm's related methods and their pools: graft x2,
#: omd, pm x3 gamma, co x3.
RELATED_POOLS = 2 + 1 + 3 + 3
NSGDA_GRID = 5 * 5  # nSGDA's own lr grid, for every rule


def _jobs(out: str, experiment: str) -> list[tuple[str, str, str]]:
    pattern = (
        rf"output: results/runs/paper/{experiment}/(\w+)/(\w+)/([^/]+)/seed100/"
        r"summary\.json"
    )
    return re.findall(pattern, out)


def test_paper_config_dry_run_lists_every_sweep_job(tmp_path):
    root = copy_repo(tmp_path / "repo")
    proc = snakemake(["-n", "--configfile", "config/paper.yaml"], root, timeout=180)
    out = proc.stdout + proc.stderr
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
    textbook, released = _jobs(out, "cifar10"), _jobs(out, "cifar10_released")
    assert len(textbook) + len(released) == int(stats["train"])
    assert len(set(textbook)) == len(textbook) and len(set(released)) == len(released)

    # textbook arm: constant, sqrt, power
    rules = ("constant", "sqrt", "power")
    baseline_pools = 1 + len(MOMENTA) + 1
    per_rule = Counter(rule for method, rule, _ in textbook if method != "nsgda")
    for rule in rules:
        pools = baseline_pools + CG_POOLS + RELATED_POOLS
        assert per_rule[rule] == pools * LR_PAIRS[rule], rule
    assert sum(1 for m, _, _ in textbook if m == "nsgda") == NSGDA_GRID * len(rules)

    # replication arm: the released CG class, the released "DL" schedule
    per_rule = Counter(rule for _, rule, _ in released)
    for rule in ("constant", "step_authors"):
        assert per_rule[rule] == (baseline_pools + CG_POOLS) * LR_PAIRS[rule], rule
    assert {m for m, _, _ in released if "cg" in m} == {
        f"cg_{r}_authors" for r in ("fr", "prp", "hs", "dy", "hs_dy", "fr_prp", "hz")
    }

    momenta = {s.rsplit("momentum~", 1)[1] for m, _, s in textbook if m == "momentum"}
    assert momenta == set(MOMENTA)
    assert {"prepare_data", "fid_stats", "select_settings", "aggregate"} <= set(stats)
    assert int(stats["fid_stats"]) == 2  # fixed and minmax preprocessing
    # A dry run creates nothing and downloads nothing.
    assert not (root / "results").exists()
