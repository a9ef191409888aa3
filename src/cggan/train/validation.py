"""Run-spec validation: keys, types, ranges and registry names, before any build.

Also the canonical JSON form of a spec (what ``summary.json`` and the checkpoint store
and compare) and the list of keys in which two specs differ (for the refusal messages).
"""

from __future__ import annotations

import json
import math
from typing import Any

from cggan.train.outputs import METRIC_COLUMNS

__all__ = ["canonical", "spec_difference", "validate_spec"]

_REQUIRED = {
    "dataset": dict,
    "model": dict,
    "loss": str,
    "n_critic": int,
    "batch_size": int,
    "iterations": int,
    "method": str,
    "method_kwargs": dict,
    "lr_rule": str,
    "lr_rule_kwargs": dict,
    "lr_g": float,
    "lr_d": float,
    "seed": int,
    "eval": dict,
    "checkpoint_every": int,
}
_OPTIONAL = {"study": str, "experiment": str}
_REQUIRED_SUB = {
    "dataset": {"name": str, "image_size": (int, type(None)), "root": str},
    "model": {"name": str, "z_dim": int, "kwargs": dict},
    "eval": {"metric": str, "every": int, "n_samples": int, "batch_size": int},
}
_TYPE_NAMES = {
    int: "integer",
    float: "number",
    str: "string",
    dict: "object",
    type(None): "null",
}


def _type_ok(value: Any, expected: Any) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):  # bool is an int subclass: never accept it as a number
        return bool in types
    if float in types and isinstance(value, int):
        return True
    return isinstance(value, types)


def _type_name(expected: Any) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)


def _check_keys(
    obj: dict, prefix: str, required: dict, optional: dict | None = None
) -> None:
    optional = optional or {}
    for key in required:
        if key not in obj:
            raise ValueError(
                f"Invalid spec: missing key '{prefix}{key}' (required: "
                f"{', '.join(prefix + k for k in required)})"
            )
    for key, value in obj.items():
        expected = required.get(key, optional.get(key))
        if expected is None:
            allowed = ", ".join(prefix + k for k in [*required, *optional])
            raise ValueError(f"Invalid spec key: '{prefix}{key}' (allowed: {allowed})")
        if not _type_ok(value, expected):
            raise ValueError(
                f"Invalid {prefix}{key}: {value!r} (expected {_type_name(expected)})"
            )


def _check_choice(name: str, value: str, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"Invalid {name}: {value!r} (allowed: {', '.join(allowed)})")


def _check_min(name: str, value, minimum, *, strict: bool = False) -> None:
    ok = value > minimum if strict else value >= minimum
    if not ok or (isinstance(value, float) and not math.isfinite(value)):
        relation = ">" if strict else ">="
        raise ValueError(f"Invalid {name}: {value!r} (allowed: {relation} {minimum})")


def validate_spec(spec: dict) -> None:
    """Check a run spec's keys, types, ranges and registry names; nothing is built.

    The checks that need the registries' builders (model kwargs, method hyperparameters,
    learning-rate rule kwargs, image sizes a model supports) run when
    :class:`cggan.train.Trainer` builds the run, still before any file is written.

    Args:
        spec: the run spec (a JSON object).

    Raises:
        ValueError: ``"Invalid <key>: <value> (allowed: ...)"`` naming the bad key.
    """
    from cggan import lr_rules
    from cggan.data import DATASETS, resolve_image_size
    from cggan.gan import LOSSES

    if not isinstance(spec, dict):  # one exception type for every bad input
        raise ValueError(  # noqa: TRY004
            f"Invalid spec: {type(spec).__name__} (expected a JSON object)"
        )
    _check_keys(spec, "", _REQUIRED, _OPTIONAL)
    for section, keys in _REQUIRED_SUB.items():
        _check_keys(spec[section], f"{section}.", keys)

    dataset = spec["dataset"]
    _check_choice("dataset.name", dataset["name"], list(DATASETS))
    resolve_image_size(dataset["name"], dataset["image_size"])
    _check_min("model.z_dim", spec["model"]["z_dim"], 1)
    _check_choice("loss", spec["loss"], LOSSES)
    for key in ("n_critic", "batch_size", "iterations", "checkpoint_every"):
        _check_min(key, spec[key], 1)
    _check_min("seed", spec["seed"], 0)
    _check_min("lr_g", spec["lr_g"], 0.0, strict=True)
    _check_min("lr_d", spec["lr_d"], 0.0, strict=True)
    _check_method(spec["method"])
    _check_choice("lr_rule", spec["lr_rule"], list(lr_rules.RULES))
    _check_eval(spec["eval"], dataset["name"], DATASETS)


def _check_method(method: str) -> None:
    from cggan.methods import METHODS

    gan_methods = [name for name, m in METHODS.items() if not m.toy_only]
    if method in METHODS and METHODS[method].toy_only:
        raise ValueError(
            f"Invalid method: {method!r} (toy games only; allowed for GANs: "
            f"{', '.join(gan_methods)})"
        )
    _check_choice("method", method, gan_methods)


def _check_eval(ev: dict, dataset: str, datasets) -> None:
    _check_choice("eval.metric", ev["metric"], list(METRIC_COLUMNS))
    points = datasets[dataset].data_dim is not None
    if ev["metric"] == "modes" and not points:
        raise ValueError(
            f"Invalid eval.metric: 'modes' for dataset {dataset!r} (allowed for image "
            "datasets: fid)"
        )
    if ev["metric"] == "fid" and points:
        raise ValueError(
            f"Invalid eval.metric: 'fid' for dataset {dataset!r} (allowed for 2-D "
            "mixtures: modes)"
        )
    for key in ("every", "n_samples", "batch_size"):
        _check_min(f"eval.{key}", ev[key], 1)


def canonical(spec: dict) -> str:
    """The spec as compact key-sorted JSON: equal strings <=> equal specs."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), allow_nan=False)


def spec_difference(a: dict, b: dict, prefix: str = "") -> list[str]:
    """Dotted names of the keys in which two specs differ, sorted."""
    keys = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key, "<missing>"), b.get(key, "<missing>")
        if isinstance(va, dict) and isinstance(vb, dict):
            keys += spec_difference(va, vb, f"{prefix}{key}.")
        elif va != vb:
            keys.append(f"{prefix}{key}")
    return keys
