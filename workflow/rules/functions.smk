# The input functions, params and target lists of the rules, apart from the rules
# (snakemake --lint: a rule file holds rules; a step's functions are found here under its
# file's name). They are called when a rule is parsed or a job is planned, so the
# constants they read (TOY_RELPATHS, PUBLISHED, ...) are those of the rule files; every
# path comes from PATHS (common.smk: cggan.study.layout.StudyPaths).

from cggan.study.layout import summary_path

# --- FID statistics (fid_stats.smk) -------------------------------------------------


def fid_stats_args(wc):
    return STUDY.fid_stats[wc.stats].shell_args(config["fid"]["inception_weights"])


# --- Calibration (calibration.smk) --------------------------------------------------


def calibration_outputs():
    return [STUDY.calibration_path(e) for e in CALIBRATED]


def _calibration_experiment(wc):
    for exp in CALIBRATED:
        if STUDY.calibration_path(exp) == PATHS.calibration(f"{wc.calibration}.json"):
            return exp
    raise ValueError(f"Invalid calibration: {wc.calibration} (not of this study)")


def calibration_args(wc):
    # the FID protocol's flags are fid_stats.py's (FIDProtocol.argv), then the count
    exp = _calibration_experiment(wc)
    ev = STUDY.experiment(exp)["eval"]
    protocol = STUDY.fid_protocol(exp).shell_args(config["fid"]["inception_weights"])
    return f"{protocol} --n-samples {ev['n_samples']} --batch-size {ev['batch_size']}"


# --- Training (train.smk) -----------------------------------------------------------


def experiment_inputs(experiment):
    """The files every run of an experiment reads: its dataset and FID statistics."""
    inputs = {"manifest": PATHS.manifest(STUDY.experiment(experiment)["dataset"])}
    stats = STUDY.fid_stats_path(experiment)
    if stats:
        inputs["fid_stats"] = stats
    return inputs


def train_inputs(wc):
    """The experiment's inputs, once the outputs the job makes again are set aside."""
    after_set_asides(_training_outputs(wc))
    return experiment_inputs(wc.experiment)


def _training_outputs(wc):
    """What the training job of these wildcards writes (train, train_seeds, train_chunk)."""
    if "chunk" in wc.keys():
        chunk = sweep_chunk(wc)
        return [receipt_path(STUDY, chunk), *(summary_path(d) for d in chunk.run_dirs)]
    seeds = [int(wc.seed)] if "seed" in wc.keys() else GROUPED_SEEDS
    return [
        summary_path(PATHS.run_dir(wc.experiment, wc.method, wc.lr_rule, wc.setting, s))
        for s in seeds
    ]


def fid_stats_arg(wc, input):
    return (
        f"--fid-stats {shlex.quote(input.fid_stats)}"
        if "fid_stats" in input.keys()
        else ""
    )


def runs_args(runs):
    """`--spec <json> --out <dir>` for each (spec, run directory) of a multi-run job."""
    pairs = []
    for spec, run_dir in runs:
        spec_json = json.dumps(spec, sort_keys=True, separators=(",", ":"))
        pairs.append(f"--spec {shlex.quote(spec_json)} --out {shlex.quote(run_dir)}")
    return " ".join(pairs)


def train_spec(wc):
    # the spec planning built for this setting (check_run_specs), with this run's seed;
    # the job validates it once more, from the command line (cggan.train.load_spec)
    spec = STUDY.run_spec(
        wc.experiment, wc.method, wc.lr_rule, wc.setting, int(wc.seed)
    )
    return json.dumps(spec, sort_keys=True, separators=(",", ":"))


def train_seeds_args(wc, output):
    """`--spec/--out` of every grouped confirmation seed of one setting (train_seeds)."""
    return runs_args(
        (
            STUDY.run_spec(wc.experiment, wc.method, wc.lr_rule, wc.setting, seed),
            os.path.dirname(summary),
        )
        for seed, summary in zip(GROUPED_SEEDS, output)
    )


def sweep_chunk(wc):
    return SWEEP_CHUNKS[(wc.experiment, wc.method, wc.lr_rule, wc.chunk)]


def train_chunk_args(wc):
    return runs_args((STUDY.run_spec_of(d), d) for d in sweep_chunk(wc).run_dirs)


def grid_round_summaries(wc):
    """The sweep runs extension round `round` selects from: rounds 0..round-1."""
    previous = int(wc.round) - 1
    if previous >= 1:
        checkpoints.extend_grid.get(experiment=wc.experiment, round=previous)
    return sweep_targets(STUDY, SWEEP_CHUNK, wc.experiment, rounds=previous)


def experiment_sweep_summaries(experiment):
    """Every sweep run the selection ranks: the configured grid and every extension."""
    rounds = STUDY.max_grid_extensions
    if rounds:
        checkpoints.extend_grid.get(experiment=experiment, round=rounds)
    return sweep_targets(STUDY, SWEEP_CHUNK, experiment, rounds=rounds)


def selection_inputs(wc):
    """The sweep runs a selection ranks (once a hand-edited selection is set aside)."""
    after_set_asides([PATHS.selection(wc.experiment)])
    return experiment_sweep_summaries(wc.experiment)


def all_sweep_summaries(wc=None):
    """The sweep runs of every experiment, extension rounds included."""
    return [s for e in STUDY.experiments for s in experiment_sweep_summaries(e)]


def confirmation_summaries(wc=None, experiments=None):
    """The confirmation runs of the selected settings (known once the sweep is selected)."""
    out = []
    for exp in experiments or STUDY.experiments:
        # a selection edited by hand is set aside and redone first: the runs confirmed
        # are those of the new selection
        after_set_asides([PATHS.selection(exp)])
        path = checkpoints.select_settings.get(experiment=exp).output[0]
        with open(path) as fh:
            selection = json.load(fh)
        out += [summary_path(d) for d in STUDY.confirmation_run_dirs(selection)]
    return out


# --- Set-asides (set_aside.smk) ----------------------------------------------------


def set_aside_targets():
    """Every set-aside planning decided. The targets (all, all_runs, all_sweeps,
    all_tables) name them: Snakemake runs a job for a missing file only when a job that
    runs needs it, and the outputs they set aside exist at planning."""
    return sorted(SET_ASIDES.markers.values())


def after_set_asides(outputs):
    """Wait for the set-asides of `outputs` (set_aside checkpoint): until they ran, the
    calling input function stops here and its job is planned again afterwards, when
    the outputs are missing. Their names are never a job's input, so a job's recorded
    set of inputs is the same with or without a set-aside."""
    for marker in SET_ASIDES.markers_for(outputs):
        checkpoints.set_aside.get(**set_aside_wildcards(marker))


# --- Toy games (toy.smk) ------------------------------------------------------------


def _toy_relpaths():
    if not config["toy"]["enabled"]:
        return []
    from cggan.toy import toy_relpaths

    try:
        return toy_relpaths(config["toy"])
    except ValueError as err:
        raise WorkflowError(str(err)) from None


def toy_trajectories():
    """The CSVs of the configured toy runs (toy_games writes, toy_report reads them)."""
    return [PATHS.toy(relpath) for relpath in TOY_RELPATHS]


def toy_report_outputs():
    if not TOY_RELPATHS:
        return []
    return [
        PATHS.table("toy_theory.md"),
        PATHS.table("toy_theory.csv"),
        PATHS.plot("toy_cg_paper.png"),
    ]


# --- Aggregation (aggregate.smk) ----------------------------------------------------


def published_outputs():
    if not PUBLISHED:
        return []
    return [PATHS.table(f"published_vs_reproduced.{ext}") for ext in ("md", "csv")]


def aggregate_outputs():
    return [PATHS.table("summary.md"), PATHS.metrics, *published_outputs()]
