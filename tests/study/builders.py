"""Builders shared by the study layer's tests: a small schema-complete config, and a
finished run on disk."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from cggan import study as cs
from cggan.io import sha256_file
from cggan.study.config_file import schema_defaults

SCHEMA = Path(__file__).resolve().parents[2] / "workflow/schemas/config.schema.yaml"
SCHEMA_DEFAULTS = schema_defaults(SCHEMA)


def make_config(**overrides):
    """A small, valid, schema-complete config (defaults written out as the
    schema fills them)."""
    config = {
        "study": "t",
        "data_root": "results/data",
        "download": False,
        "device": "cpu",
        "fid": {"inception_weights": None},
        "experiments": {
            "digits": {
                "dataset": "digits",
                "image_size": 16,
                "model": "dcgan",
                "model_kwargs": {"ngf": 8, "ndf": 8},
                "z_dim": 16,
                "loss": "bce",
                "n_critic": 1,
                "batch_size": 32,
                "iterations": 40,
                "checkpoint_every": 20,
                "methods": None,
                "lr_rules": None,
                "eval": {
                    "metric": "fid",
                    "every": 10,
                    "n_samples": 200,
                    "batch_size": 100,
                    "extractor": "classifier",
                    "dims": 128,
                    "reference_split": "train",
                    "reference_n": 1437,
                    "preprocessing": "fixed",
                },
            },
            "ring8": {
                "dataset": "ring8",
                "image_size": None,
                "model": "mlp",
                "model_kwargs": {},
                "z_dim": 8,
                "loss": "bce",
                "n_critic": 1,
                "batch_size": 64,
                "iterations": 50,
                "checkpoint_every": 50,
                "methods": ["sgd", "momentum", "cg_fr"],
                "lr_rules": ["constant"],
                "eval": {
                    "metric": "modes",
                    "every": 10,
                    "n_samples": 500,
                    "batch_size": 500,
                    "extractor": "classifier",
                    "dims": 2048,
                    "reference_split": "train",
                    "reference_n": 10000,
                },
            },
        },
        "methods": {
            "sgd": {},
            "momentum": {"momentum": [0.25, 0.5, 0.9]},
            "adam": {"lr_g": [1e-4]},
            "cg_fr": {"beta_coeff": [0.5, 1.0]},
        },
        "lr_rules": {
            "constant": {
                "lr_d": [1e-3, 5e-4],
                "lr_g": [1e-3, 5e-4, 1e-4],
                "kwargs": {},
            },
            "power": {
                "lr_d": [1e-2],
                "lr_g": [1e-2],
                "kwargs": {"eta_g": 0.6, "eta_d": 0.7},
            },
        },
        "sweep_seeds": [0],
        "seeds": [1, 2, 3],
        "selection": {"by": "final"},
        "aggregate": {"top_k": 10, "confidence": 0.95},
        "toy": {"enabled": False},
        # the analysis plan's sections as the schema fills them (its one home)
        "analysis": copy.deepcopy(SCHEMA_DEFAULTS["analysis"]),
        "convergence": copy.deepcopy(SCHEMA_DEFAULTS["convergence"]),
    }
    config.update(overrides)
    return config


def finished_run(tmp_path, st, index=0):
    run = st.sweep_run_dirs("digits")[index]
    where = cs.parse_run_dir(run)
    spec = st.run_spec(
        where["experiment"], where["method"], where["lr_rule"], where["setting"], 0
    )
    (tmp_path / run).mkdir(parents=True)
    (tmp_path / run / "metrics.csv").write_text("iteration,fid\n40,12.5\n")

    files = {"metrics.csv": sha256_file(tmp_path / run / "metrics.csv")}
    summary = {"status": "finished", "spec": spec, "final_metric": 12.5, "files": files}
    (tmp_path / run / "summary.json").write_text(json.dumps(summary))
    return tmp_path / run


def sgd_two_settings_config():
    """One pool (sgd x constant) with two settings (lr_G 1e-3 and 5e-4)."""
    config = make_config()
    config["experiments"]["digits"]["methods"] = ["sgd"]
    config["lr_rules"] = {
        "constant": {"lr_d": [1e-3], "lr_g": [1e-3, 5e-4], "kwargs": {}}
    }
    return config


def sweep_record(
    method, rule, setting, status, final, best=None, lr=(1e-3, 1e-3), seed=0
):
    """One sweep run as the selection reads it (a summary with its spec)."""
    return {
        "method": method,
        "lr_rule": rule,
        "setting": setting,
        "seed": seed,
        "summary": {
            "status": status,
            "final_metric": final,
            "best_metric": final if best is None else best,
            "spec": {"lr_d": lr[0], "lr_g": lr[1], "method_kwargs": {}},
        },
    }
