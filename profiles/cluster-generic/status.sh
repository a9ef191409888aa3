#!/usr/bin/env bash
# Job status for snakemake-executor-plugin-cluster-generic: `status.sh SCHEDULER JOBID`
# prints exactly one of running, success, failed (the job's exit status decides).
#   pbs    PBS Pro / OpenPBS: qstat -fx (finished jobs too); Torque: qstat -f with
#          keep_completed set on the server (job_state C and exit_status)
#   sge    SGE / Grid Engine: qstat -j while queued or running, then qacct -j
#   lsf    LSF: bjobs -o stat (DONE, EXIT; anything else is running)
# A job the scheduler no longer knows is reported failed: Snakemake then resubmits it
# (retries) and the run resumes from its checkpoint.
set -u
scheduler=$1
jobid=$2

case "$scheduler" in
pbs)
  info=$(qstat -fx "$jobid" 2>/dev/null || qstat -f "$jobid" 2>/dev/null) || {
    echo failed
    exit 0
  }
  state=$(sed -n 's/^ *job_state = \(.\).*/\1/p' <<<"$info" | head -1)
  code=$(sed -n 's/^ *[Ee]xit_status = \(-\{0,1\}[0-9]*\).*/\1/p' <<<"$info" | head -1)
  case "$state" in
  F | C) [ "${code:-1}" = 0 ] && echo success || echo failed ;;
  "") echo failed ;;
  *) echo running ;;
  esac
  ;;
sge)
  if qstat -j "$jobid" >/dev/null 2>&1; then
    echo running
    exit 0
  fi
  acct=$(qacct -j "$jobid" 2>/dev/null) || {
    echo running # accounting is written with a delay after the job leaves the queue
    exit 0
  }
  failed=$(awk '$1 == "failed" {print $2}' <<<"$acct" | tail -1)
  code=$(awk '$1 == "exit_status" {print $2}' <<<"$acct" | tail -1)
  [ "${failed:-1}" = 0 ] && [ "${code:-1}" = 0 ] && echo success || echo failed
  ;;
lsf)
  stat=$(bjobs -noheader -o stat "$jobid" 2>/dev/null | head -1 | tr -d ' ')
  case "$stat" in
  DONE) echo success ;;
  EXIT | "") echo failed ;;
  *) echo running ;;
  esac
  ;;
*)
  echo "status.sh: unknown scheduler '$scheduler' (pbs, sge or lsf)" >&2
  exit 2
  ;;
esac
