# Datasets: built (digits, 2-D mixtures) or downloaded (only with `download: true`), verified,
# cached in <data_root>/<dataset>/; the manifest is written last and marks the dataset ready.


rule prepare_data:
    output:
        PATHS.manifest("{dataset}"),
    log:
        PATHS.log("prepare_data"),
    resources:
        mem_mb=JOB_RESOURCES["mem_mb"],
        runtime=JOB_RESOURCES["runtime"],
    params:
        # the data root: the output is <data_root>/<dataset>/manifest.json
        root=lambda wc, output: os.path.dirname(os.path.dirname(output[0])),
        image_size=lambda wc: (
            f"--image-size {STUDY.datasets[wc.dataset]}"
            if STUDY.datasets[wc.dataset]
            else ""
        ),
        download="--download" if config["download"] else "",
    shell:
        "{PYTHON:q} scripts/prepare_data.py --dataset {wildcards.dataset}"
        " --root {params.root:q} {params.image_size} {params.download} > {log:q} 2>&1"


rule all_data:
    input:
        [PATHS.manifest(d) for d in STUDY.datasets],
