# Training runs: sweep -> grid extension -> selection -> confirmation.
#   1. sweep: every setting (lr_d x lr_g x swept hyperparameters) of every experiment x method
#      x rule at every sweep seed (sweep_seeds);
#   2. extend_grid (a checkpoint per experiment and round 1..selection.max_grid_extensions):
#      every pool whose best setting so far lies on an edge of its lr grid gets the settings
#      one step past that edge (cggan.study.grid_extension), trained at the sweep seeds by `train`;
#   3. select_settings (a checkpoint per experiment): the best finished setting per method x
#      rule x pool by the experiment's metric (final or best, config selection.by), over the
#      configured grid and every extension round;
#   4. confirmation: the selected settings with every seed in `seeds`.
# One job per run; a failed run writes summary.json with status "failed" and exits 0
# (--failure-exit-code 0) so that the rest of the grid goes on and the tables show it.
# Every training shell `exec`s the trainer: the job's process is the trainer, so a kill
# of the job (of its shell) is a kill of the trainer, never a trainer left running.


rule train:
    input:
        unpack(train_inputs),
    output:
        PATHS.summary(),
    log:
        PATHS.log("train"),
    threads: 1
    resources:
        mem_mb=TRAIN_RESOURCES["mem_mb"],
        runtime=TRAIN_RESOURCES["runtime"],
        gpu=TRAIN_RESOURCES["gpu"],
    params:
        spec=train_spec,
        run_dir=lambda wc, output: os.path.dirname(output[0]),
        fid_stats=fid_stats_arg,
        device=DEVICE,
    shell:
        "exec {PYTHON:q} scripts/train.py --spec {params.spec:q} --out {params.run_dir:q}"
        " {params.fid_stats} --threads {threads} --device {params.device}"
        " --failure-exit-code 0 > {log:q} 2>&1"


# Optional (config `group_seeds`): the confirmation seeds of one selected setting - every
# seed but the sweep seed, whose run the sweep already made - train one after the other in
# ONE job. Each run keeps its own directory, spec and seed, and is exactly the run the
# `train` rule would make; the job only saves the per-run interpreter and torch start-up
# (~5 s, more than a small CPU run trains). Keep it off on a cluster: one run per job.
GROUPED_SEEDS = [s for s in STUDY.seeds if s not in STUDY.sweep_seeds]

if config["group_seeds"] and GROUPED_SEEDS:

    ruleorder: train_seeds > train

    rule train_seeds:
        input:
            unpack(train_inputs),
        output:
            [PATHS.summary(seed=seed) for seed in GROUPED_SEEDS],
        log:
            PATHS.log("train_seeds"),
        threads: train_threads
        resources:
            mem_mb=lambda wc: train_resource("mem_mb"),
            runtime=lambda wc: train_resource("runtime") * len(GROUPED_SEEDS),
            gpu=lambda wc: train_resource("gpu"),
        params:
            runs=train_seeds_args,
            fid_stats=fid_stats_arg,
            device=DEVICE,
        shell:
            "exec {PYTHON:q} scripts/train.py {params.runs} {params.fid_stats}"
            " --threads {threads} --device {params.device}"
            " --failure-exit-code 0 > {log:q} 2>&1"


# Optional (config `sweep_chunk` > 1): the configured grid's sweep runs of one experiment x
# method x rule train in jobs of up to `sweep_chunk` runs (cggan.study.chunks): one rule,
# the chunk a wildcard, and a receipt as its output (listing the runs and their summaries'
# SHA-256) that the grid extension, selection and aggregation depend on. The `train` rule
# makes every other run (other seeds, the settings grid extension adds).
SWEEP_CHUNKS = {
    tuple(c.wildcards().values()): c for c in sweep_chunks(STUDY, SWEEP_CHUNK)
}


rule train_chunk:
    input:
        unpack(train_inputs),
    output:
        PATHS.receipt(),
    log:
        PATHS.log("train_chunk"),
    threads: train_threads
    resources:
        mem_mb=lambda wc: train_resource("mem_mb"),
        runtime=lambda wc: train_resource("runtime") * len(sweep_chunk(wc).run_dirs),
        gpu=lambda wc: train_resource("gpu"),
    params:
        runs=train_chunk_args,
        fid_stats=fid_stats_arg,
        device=DEVICE,
    shell:
        "exec {PYTHON:q} scripts/train.py {params.runs} {params.fid_stats}"
        " --threads {threads} --device {params.device}"
        " --failure-exit-code 0 --receipt {output:q} > {log:q} 2>&1"


checkpoint extend_grid:
    input:
        grid_round_summaries,
    output:
        PATHS.extension("{experiment}", "{round}"),
    log:
        PATHS.log("extend_grid"),
    params:
        study=STUDY_JSON,
        # the library and script code it runs: a change redoes it (cheap, no training)
        code=source_fingerprint("scripts/extend_grid.py"),
    shell:
        "{PYTHON:q} scripts/extend_grid.py --study-config {params.study:q}"
        " --experiment {wildcards.experiment} --round {wildcards.round}"
        " --out {output:q} > {log:q} 2>&1"


checkpoint select_settings:
    input:
        selection_inputs,
    output:
        PATHS.selection("{experiment}"),
    log:
        PATHS.log("select_settings"),
    params:
        study=STUDY_JSON,
        # the library and script code it runs: a change redoes it (cheap, no training)
        code=source_fingerprint("scripts/select_settings.py"),
    shell:
        "{PYTHON:q} scripts/select_settings.py --study-config {params.study:q}"
        " --experiment {wildcards.experiment} --out {output:q} > {log:q} 2>&1"


rule all_sweeps:
    input:
        all_sweep_summaries,
        set_aside_targets(),


rule all_runs:
    input:
        [PATHS.selection(e) for e in STUDY.experiments],
        confirmation_summaries,
        set_aside_targets(),
