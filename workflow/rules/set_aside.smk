# Set-asides (cggan.study.set_asides). Planning reads only; a file it found unusable - a
# run's summary that cannot be read or is not its metrics.csv's (reason `unreadable`), a
# run of other training code (`stale`, its checkpoints with it), a hand-edited selection
# (`edited`), a chunk receipt that no longer vouches for its runs (`invalid`) - is renamed
# <file>.<digest>.<reason> by this job: in a real run only, under the study's lock. It is a
# checkpoint: the job that makes the file again waits for it (functions.smk:
# after_set_asides) and is planned anew once it ran, its output then missing; the targets
# name every set-aside (set_aside_targets). The file is kept for inspection;
# `scripts/restore_stale.py` puts a stale run back.


checkpoint set_aside:
    output:
        "{path}.{digest}.{reason}",
    log:
        PATHS.log("set_aside"),
    wildcard_constraints:
        path=rf"{PATHS.results}/.+",
        digest=r"[0-9a-f]{12}",
        reason="|".join(SET_ASIDE_REASONS),
    shell:
        "{PYTHON:q} scripts/set_aside.py {output:q} > {log:q} 2>&1"
