"""The SLURM profile on a real single-node SLURM cluster started on this machine.

Installs Debian's slurmctld, slurmd, slurm-client and munge (as root, with apt-get),
starts munge, slurmctld and slurmd as docs/cluster.md describes (no accounting
database: the profile polls with squeue), runs config/ci.yaml through
`--profile profiles/slurm` and stops the daemons it started. Skipped, with the reason,
when not root or when the packages cannot be installed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import SNAKEMAKE, assert_ring8_rows_match, copy_repo, env, ring8_only

pytestmark = pytest.mark.slow

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
SLURM_CONF = Path("/etc/slurm/slurm.conf")
TIMEOUT_S = 900


def _sh(cmd: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", cmd], capture_output=True, text=True, timeout=timeout
    )


def _install() -> str | None:
    """Install the packages if missing; the reason they cannot be, or None."""
    if all(shutil.which(b) for b in ("slurmctld", "slurmd", "sbatch", "munged")):
        return None
    if not shutil.which("apt-get"):
        return "apt-get not available"
    quiet = "DEBIAN_FRONTEND=noninteractive"
    proc = _sh(
        f"{quiet} apt-get update -q && {quiet} apt-get install -y -q "
        f"--no-install-recommends {' '.join(PACKAGES)}",
        timeout=600,
    )
    if proc.returncode != 0:
        return (
            f"apt-get install {' '.join(PACKAGES)} failed: {proc.stderr.strip()[-300:]}"
        )
    return None


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _munge_ok() -> bool:
    return _sh("munge -n | unmunge", timeout=20).returncode == 0


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A running single-node cluster; its daemons are stopped (by PID) at the end."""
    if os.geteuid() != 0:
        pytest.skip("the SLURM test installs and starts daemons: it must run as root")
    reason = _install()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("slurm")
    for sub in ("state", "spool", "log"):
        (work / sub).mkdir()
    started: list[subprocess.Popen] = []
    munged_pid: int | None = None
    backup = None
    try:
        if not _munge_ok():
            _sh("mkdir -p /run/munge && chown munge:munge /run/munge")
            proc = _sh("runuser -u munge -- /usr/sbin/munged")
            assert proc.returncode == 0, proc.stderr
            pidfile = Path("/run/munge/munged.pid")
            munged_pid = int(pidfile.read_text()) if pidfile.is_file() else None
            _wait(_munge_ok, 20, "munge")

        host = socket.gethostname().split(".")[0]
        node = _sh("slurmd -C").stdout
        memory = int(re.search(r"RealMemory=(\d+)", node).group(1))
        cpus = int(re.search(r"CPUs=(\d+)", node).group(1))
        real_memory = max(memory - 512, 1024)
        conf = f"""ClusterName=ci
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={work}/state
SlurmdSpoolDir={work}/spool
SlurmctldPidFile={work}/slurmctld.pid
SlurmdPidFile={work}/slurmd.pid
SlurmctldLogFile={work}/log/slurmctld.log
SlurmdLogFile={work}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
MinJobAge=300
KillWait=5
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={real_memory} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""
        # The plugin's job step drops SLURM_CONF: the file must be at
        # /etc/slurm/slurm.conf.
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        if SLURM_CONF.exists():
            backup = SLURM_CONF.read_bytes()
        SLURM_CONF.write_text(conf)
        for cmd, log in (
            (["slurmctld", "-D", "-i"], "slurmctld.out"),
            (["slurmd", "-D"], "slurmd.out"),
        ):
            started.append(
                subprocess.Popen(
                    cmd,
                    stdout=open(work / log, "w"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        _wait(
            lambda: _sh("sinfo -h -o %T", timeout=10).stdout.strip() == "idle",
            60,
            "the node to be idle",
        )
        yield work
    finally:
        for proc in reversed(started):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if munged_pid:
            try:
                os.kill(munged_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if backup is not None:
            SLURM_CONF.write_bytes(backup)
        elif SLURM_CONF.exists() and started:
            SLURM_CONF.unlink()


def test_ci_study_runs_through_slurm_and_matches_the_local_run(
    slurm_cluster, ci_study, tmp_path
):
    """The ci study's ring8 runs (same specs) through SLURM give the local run's table
    rows; ring8 alone keeps this about a dozen jobs."""
    local_root, _ = ci_study
    root = copy_repo(tmp_path / "repo")
    config = ring8_only(root, "ci")
    cmd = [
        "timeout",
        "-k",
        "15",
        str(TIMEOUT_S),
        SNAKEMAKE,
        "--profile",
        "profiles/slurm",
        "--configfile",
        config,
        "--set-resources",
        "train:gpu=0",
        "fid_stats:gpu=0",
        "calibrate:gpu=0",
        # one thread per job, as the local run: thread count changes float reductions
        "--set-threads",
        "train=1",
        "fid_stats=1",
        "calibrate=1",
        "--slurm-keep-successful-logs",
    ]
    proc = subprocess.run(
        cmd, cwd=root, env=env(), capture_output=True, text=True, timeout=TIMEOUT_S + 60
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]

    # The jobs went through SLURM: submitted with SLURM job ids, one log per job id.
    ids = set(re.findall(r"SLURM jobid (\d+)", out))
    # (a job trains one run, a chunk of sweep runs or a setting's seeds)
    n_train = len(list((root / "results/runs/ci").rglob("summary.json")))
    local_runs = list((local_root / "results/runs/ci/ring8").rglob("summary.json"))
    assert ids and n_train == len(local_runs) > 0, out[-3000:]
    logs = list((root / ".snakemake/slurm_logs").rglob("*.log"))
    assert {p.stem for p in logs if p.stem.isdigit()} & ids
    assert any("rule_train" in str(p) for p in logs)

    # The same table as the local run (same specs, seeds and
    # single-thread CPU training).
    assert_ring8_rows_match(root, local_root)
