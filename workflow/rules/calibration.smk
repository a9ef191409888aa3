# The scale of every FID experiment: the real floor (held-out real images) and the noise
# ceiling (pixel noise with the data's per-channel mean and std), on the experiment's
# reference statistics and N (cggan.metrics.calibration). Aggregation sets both beside
# every FID table.

CALIBRATED = [e for e in STUDY.experiments if STUDY.calibration_path(e)]


def calibration_outputs():
    return [STUDY.calibration_path(e) for e in CALIBRATED]


def _calibration_experiment(wc):
    for exp in CALIBRATED:
        if (
            STUDY.calibration_path(exp)
            == f"{RESULTS}/calibration/{wc.calibration}.json"
        ):
            return exp
    raise ValueError(f"Invalid calibration: {wc.calibration} (not of this study)")


def calibration_args(wc):
    exp = _calibration_experiment(wc)
    e, ev = STUDY.experiment(exp), STUDY.experiment(exp)["eval"]
    args = [
        "--dataset",
        e["dataset"],
        "--image-size",
        str(e["image_size"]),
        "--reference-split",
        ev["reference_split"],
        "--n",
        str(ev["n_samples"]),
        "--batch-size",
        str(ev["batch_size"]),
    ]
    if ev["preprocessing"] != "fixed":  # the default keeps older command lines valid
        args += ["--preprocessing", ev["preprocessing"]]
    if ev["extractor"] == "inception" and config["fid"]["inception_weights"]:
        args += ["--inception-weights", config["fid"]["inception_weights"]]
    return " ".join(shlex.quote(a) for a in args)


rule calibrate:
    input:
        stats=lambda wc: STUDY.fid_stats_path(_calibration_experiment(wc)),
        manifest=lambda wc: STUDY.manifest(
            STUDY.experiment(_calibration_experiment(wc))["dataset"]
        ),
    output:
        f"{RESULTS}/calibration/{{calibration}}.json",
    log:
        f"{LOGS}/calibration/{{calibration}}.log",
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
