#!/usr/bin/env bash
# LSF submission for snakemake-executor-plugin-cluster-generic (docs/cluster.md):
# `bsub-submit.sh BSUB_OPTIONS... JOBSCRIPT` passes the jobscript on standard input, as
# bsub wants it, and prints only the job id ("Job <123> is submitted ..." -> 123).
set -euo pipefail
jobscript=${!#}
set -- "${@:1:$#-1}"
bsub "$@" <"$jobscript" | sed -n 's/^Job <\([0-9]*\)>.*/\1/p'
