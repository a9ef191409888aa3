# FID reference statistics, one file per FID protocol (dataset, size, split, extractor,
# dims, n, preprocessing: cggan.fid_protocol.FIDProtocol names the file and writes the
# flags); the JSON beside the npz records the protocol.


rule fid_stats:
    input:
        lambda wc: PATHS.manifest(STUDY.fid_stats[wc.stats].dataset),
    output:
        npz=PATHS.fid_stats("{stats}.npz"),
        protocol=PATHS.fid_stats("{stats}.json"),
    log:
        PATHS.log("fid_stats"),
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
        [PATHS.fid_stats(p.stats_filename()) for p in STUDY.fid_stats.values()],
