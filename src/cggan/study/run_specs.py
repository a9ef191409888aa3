"""The run spec of a study's runs (the JSON of a validated :class:`cggan.spec.RunSpec`):
built, checked at planning, and built once per setting.

The spec is what ``scripts/train.py --spec`` reads and ``summary.json`` stores: the
experiment's dataset, model and training protocol, the method and learning-rate rule
with one setting of their sweep, and the seed. FID runs carry their FID protocol in
``eval`` (:data:`cggan.fid_protocol.EVAL_KEYS`: the key of the reference statistics
they are scored against).

How a spec travels to a training job: planning builds every setting's spec once
(:func:`check_run_specs`, which names the config key of a value a job would refuse);
:class:`RunSpecs` keeps them, so the existing-runs check and the ``train`` rules' params
(``workflow/rules/functions.smk``) reuse them with their own seed; the job validates
the JSON it is given once (``cggan.train.jobs.load_spec``). Torch-free.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from cggan.checks import check_int_min
from cggan.checks import invalid as _invalid
from cggan.fid_protocol import EVAL_KEYS
from cggan.registry import IMAGE_DATASETS
from cggan.spec import RunSpec
from cggan.study.layout import Setting

__all__ = ["RunSpecs", "check_run_specs", "run_spec_json"]


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


class RunSpecs:
    """The run specs of one study, each setting's built and validated once.

    The runs of one setting differ only in their seed: the first spec asked of a
    setting is built as a :class:`~cggan.spec.RunSpec` (every value validated) and
    kept; every other run of the setting gets a copy with its own seed, the seed
    checked as the RunSpec checks it. A setting an extension round adds later is built
    when it is first asked for.

    Args:
        config: the validated study config.
        settings: ``(experiment, method, rule) -> {setting id: Setting}``, the study's
            settings (:meth:`cggan.study.Study.settings`); ``KeyError`` for a group
            the study does not have.
    """

    def __init__(
        self,
        config: Mapping[str, Any],
        settings: Callable[[str, str, str], Mapping[str, Setting]],
    ) -> None:
        self._config = config
        self._settings = settings
        self._built: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def __len__(self) -> int:
        """The settings whose spec was built."""
        return len(self._built)

    def spec(
        self, exp: str, method: str, rule: str, setting: str, seed: int
    ) -> dict[str, Any]:
        """The JSON object of one run's spec (a copy: the caller may change it).

        Raises:
            ValueError: a setting the study does not have, or a value the spec
                refuses (one line).
        """
        seed = int(seed)
        key = (exp, method, rule, setting)
        built = self._built.get(key)
        if built is None:
            try:
                chosen = self._settings(exp, method, rule)[setting]
            except KeyError:
                raise _invalid(
                    "setting",
                    f"{exp}/{method}/{rule}/{setting}",
                    "a setting of the configured sweep",
                ) from None
            built = run_spec_json(self._config, exp, method, rule, chosen, seed)
            self._built[key] = built
        else:
            check_int_min("seed", seed, 0)  # the only key that differs
        return {**copy.deepcopy(built), "seed": seed}


# --- the planning-time check ----------------------------------------------------------
#: Keys of a run spec -> the config key they come from (``{exp}``: the experiment).
_SPEC_TO_CONFIG = {
    "dataset.name": "experiments.{exp}.dataset",
    "dataset.image_size": "experiments.{exp}.image_size",
    "dataset.root": "data_root",
    "model.name": "experiments.{exp}.model",
    "model.z_dim": "experiments.{exp}.z_dim",
    "model.kwargs": "experiments.{exp}.model_kwargs",
    "method_kwargs": "methods.{method}",
    "eval": "experiments.{exp}.eval",
    "lr_g": "lr_rules.{rule}.lr_g",
    "lr_d": "lr_rules.{rule}.lr_d",
}
_SPEC_KEY = re.compile(r"^Invalid ([A-Za-z_][\w.\[\]]*): ")


def _config_key(message: str, exp: str, method: str, rule: str) -> str:
    """A run spec's one-line error, reworded to name the config key it came from."""
    match = _SPEC_KEY.match(message)
    key = match.group(1) if match else ""
    for prefix, config_key in _SPEC_TO_CONFIG.items():
        if key == prefix or key.startswith(prefix + "."):
            where = config_key.format(exp=exp, method=method, rule=rule)
            return f"Invalid {where}{key[len(prefix) :]}: {message[match.end() :]}"
    if key in ("loss", "n_critic", "batch_size", "iterations", "checkpoint_every"):
        return f"Invalid experiments.{exp}.{key}: {message[match.end() :]}"
    return f"Invalid experiments.{exp} (run {method}/{rule}): {message}"


def check_run_specs(study: Any) -> int:
    """Build the :class:`cggan.spec.RunSpec` of every planned run, at planning time.

    A run spec checks every value a training job would check first (types, minimums,
    registry names, method hyperparameters, lr-rule kwargs, the FID protocol); built
    here, a value that would fail in every job of the study is one line naming the
    config key before any job runs. Confirmation runs differ from their sweep run only
    in the seed (the schema checks seeds), so one spec per sweep setting covers them.
    The specs stay built in the study's :class:`RunSpecs` (``study.specs``): the jobs
    the DAG plans reuse them. Torch-free; about 0.3 ms of CPU per setting (0.85 s for
    the paper's 3,234).

    Returns:
        The number of settings checked.

    Raises:
        ValueError: one line naming the config key.
    """
    n = 0
    for exp in study.experiments:
        for method, rule in study.groups(exp):
            for sid in study.settings(exp, method, rule):
                try:
                    study.run_spec(exp, method, rule, sid, study.sweep_seeds[0])
                except ValueError as exc:
                    raise ValueError(_config_key(str(exc), exp, method, rule)) from None
                n += 1
    return n
