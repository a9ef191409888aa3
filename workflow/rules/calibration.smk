# The scale of every FID experiment: the real floor (held-out real images) and the noise
# ceiling (pixel noise with the data's per-channel mean and std), on the experiment's
# reference statistics and N (cggan.metrics.calibration). Aggregation sets both beside
# every FID table.

CALIBRATED = [e for e in STUDY.experiments if STUDY.calibration_path(e)]


rule calibrate:
    input:
        stats=lambda wc: STUDY.fid_stats_path(_calibration_experiment(wc)),
        manifest=lambda wc: PATHS.manifest(
            STUDY.experiment(_calibration_experiment(wc))["dataset"]
        ),
    output:
        PATHS.calibration("{calibration}.json"),
    log:
        PATHS.log("calibrate"),
    threads: 1
    resources:
        mem_mb=JOB_RESOURCES["mem_mb"],
        runtime=JOB_RESOURCES["runtime"],
        gpu=JOB_RESOURCES["gpu"],
    params:
        args=calibration_args,
        root=config["data_root"],
        device=DEVICE,
    shell:
        "{PYTHON:q} scripts/calibrate.py --stats {input.stats:q} {params.args}"
        " --data-root {params.root:q} --threads {threads} --device {params.device}"
        " --out {output:q} > {log:q} 2>&1"
