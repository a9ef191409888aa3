"""The checks of a study config that the schema cannot express, and its error messages.

Cross-key rules (known hyperparameters per method, kwargs per lr rule, fresh
confirmation seeds, sample counts within the dataset, the matched-momentum control of
CG, ...) are checked when the study is planned, before any job: one line names the key
and what is allowed. :func:`format_schema_error` turns a JSON-schema error into the same
style. Torch-free.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cggan.checks import invalid as _invalid
from cggan.hparams import check_hparam
from cggan.io import read_json_object
from cggan.lr_rules import lr_factor
from cggan.registry import (
    BASELINE_MOMENTUM,
    CG_BETA_MAX,
    CG_DEFAULT_BETA_COEFF,
    DATASET_FACTS,
    DATASETS,
    FID,
    IMAGE_DATASETS,
    LR_RULE_KWARGS,
    METHOD_HPARAMS,
    METHODS,
    MODEL_KWARGS,
    MODELS,
    MODES,
    MOMENTUM,
    SELECTION_BY,
    TOY_ONLY_METHODS,
    is_cg_method,
)

__all__ = [
    "read_study_config",
    "STUDY_NAME",
    "check_lrs",
    "format_schema_error",
    "matched_momentum_values",
    "validate_study_config",
]

#: Study names: one path component, never ``.`` or ``..``.
STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _check_rule_values(rule: str, kwargs: Mapping[str, Any]) -> None:
    """The rule's own checks (torch-free), reported under the config key."""
    try:
        for player in ("g", "d"):
            lr_factor(rule, player, **kwargs)
    except ValueError as exc:
        text = str(exc)
        if text.startswith("Invalid "):
            text = f"Invalid lr_rules.{rule}.kwargs.{text[len('Invalid ') :]}"
        raise ValueError(text) from None


def matched_momentum_values(
    methods: Mapping[str, Any], names: Iterable[str]
) -> list[float]:
    """The momentum values a study running ``names`` must sweep: c·β_max for every CG
    coefficient c it runs, and the baseline's 0.9 (sorted; empty without CG)."""
    coeffs = set()
    for name in names:
        if is_cg_method(name):
            coeffs.update(
                (methods.get(name) or {}).get("beta_coeff", [CG_DEFAULT_BETA_COEFF])
            )
    if not coeffs:
        return []
    return sorted({round(c * CG_BETA_MAX, 12) for c in coeffs} | {BASELINE_MOMENTUM})


def _check_matched_momentum(where: str, methods: Mapping[str, Any], names: list[str]):
    """A study that runs CG also runs heavy-ball momentum at CG's caps c·β_max (and
    0.9): CG with β at its cap is heavy-ball momentum of that size, so this is the
    control that tells conjugacy from momentum."""
    wanted = matched_momentum_values(methods, names)
    if not wanted:
        return
    if MOMENTUM not in names:
        raise _invalid(
            f"{where}.methods",
            names,
            f"a list with momentum (the matched control of CG: momentum {wanted})",
        )
    have = (methods.get(MOMENTUM) or {}).get("momentum", [BASELINE_MOMENTUM])
    missing = [m for m in wanted if not any(math.isclose(m, h) for h in have)]
    if missing:
        raise _invalid(
            "methods.momentum.momentum",
            have,
            f"a list including {wanted} (CG's caps c*{CG_BETA_MAX} of its "
            "beta_coeff values, and 0.9)",
        )


def _check_sizes(where: str, e: Mapping[str, Any]) -> None:
    """Refuse, at planning time, what would otherwise fail inside every
    job of an experiment.

    Image sizes the dataset does not offer, model kwargs the model does not take, and
    sample counts or batch sizes larger than the split they are drawn from.
    """
    spec = DATASET_FACTS[e["dataset"]]
    if spec.image_sizes and e.get("image_size") not in spec.image_sizes:
        raise _invalid(
            f"{where}.image_size",
            e.get("image_size"),
            f"{', '.join(map(str, spec.image_sizes))} for {e['dataset']}",
        )
    allowed = MODEL_KWARGS[e["model"]]
    for key in e.get("model_kwargs") or {}:
        if key not in allowed:
            raise _invalid(
                f"{where}.model_kwargs.{key}",
                key,
                f"{', '.join(allowed)} for {e['model']}",
            )
    train_n = spec.split_size("train")
    if train_n is not None and e["batch_size"] > train_n:
        raise _invalid(
            f"{where}.batch_size",
            e["batch_size"],
            f"at most {train_n} (the {e['dataset']} training split)",
        )
    ev = e["eval"]
    if ev["metric"] != FID:
        return
    split = ev["reference_split"]
    ref_n = spec.split_size(split)
    if ref_n is None:
        return
    for key in ("reference_n", "n_samples"):
        if ev[key] > ref_n:
            raise _invalid(
                f"{where}.eval.{key}",
                ev[key],
                f"at most {ref_n} (the {e['dataset']} {split} split)",
            )


def validate_study_config(cfg: Mapping[str, Any], methods_of) -> None:
    """Every cross-key rule of a study config the schema cannot express.

    Args:
        cfg: the config after schema validation (defaults filled in).
        methods_of: ``experiment -> its methods`` (the study's resolution of ``null``).

    Raises:
        ValueError: one line naming the offending key and the allowed values.
    """
    name = cfg["study"]
    if not isinstance(name, str) or not STUDY_NAME.match(name):
        raise _invalid(
            "study", name, "a name matching ^[A-Za-z0-9][A-Za-z0-9_.-]*$, e.g. default"
        )
    if not cfg["experiments"]:
        raise _invalid("experiments", {}, "at least one experiment")
    for method, method_cfg in cfg["methods"].items():
        _check_method(method, method_cfg or {})
    for rule, rule_cfg in cfg["lr_rules"].items():
        _check_rule(rule, rule_cfg)
    _check_one_size_per_dataset(cfg["experiments"])
    _check_seeds(cfg)
    if cfg["selection"]["by"] not in SELECTION_BY:
        raise _invalid("selection.by", cfg["selection"]["by"], ", ".join(SELECTION_BY))
    for exp, e in cfg["experiments"].items():
        _check_experiment(f"experiments.{exp}", e, cfg, methods_of(exp))


def _check_method(name: str, method_cfg: Mapping[str, Any]) -> None:
    if name not in METHODS:
        raise _invalid(f"methods.{name}", name, ", ".join(METHODS))
    for key, values in method_cfg.items():
        if key in ("lr_d", "lr_g"):
            check_lrs(f"methods.{name}.{key}", values)
            continue
        allowed = METHOD_HPARAMS[name]
        if key not in allowed:
            raise _invalid(
                f"methods.{name}.{key}",
                key,
                ", ".join(sorted(allowed | {"lr_d", "lr_g"})),
            )
        if not isinstance(values, list) or not values:
            raise _invalid(
                f"methods.{name}.{key}", values, "a non-empty list of values"
            )
        # each value as the optimizer's constructor would check it, so that a value a
        # job would refuse (or a string where a number belongs) is one line here
        for value in values:
            check_hparam(f"methods.{name}.{key}", key, value)


def _check_rule(rule: str, rule_cfg: Mapping[str, Any]) -> None:
    if rule not in LR_RULE_KWARGS:
        raise _invalid(f"lr_rules.{rule}", rule, ", ".join(LR_RULE_KWARGS))
    kwargs = rule_cfg.get("kwargs") or {}
    needed = LR_RULE_KWARGS[rule]
    for key in kwargs:
        if key not in needed:
            raise _invalid(
                f"lr_rules.{rule}.kwargs.{key}", key, ", ".join(needed) or "none"
            )
    missing = [k for k in needed if k not in kwargs]
    if missing:
        raise _invalid(
            f"lr_rules.{rule}.kwargs.{missing[0]}",
            None,
            f"the {rule} rule needs {', '.join(needed)}",
        )
    _check_rule_values(rule, kwargs)
    for key in ("lr_d", "lr_g"):
        check_lrs(f"lr_rules.{rule}.{key}", rule_cfg.get(key))


def _check_one_size_per_dataset(experiments: Mapping[str, Any]) -> None:
    sizes: dict[str, Any] = {}
    for exp, e in experiments.items():
        if e["dataset"] in IMAGE_DATASETS:
            size = sizes.setdefault(e["dataset"], e.get("image_size"))
            if size != e.get("image_size"):
                raise _invalid(
                    f"experiments.{exp}.image_size",
                    e.get("image_size"),
                    f"{size} (one image size per dataset in a study)",
                )


def _check_seeds(cfg: Mapping[str, Any]) -> None:
    seeds = list(cfg["seeds"])
    if len(set(seeds)) != len(seeds):
        raise _invalid("seeds", seeds, "distinct seeds")
    sweep_seeds = list(cfg["sweep_seeds"])
    if len(set(sweep_seeds)) != len(sweep_seeds):
        raise _invalid("sweep_seeds", sweep_seeds, "distinct seeds")
    shared = sorted(set(sweep_seeds) & set(seeds))
    if shared:
        # the runs that won the selection must not count again in the confirmed
        # statistics (winner's curse): confirmation seeds are fresh
        raise _invalid(
            "seeds",
            seeds,
            f"seeds other than the sweep_seeds {sweep_seeds} (fresh confirmation "
            f"seeds; shared: {shared})",
        )


def _check_experiment(
    where: str, e: Mapping[str, Any], cfg: Mapping[str, Any], methods: list[str]
) -> None:
    if e["dataset"] not in DATASETS:
        raise _invalid(f"{where}.dataset", e["dataset"], ", ".join(DATASETS))
    if e["model"] not in MODELS:
        raise _invalid(f"{where}.model", e["model"], ", ".join(MODELS))
    metric = e["eval"]["metric"]
    image = e["dataset"] in IMAGE_DATASETS
    if image and metric != FID:
        raise _invalid(f"{where}.eval.metric", metric, "fid (image dataset)")
    if not image and metric != MODES:
        raise _invalid(f"{where}.eval.metric", metric, "modes (2-D mixture)")
    if image and not e.get("image_size"):
        raise _invalid(f"{where}.image_size", e.get("image_size"), "an integer")
    for key, names, pool in (
        ("methods", e.get("methods"), cfg["methods"]),
        ("lr_rules", e.get("lr_rules"), cfg["lr_rules"]),
    ):
        for n in names or []:
            if n not in pool:
                raise _invalid(
                    f"{where}.{key}", n, ", ".join(pool) or "none configured"
                )
    _check_sizes(where, e)
    _check_evaluations(where, e, cfg)
    _check_matched_momentum(where, cfg["methods"], methods)
    for m in methods:
        if m in TOY_ONLY_METHODS:
            raise _invalid(
                f"{where}.methods",
                m,
                "GAN methods (toy-only: "
                + ", ".join(sorted(TOY_ONLY_METHODS))
                + "; restrict with experiments.<name>.methods)",
            )


def _check_evaluations(where: str, e: Mapping[str, Any], cfg: Mapping[str, Any]):
    """``eval.every`` must leave an evaluation in each of the last two quarters of the
    shortest budget the analysis reads (the convergence diagnostic and the
    final-quarter mean need them): ``every <= min(budgets) x iterations / 4``."""
    budgets = (cfg.get("analysis") or {}).get("budgets") or [1.0]
    if 1.0 not in [float(b) for b in budgets]:
        raise _invalid("analysis.budgets", budgets, "a list holding 1 (the run length)")
    shortest = min(float(b) for b in budgets) * e["iterations"]
    every = e["eval"]["every"]
    if every > shortest / 4:
        raise _invalid(
            f"{where}.eval.every",
            every,
            f"at most {int(shortest // 4)} (an evaluation in each of the last two "
            f"quarters of {int(shortest)} iterations, the shortest budget read)",
        )


def check_lrs(key: str, values: Any) -> None:
    """A non-empty list of positive finite learning rates."""
    if not isinstance(values, list) or not values:
        raise _invalid(key, values, "a non-empty list of positive learning rates")
    for v in values:
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, float))
            or not v > 0
            or not math.isfinite(v)
        ):
            raise _invalid(
                key, v, "positive finite numbers, e.g. 1.0e-3 (YAML needs the dot)"
            )


def format_schema_error(error: Any) -> str:
    """One line for a ``jsonschema.ValidationError``: the key path, the
    value, what is allowed."""
    path = (
        "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
        ).lstrip(".")
        or "config"
    )
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    validator = error.validator
    if validator == "required":
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        key = (
            f"{path}.{missing[0]}"
            if path != "config" and missing
            else (missing[0] if missing else path)
        )
        return f"Invalid {key}: missing (allowed: {_describe(schema, missing)})"
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        key = (
            f"{path}.{extra[0]}"
            if path != "config" and extra
            else (extra[0] if extra else path)
        )
        allowed = ", ".join(schema.get("properties", {})) or "none"
        return f"Invalid {key}: unknown key (allowed: {allowed})"
    if validator == "propertyNames":
        return (
            f"Invalid {path}: {error.instance!r} (allowed: "
            f"{', '.join(map(str, error.validator_value.get('enum', [])))})"
        )
    if validator == "enum":
        return (
            f"Invalid {path}: {error.instance!r} (allowed: "
            f"{', '.join(map(str, error.validator_value))})"
        )
    hint = ""
    if (
        validator == "type"
        and isinstance(error.instance, str)
        and "number" in str(error.validator_value)
    ):
        hint = "; YAML reads 1e-3 as text, write 1.0e-3"
    return f"Invalid {path}: {error.instance!r} ({error.message}{hint})"[:400]


def _describe(schema: Mapping[str, Any], missing: list[str]) -> str:
    props = schema.get("properties", {})
    if missing and missing[0] in props:
        return props[missing[0]].get("description", "required key").rstrip(".")
    return "required key"


def read_study_config(file_or_json: str | os.PathLike) -> dict[str, Any]:
    """The resolved study config, from JSON text (``{...}``) or a JSON file's path.

    Raises:
        ValueError: unreadable file, invalid JSON or not a JSON object (one line naming
            the file, or ``--study-config`` for JSON text).
    """
    return read_json_object(file_or_json, "--study-config")
