"""profiles/cluster-generic (snakemake-executor-plugin-cluster-generic) with a stand-in
PBS scheduler, and its status command for SGE and LSF.

The profile runs unchanged: stand-in ``qsub``, ``qstat`` and ``qdel`` executables
(tests/pipeline/stand_in_pbs/) come first on PATH. ``qsub`` records its arguments,
starts the jobscript in the background and prints a job id; ``qstat -fx`` reports the
job as queued, running or finished with its exit status; ``qdel`` sends SIGTERM to the
job's process group. The profile's ``status.sh pbs`` turns that into
running/success/failed.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from .conftest import (
    REPO,
    SNAKEMAKE,
    assert_ring8_rows_match,
    copy_repo,
    env,
    ring8_only,
)

STAND_IN = Path(__file__).resolve().parent / "stand_in_pbs"
STATUS = REPO / "profiles" / "cluster-generic" / "status.sh"
TIMEOUT_S = 900


@pytest.mark.slow
def test_ci_study_through_cluster_generic_matches_the_local_run(ci_study, tmp_path):
    """The ci study's ring8 runs (same specs) through the profile give the local run's
    table rows; ring8 alone keeps this about a dozen jobs."""
    local_root, _ = ci_study
    root = copy_repo(tmp_path / "repo")
    config = ring8_only(root, "ci")
    state = tmp_path / "pbs"
    state.mkdir()
    e = env()
    e["PATH"] = f"{STAND_IN}{os.pathsep}{e['PATH']}"
    e["STANDIN_PBS_DIR"] = str(state)
    cmd = [
        "timeout",
        "-k",
        "15",
        str(TIMEOUT_S),
        SNAKEMAKE,
        "--profile",
        "profiles/cluster-generic",
        "--configfile",
        config,
        # one thread per job, as the local run: thread count changes float reductions
        # (the profile's set-resources, GPUs included, stay: device auto is the CPU here
        # as in the local run)
        # the sweep in chunks of 2 runs (train_chunk) and the confirmation seeds of a
        # setting in one job (train_seeds): their runs are the runs of one-run jobs
        # (compared below with the local ci study, which runs one job per run)
        "--config",
        "sweep_chunk=2",
        "group_seeds=True",
        "--set-threads",
        "train=1",
        "fid_stats=1",
        "calibrate=1",
    ]
    proc = subprocess.run(
        cmd, cwd=root, env=e, capture_output=True, text=True, timeout=TIMEOUT_S + 60
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]

    # Every training run went through the stand-in scheduler, with the profile's
    # per-rule resources in the qsub line, and ended with exit status 0.
    submissions = (state / "submissions.log").read_text().splitlines()
    # Rules train (one run), train_chunk (a chunk of the sweep) and train_seeds (the
    # confirmation seeds of a setting): each asks for what the profile sets for
    # `train`, with the runtime of all its runs.
    train = [line for line in submissions if re.search(r"-N smk\.train\w* ", line)]
    rules = {re.search(r"-N smk\.(\w+) ", line).group(1) for line in train}
    assert {"train_chunk", "train_seeds"} <= rules, rules
    n_runs = len(list((root / "results/runs/ci").rglob("summary.json")))
    local_runs = list((local_root / "results/runs/ci/ring8").rglob("summary.json"))
    assert train and n_runs == len(local_runs) > 0, out[-3000:]
    for line in train:
        assert "-l select=1:ncpus=1:mem=16000mb:ngpus=1" in line, line
        walltime = int(re.search(r"-l walltime=(\d+):00", line).group(1))
        assert walltime % 720 == 0 and " -r y " in line, line
    assert any(
        "smk.train_chunk " in line and "walltime=1440:00" in line for line in train
    )
    ids = {line.split()[0] for line in submissions}
    assert ids <= set(re.findall(r"external jobid '([^']+)'", out))
    exits = [(d / "exit").read_text().strip() for d in state.glob("job.*")]
    assert len(exits) == len(submissions) and set(exits) == {"0"}
    assert not (state / "cancelled.log").exists()

    assert_ring8_rows_match(root, local_root)


# ------------------------------------------------------- status.sh, one per scheduler


def _status(tmp_path: Path, scheduler: str, fakes: dict[str, str]) -> str:
    """status.sh SCHEDULER 42 with fake scheduler commands (name -> bash body)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in fakes.items():
        path = bin_dir / name
        path.write_text(f"#!/usr/bin/env bash\n{body}\n")
        path.chmod(0o755)
    e = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}/usr/bin:/bin")
    proc = subprocess.run(
        ["bash", str(STATUS), scheduler, "42"],
        capture_output=True,
        text=True,
        env=e,
        timeout=30,
        check=True,
    )
    return proc.stdout


@pytest.mark.parametrize(
    "qstat, expected",
    [
        ('echo "    job_state = Q"', "running"),
        ('echo "    job_state = R"', "running"),
        ('printf "    job_state = F\\n    Exit_status = 0\\n"', "success"),
        ('printf "    job_state = F\\n    Exit_status = 143\\n"', "failed"),
        # Torque: no -x; completed jobs kept with job_state C and exit_status
        (
            '[ "$1" = -fx ] && exit 2; '
            'printf "    job_state = C\\n    exit_status = 0\\n"',
            "success",
        ),
        ("echo 'qstat: Unknown Job Id 42' >&2; exit 153", "failed"),
    ],
)
def test_status_pbs(tmp_path, qstat, expected):
    assert _status(tmp_path, "pbs", {"qstat": qstat}) == f"{expected}\n"


@pytest.mark.parametrize(
    "fakes, expected",
    [
        ({"qstat": "exit 0", "qacct": "exit 1"}, "running"),
        (
            {"qstat": "exit 1", "qacct": 'printf "failed 0\\nexit_status 0\\n"'},
            "success",
        ),
        (
            {"qstat": "exit 1", "qacct": 'printf "failed 0\\nexit_status 143\\n"'},
            "failed",
        ),
        (
            {"qstat": "exit 1", "qacct": 'printf "failed 37\\nexit_status 0\\n"'},
            "failed",
        ),
    ],
)
def test_status_sge(tmp_path, fakes, expected):
    assert _status(tmp_path, "sge", fakes) == f"{expected}\n"


@pytest.mark.parametrize(
    "stat, expected",
    [("PEND", "running"), ("RUN", "running"), ("DONE", "success"), ("EXIT", "failed")],
)
def test_status_lsf(tmp_path, stat, expected):
    assert _status(tmp_path, "lsf", {"bjobs": f"echo {stat}"}) == f"{expected}\n"


def test_bsub_submit_passes_the_jobscript_on_stdin_and_prints_the_id(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "bsub").write_text(
        "#!/usr/bin/env bash\n"
        f'echo "$@" > {tmp_path}/args; cat > {tmp_path}/stdin\n'
        'echo "Job <4711> is submitted to default queue <normal>."\n'
    )
    (bin_dir / "bsub").chmod(0o755)
    jobscript = tmp_path / "snakejob.train.1.sh"
    jobscript.write_text("#!/bin/sh\necho train\n")
    proc = subprocess.run(
        ["bash", str(STATUS.parent / "bsub-submit.sh"), "-J", "smk.train", "-n", "4"]
        + [str(jobscript)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PATH=f"{bin_dir}{os.pathsep}/usr/bin:/bin"),
        timeout=30,
        check=True,
    )
    assert proc.stdout == "4711\n"
    assert (tmp_path / "args").read_text() == "-J smk.train -n 4\n"
    assert (tmp_path / "stdin").read_text() == jobscript.read_text()
