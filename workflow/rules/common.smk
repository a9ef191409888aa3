# Configuration: replace-not-merge for --configfile, schema validation (one-line errors),
# the study's grid (cggan.study, no torch) and its consistency with existing results.

import copy
import json
import os
import re
import shlex
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from cggan import study as cgstudy
from cggan.study.run_specs import check_run_specs
from cggan.io import load_yaml
from cggan.locks import record_holder
from cggan.registry import LR_RULE_KWARGS, METHODS, is_cg_method
from cggan.study.chunks import receipt_path, sweep_chunks, sweep_targets
from cggan.study.existing_runs import restorable_line
from cggan.study.set_asides import REASONS as SET_ASIDE_REASONS, set_aside_wildcards
from cggan.fingerprint import source_fingerprint

# Snakemake's own YAML loader keeps the last of two equal keys silently: the config files
# are read again with the project's loader, which refuses them (one line).
for _path in workflow.config_settings.configfiles or workflow.configfiles:
    try:
        load_yaml(_path)
    except ValueError as _err:
        raise WorkflowError(str(_err)) from None

# `configfile: config/config.yaml` in the Snakefile is the default study. Snakemake merges a
# --configfile into it key by key, which would add the default study's experiments and methods
# to e.g. config/ci.yaml; a config file given on the command line replaces it instead
# (--config key=value overrides still apply on top).
if workflow.config_settings.configfiles:
    _cli_config = copy.deepcopy(workflow.config_settings.overwrite_config)
    config.clear()
    config.update(_cli_config)

try:
    validate(config, schema="../schemas/config.schema.yaml")
except WorkflowError as _err:
    # validate() wraps the jsonschema.ValidationError (kept as the context) in a long
    # multi-line message; one line naming the key and the allowed values is what users need.
    _schema_error = _err.__context__ if hasattr(_err.__context__, "validator") else None
    raise WorkflowError(
        cgstudy.format_schema_error(_schema_error) if _schema_error else str(_err)
    ) from None

SWEEP_CHUNK = config["sweep_chunk"]
try:
    STUDY = cgstudy.Study(config)
    # every planned run's RunSpec: what a job would refuse (kept in STUDY.specs: the
    # train rules' params reuse them)
    check_run_specs(STUDY)
    _run_check = cgstudy.check_existing_runs(STUDY)
    # Planning reads only (cggan.study.set_asides): a run whose summary.json cannot be
    # read or is not its metrics.csv's, a run made by other training code (stale_runs:
    # retrain), a hand-edited selection file and a receipt that no longer vouches for
    # its chunk are each named in one line here; the `set_aside` rule (set_aside.smk)
    # moves them aside in a real run, before the job that makes them again.
    SET_ASIDES = cgstudy.plan_set_asides(STUDY, _run_check, SWEEP_CHUNK)
except ValueError as _err:
    raise WorkflowError(str(_err)) from None
for _line in [
    *SET_ASIDES.lines,
    restorable_line(
        _run_check,
        str((workflow.config_settings.configfiles or ["config/config.yaml"])[-1]),
    ),
]:
    if _line:
        print(f"cggan: {_line}", file=sys.stderr)


# Jobs run the interpreter that runs Snakemake (the project's venv), whatever is on PATH.
# (`snakemake --lint` would have it passed as a param of each rule: params are recorded
# with every output and rerun the job when they change, so a venv at another path would
# retrain every run. The interpreter says how a job runs, not what it computes.)
PYTHON = sys.executable
# Every path of the study - runs, selection, receipts, tables, plots, toy games, logs,
# data - as the rules and their functions ask for it (cggan.study.layout.StudyPaths).
PATHS = STUDY.paths
# What the selection and aggregation jobs rebuild the study's run list from (never a glob):
# the science part of the config, so that changing threads or resources reruns nothing.
STUDY_JSON = json.dumps(STUDY.science_config(), sort_keys=True, separators=(",", ":"))


def _alternatives(values):
    return "|".join(re.escape(str(v)) for v in sorted(set(values))) or "^$"


wildcard_constraints:
    dataset=_alternatives(STUDY.datasets),
    stats=_alternatives(STUDY.fid_stats),
    calibration=_alternatives(
        [
            os.path.basename(p)[: -len(".json")]
            for p in (STUDY.calibration_path(e) for e in STUDY.experiments)
            if p
        ]
    ),
    experiment=_alternatives(STUDY.experiments),
    method=_alternatives(METHODS),
    lr_rule=_alternatives(LR_RULE_KWARGS),
    setting=r"lr_d~[A-Za-z0-9_.~+,-]+",
    seed=r"\d+",
    chunk=r"\d+",
    round=r"[1-9]\d*",


# Execution defaults per job, never in the science config: one thread per job (one thread
# per training job is fastest on a CPU; Snakemake runs `--cores` jobs side by side), and
# the resources a cluster is asked for. Profiles override them per rule with set-threads /
# set-resources (profiles/slurm); the device comes from `--config device=...` (default
# auto: CUDA when present).
TRAIN_RESOURCES = {"mem_mb": 2000, "runtime": 60, "gpu": 0}
JOB_RESOURCES = {"mem_mb": 2000, "runtime": 30, "gpu": 0}
DEVICE = config["device"]


# A job that trains several runs one after the other (train_chunk, train_seeds) asks for
# what the `train` rule asks for, the profile's set-threads / set-resources for `train`
# included, with the runtime of all its runs: a profile names `train` once.
def _train_override(settings, name):
    value = settings.get("train", {})
    value = value.get(name) if name else value
    return getattr(value, "value", value) if value not in (None, {}) else None


def train_threads(wc):
    threads = _train_override(workflow.resource_settings.overwrite_threads, None)
    return threads or 1


def train_resource(name):
    value = _train_override(workflow.resource_settings.overwrite_resources, name)
    return TRAIN_RESOURCES[name] if value is None else value


# The lock's holder (host, pid, start time), recorded once Snakemake holds the lock (never
# for -n or --unlock): `make run` releases a lock only when that holder is provably dead.
onstart:
    record_holder()
