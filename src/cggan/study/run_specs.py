"""One planned run of a study -> its run spec (the JSON of a validated
:class:`cggan.spec.RunSpec`).

The spec is what ``scripts/train.py --spec`` reads and ``summary.json`` stores: the
experiment's dataset, model and training protocol, the method and learning-rate rule
with one setting of their sweep, and the seed. FID runs carry their FID protocol in
``eval`` (:data:`cggan.fid_protocol.EVAL_KEYS`: the key of the reference statistics
they are scored against). Torch-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cggan.fid_protocol import EVAL_KEYS
from cggan.registry import IMAGE_DATASETS
from cggan.spec import RunSpec
from cggan.study.layout import Setting

__all__ = ["run_spec_json"]


def run_spec_json(
    config: Mapping[str, Any],
    exp: str,
    method: str,
    rule: str,
    setting: Setting,
    seed: int,
) -> dict[str, Any]:
    """The run spec's JSON object of one run of a validated study ``config``.

    Raises:
        ValueError: a value the spec refuses (one line naming the spec key).
    """
    e = config["experiments"][exp]
    ev = e["eval"]
    evaluation = {
        key: ev[key] for key in ("metric", "every", "n_samples", "batch_size")
    }
    if ev["metric"] == "fid":
        evaluation.update((key, ev[key]) for key in EVAL_KEYS)
    image_size = e.get("image_size") if e["dataset"] in IMAGE_DATASETS else None
    return RunSpec.from_dict(
        {
            "study": config["study"],
            "experiment": exp,
            "dataset": {
                "name": e["dataset"],
                "image_size": image_size,
                "root": config["data_root"],
            },
            "model": {
                "name": e["model"],
                "z_dim": e["z_dim"],
                "kwargs": dict(e.get("model_kwargs") or {}),
            },
            "loss": e["loss"],
            "n_critic": e["n_critic"],
            "batch_size": e["batch_size"],
            "iterations": e["iterations"],
            "method": method,
            "method_kwargs": dict(setting.method_kwargs),
            "lr_rule": rule,
            "lr_rule_kwargs": dict(config["lr_rules"][rule].get("kwargs") or {}),
            "lr_g": setting.lr_g,
            "lr_d": setting.lr_d,
            "seed": int(seed),
            "eval": evaluation,
            "checkpoint_every": e["checkpoint_every"],
        }
    ).to_dict()
