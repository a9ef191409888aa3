# Toy games (cggan.toy): every trajectory of cggan.toy.default_toy_runs() (each registry
# method on the CG paper's game, and Liang & Stokes' theory runs on the bilinear and quadratic
# games), then the theory-check table and the CG paper's toy figure.
#
# The trajectories take milliseconds each, Python + torch start-up seconds: they run in ONE
# job (a `run:` block calling the library, as scripts/toy.py does for one run) instead of 30
# processes. The run list imports the method registry (torch), so it is only built when
# toy.enabled is true.

TOY = f"{RESULTS}/toy"


def _toy_runs():
    if not config["toy"]["enabled"]:
        return {}
    from cggan.toy import default_toy_runs

    return {run.relpath: run for run in default_toy_runs()}


TOY_RUNS = _toy_runs()


rule toy_games:
    output:
        [f"{TOY}/{relpath}" for relpath in TOY_RUNS],
    log:
        f"{LOGS}/toy/games.log",
    run:
        import time

        import torch

        from cggan.toy import write_trajectory_csv

        torch.set_num_threads(1)
        with open(log[0], "w") as fh:
            for relpath, toy_run in TOY_RUNS.items():
                start = time.perf_counter()
                write_trajectory_csv(f"{TOY}/{relpath}", toy_run.run())
                # the equivalent command line, for running one trajectory by hand
                args = " ".join(shlex.quote(a) for a in toy_run.cli_args(f"{TOY}/{relpath}"))
                fh.write(f"{time.perf_counter() - start:.3f}s  scripts/toy.py {args}\n")


def toy_report_outputs():
    if not TOY_RUNS:
        return []
    return [
        f"{OUT}/tables/toy_theory.md",
        f"{OUT}/tables/toy_theory.csv",
        f"{OUT}/plots/toy_cg_paper.png",
    ]


rule toy_report:
    input:
        [f"{TOY}/{relpath}" for relpath in TOY_RUNS],
    output:
        table_md=f"{OUT}/tables/toy_theory.md",
        table_csv=report(
            f"{OUT}/tables/toy_theory.csv",
            caption="../report/toy.rst",
            category="Toy games",
            labels={"figure": "theory check"},
        ),
        figure=report(
            f"{OUT}/plots/toy_cg_paper.png",
            caption="../report/toy.rst",
            category="Toy games",
            labels={"figure": "CG paper game"},
        ),
    log:
        f"{LOGS}/toy/report.log",
    shell:
        "{PYTHON:q} scripts/toy_report.py --toy-dir {TOY:q}"
        " --out-table {output.table_md:q} --out-table-csv {output.table_csv:q}"
        " --out-figure {output.figure:q} > {log:q} 2>&1"


rule all_toy:
    input:
        toy_report_outputs(),


rule all_toy_games:
    input:
        [f"{TOY}/{relpath}" for relpath in TOY_RUNS],
