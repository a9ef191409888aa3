# Toy games (cggan.toy): every run of the config's toy: section (cggan.toy.toy_runs:
# per game, groups of methods at a learning rate or Liang & Stokes' theory step
# size), then the theory-check table and the CG paper's toy figure.
#
# The trajectories take milliseconds each, Python + torch start-up seconds:
# toy_games runs them all in ONE process (scripts/toy.py --toy-config) instead of one
# per run; its log records the equivalent single-run scripts/toy.py command of each.
# The run list is torch-free (cggan.toy.toy_relpaths) and only built when
# toy.enabled is true.

# Each study has its own toy results under its out dir (PATHS.toy_dir): results/toy for the
# default study, results/studies/<study>/toy otherwise (switching study never reruns
# another's games).
# What the toy jobs rebuild their run list from: the toy section only, so that a
# change elsewhere in the study reruns no toy job (a change of the section reruns them).
TOY_JSON = json.dumps(config["toy"], sort_keys=True, separators=(",", ":"))
# The configured toy runs' CSV paths under PATHS.toy_dir (none when toy.enabled is false).
TOY_RELPATHS = _toy_relpaths()


# The toy jobs' code param (cggan.fingerprint.source_fingerprint): a change of the library
# or of their script reruns them (milliseconds of games), a comment does not.
rule toy_games:
    output:
        toy_trajectories(),
    log:
        PATHS.log("toy_games"),
    params:
        toy=TOY_JSON,
        code=source_fingerprint("scripts/toy.py"),
        # every output is <toy dir>/<game>/<run>.csv
        toy_dir=lambda wc, output: os.path.dirname(os.path.dirname(output[0])),
    shell:
        "{PYTHON:q} scripts/toy.py --toy-config {params.toy:q}"
        " --out-dir {params.toy_dir:q}"
        " > {log:q} 2>&1"


rule toy_report:
    input:
        toy_trajectories(),
    output:
        table_md=PATHS.table("toy_theory.md"),
        table_csv=report(
            PATHS.table("toy_theory.csv"),
            caption="../report/toy.rst",
            category="Toy games",
            labels={"figure": "theory check"},
        ),
        figure=report(
            PATHS.plot("toy_cg_paper.png"),
            caption="../report/toy.rst",
            category="Toy games",
            labels={"figure": "CG paper game"},
        ),
    log:
        PATHS.log("toy_report"),
    params:
        toy=TOY_JSON,
        code=source_fingerprint("scripts/toy_report.py"),
        toy_dir=lambda wc, input: os.path.dirname(os.path.dirname(input[0])),
    shell:
        "{PYTHON:q} scripts/toy_report.py --toy-dir {params.toy_dir:q}"
        " --toy-config {params.toy:q}"
        " --out-table {output.table_md:q} --out-table-csv {output.table_csv:q}"
        " --out-figure {output.figure:q} > {log:q} 2>&1"


rule all_toy:
    input:
        toy_report_outputs(),


rule all_toy_games:
    input:
        toy_trajectories(),
