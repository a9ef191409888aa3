# FID reference statistics, one file per protocol (dataset, size, split, extractor, dims, n),
# named by cggan.metrics.stats_filename; the JSON beside the npz records the protocol.


def fid_stats_args(wc):
    s = STUDY.fid_stats[wc.stats]
    args = [
        "--dataset",
        s["dataset"],
        "--image-size",
        str(s["image_size"]),
        "--extractor",
        s["extractor"],
        "--dims",
        str(s["dims"]),
        "--n",
        str(s["n"]),
        "--split",
        s["split"],
    ]
    if s["preprocessing"] != "fixed":  # the default keeps older command lines valid
        args += ["--preprocessing", s["preprocessing"]]
    if s["extractor"] == "inception" and config["fid"]["inception_weights"]:
        args += ["--inception-weights", config["fid"]["inception_weights"]]
    return " ".join(shlex.quote(a) for a in args)


rule fid_stats:
    input:
        lambda wc: STUDY.manifest(STUDY.fid_stats[wc.stats]["dataset"]),
    output:
        npz=f"{RESULTS}/fid_stats/{{stats}}.npz",
        protocol=f"{RESULTS}/fid_stats/{{stats}}.json",
    log:
        f"{LOGS}/fid_stats/{{stats}}.log",
    threads: 1
    resources:
        mem_mb=JOB_RESOURCES["mem_mb"],
        runtime=JOB_RESOURCES["runtime"],
        gpu=JOB_RESOURCES["gpu"],
    params:
        args=fid_stats_args,
        root=config["data_root"],
        device=DEVICE,
    shell:
        "{PYTHON:q} scripts/fid_stats.py {params.args} --data-root {params.root:q}"
        " --threads {threads} --device {params.device} --out {output.npz:q} > {log:q} 2>&1"


rule all_fid_stats:
    input:
        [f"{RESULTS}/fid_stats/{key}.npz" for key in STUDY.fid_stats],
