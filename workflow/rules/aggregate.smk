# Aggregation: the sweep's Top-1 / Top-k table, the confirmation's seed statistics, plots,
# results/metrics.json (dvc metrics show) and plots/data/*.csv (dvc plots show).

# Every file goes to the study's out dir (PATHS.table, PATHS.plot, PATHS.metrics).
# Image samples and 2-D mixture scatters have their own captions.
IMAGE_EXPERIMENTS = [e for e in STUDY.experiments if STUDY.metric(e) == "fid"]
MIXTURE_EXPERIMENTS = [e for e in STUDY.experiments if STUDY.metric(e) != "fid"]
# β diagnostics are drawn for the experiments that run a CG method.
BETA_EXPERIMENTS = [
    e for e in STUDY.experiments if any(is_cg_method(m) for m in STUDY.methods(e))
]


# Experiments set beside published numbers (config key `published`: a replication arm).
PUBLISHED = [e for e in STUDY.experiments if STUDY.experiment(e).get("published")]


rule aggregate:
    input:
        sweep=all_sweep_summaries,
        selection=[PATHS.selection(e) for e in STUDY.experiments],
        confirmation=confirmation_summaries,
        calibration=calibration_outputs(),
    output:
        summary_md=PATHS.table("summary.md"),
        summary_csv=report(
            PATHS.table("summary.csv"),
            caption="../report/summary.rst",
            category="Tables",
            labels={"table": "summary"},
        ),
        paper_md=PATHS.table("paper_table.md"),
        paper_tex=PATHS.table("paper_table.tex"),
        paper_csv=report(
            PATHS.table("paper_table.csv"),
            caption="../report/paper_table.rst",
            category="Tables",
            labels={"table": "paper table (sweep Top-1 / Top-k)"},
        ),
        seeds_md=PATHS.table("seeds.md"),
        seeds_tex=PATHS.table("seeds.tex"),
        seeds_csv=report(
            PATHS.table("seeds.csv"),
            caption="../report/seeds.rst",
            category="Tables",
            labels={"table": "seeds (confirmation)"},
        ),
        calibration_md=PATHS.table("calibration.md"),
        calibration_csv=report(
            PATHS.table("calibration.csv"),
            caption="../report/calibration.rst",
            category="Tables",
            labels={"table": "calibration (real floor, noise reference)"},
        ),
        claims_md=PATHS.table("claims.md"),
        claims_csv=report(
            PATHS.table("claims.csv"),
            caption="../report/claims.rst",
            category="1. Claims",
            labels={"table": "claims check"},
        ),
        runs_csv=report(
            PATHS.table("runs.csv"),
            caption="../report/runs.rst",
            category="Tables",
            labels={"table": "runs (one row per run)"},
        ),
        pairs_md=PATHS.table("cg_vs_momentum.md"),
        pairs_csv=report(
            PATHS.table("cg_vs_momentum.csv"),
            caption="../report/cg_vs_momentum.rst",
            category="Tables",
            labels={"table": "CG vs matched momentum"},
        ),
        metrics=PATHS.metrics,
        beta=report(
            expand(PATHS.plot("beta_{experiment}.png"), experiment=BETA_EXPERIMENTS),
            caption="../report/beta.rst",
            category="Beta",
        ),
        beta_data=expand(
            PATHS.plot("data/beta_{experiment}.csv"), experiment=BETA_EXPERIMENTS
        ),
        published=published_outputs(),
        curves=report(
            expand(
                PATHS.plot("curves_{experiment}.png"), experiment=STUDY.experiments
            ),
            caption="../report/curves.rst",
            category="Curves",
        ),
        curves_data=expand(
            PATHS.plot("data/curves_{experiment}.csv"), experiment=STUDY.experiments
        ),
        sweep=report(
            expand(PATHS.plot("sweep_{experiment}.png"), experiment=STUDY.experiments),
            caption="../report/sweep.rst",
            category="Sweep",
        ),
        samples=report(
            expand(
                PATHS.plot("samples_{experiment}.png"), experiment=IMAGE_EXPERIMENTS
            ),
            caption="../report/samples.rst",
            category="Samples",
        ),
        mixture_samples=report(
            expand(
                PATHS.plot("samples_{experiment}.png"), experiment=MIXTURE_EXPERIMENTS
            ),
            caption="../report/mixture.rst",
            category="Samples",
        ),
    log:
        PATHS.log("aggregate"),
    params:
        study=STUDY_JSON,
        # the library and script code it runs: a change re-aggregates (never retrains)
        code=source_fingerprint("scripts/aggregate.py"),
        # the directories of the selection files and of the tables (<out dir>/tables/...)
        selection=lambda wc, input: os.path.dirname(input.selection[0]),
        out_dir=lambda wc, output: os.path.dirname(os.path.dirname(output.summary_md)),
    shell:
        "{PYTHON:q} scripts/aggregate.py --study-config {params.study:q}"
        " --selection-dir {params.selection:q} --out-dir {params.out_dir:q}"
        " > {log:q} 2>&1"


rule all_tables:
    input:
        aggregate_outputs(),
        set_aside_targets(),
