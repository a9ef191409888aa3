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
from cggan.study.run_spec_checks import check_run_specs
from cggan.io import load_yaml
from cggan.locks import record_holder
from cggan.registry import LR_RULE_KWARGS, METHODS, is_cg_method
from cggan.study.chunks import (
    receipt_pattern,
    sweep_chunks,
    sweep_targets,
    verify_receipts,
)
from cggan.study.existing_runs import handle_stale_runs
from cggan.fingerprint import source_fingerprint
from cggan.study.selection import verify_selection_files

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

try:
    STUDY = cgstudy.Study(config)
    check_run_specs(STUDY)  # every planned run's RunSpec: what a job would refuse
    _run_check = cgstudy.check_existing_runs(STUDY)
except ValueError as _err:
    raise WorkflowError(str(_err)) from None
# A run whose summary.json (or the metrics.csv it checksums) cannot be read, or whose
# numbers are not its metrics.csv's, is incomplete: its summary is set aside, so the DAG
# below plans the run again.
for _line in cgstudy.set_aside_unreadable(_run_check.unreadable):
    print(f"cggan: {_line}", file=sys.stderr)
# Runs made by other training code (cggan.fingerprint): one line naming the changed
# modules; set aside and retrained (stale_runs: retrain, the default) or kept (keep).
_stale_line = handle_stale_runs(_run_check)
if _stale_line:
    print(f"cggan: {_stale_line}", file=sys.stderr)
# A selection file that is not the selection of its sweep runs (edited by hand) is set
# aside, so that the select_settings checkpoint redoes it.
for _line in verify_selection_files(STUDY):
    print(f"cggan: {_line}", file=sys.stderr)
# A sweep chunk's receipt (its job's output) that no longer vouches for its runs (one was
# set aside above, edited or deleted; the chunking changed) is removed: the chunk trains
# again, and only its missing runs train (cggan.study.chunks).
SWEEP_CHUNK = config["sweep_chunk"]
for _line in verify_receipts(STUDY, SWEEP_CHUNK):
    print(f"cggan: {_line}", file=sys.stderr)

# Jobs run the interpreter that runs Snakemake (the project's venv), whatever is on PATH.
# (`snakemake --lint` would have it passed as a param of each rule: params are recorded
# with every output and rerun the job when they change, so a venv at another path would
# retrain every run. The interpreter says how a job runs, not what it computes.)
PYTHON = sys.executable
RESULTS = "results"
LOGS = f"{RESULTS}/logs"
RUNS = STUDY.runs_root()
# The study's tables, plots and metrics.json: results/ for the default study, else
# results/studies/<study>/ (cggan.study.Study.out_dir).
OUT = STUDY.out_dir
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
