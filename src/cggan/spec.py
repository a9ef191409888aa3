"""The run spec: everything one training run needs, validated in one place.

:class:`RunSpec` is what :meth:`cggan.study.Study.run_spec` produces (as its JSON form),
what ``scripts/train.py --spec`` reads and what :class:`cggan.train.Trainer` consumes;
:meth:`RunSpec.to_dict` is stored verbatim in ``summary.json`` and the checkpoint. FID
runs carry their FID protocol (:class:`cggan.fid_protocol.FIDProtocol`) in ``eval``:
``extractor``, ``dims``, ``reference_split``, ``reference_n``, ``preprocessing``. The
keys and their meaning: ``docs/training.md`` (the run spec).

Constructing a RunSpec is the single place where a run's keys, types, ranges and
registry names are checked (one-line ``Invalid <key>: <value> (allowed: ...)``);
:func:`spec_difference` names the keys in which two specs differ. Torch-free.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from types import MappingProxyType
from typing import Any

from cggan.checks import (
    check_choice,
    check_int_min,
    check_keys,
    check_positive,
    differences,
    invalid,
)
from cggan.fid_protocol import FIDProtocol
from cggan.registry import (
    EVAL_METRICS,
    FID_EXTRACTORS,
    PREPROCESSINGS,
    REFERENCE_SPLITS,
)

__all__ = [
    "IDENTITY_EXCLUDED",
    "RunSpec",
    "identity",
    "spec_difference",
    "validate_spec",
]

_TOP = {
    "dataset": dict, "model": dict, "loss": str, "n_critic": int, "batch_size": int,
    "iterations": int, "method": str, "method_kwargs": dict, "lr_rule": str,
    "lr_rule_kwargs": dict, "lr_g": float, "lr_d": float, "seed": int, "eval": dict,
    "checkpoint_every": int,
}  # fmt: skip
_LABELS = {"study": str, "experiment": str}
_DATASET = {"name": str, "image_size": (int, type(None)), "root": str}
_MODEL = {"name": str, "z_dim": int, "kwargs": dict}
_EVAL = {"metric": str, "every": int, "n_samples": int, "batch_size": int}
_FID = {"extractor": str, "dims": int, "reference_split": str, "reference_n": int,
        "preprocessing": str}  # fmt: skip
_TYPE_NAMES = {int: "integer", float: "number", str: "string", dict: "object",
               type(None): "null"}  # fmt: skip
#: Keys that say where a run's inputs live, not what the run is: left out when two
#: specs are compared (:func:`identity`), so that ``data_root: ./results/data`` (or a
#: moved cache) does not make every existing run "another config". The prepared data
#: are verified by their manifest's checksums, not by their path.
IDENTITY_EXCLUDED = (("dataset", "root"),)


# ------------------------------------------------------------------ frozen containers
def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _json(obj: Any) -> dict[str, Any]:
    """A spec dataclass as JSON; optional fields (default None) left out when None."""
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if value is None and f.default is None:
            continue
        out[f.name] = _json(value) if is_dataclass(value) else _thaw(value)
    return out


# ------------------------------------------------------------------ structural checks
def _type_ok(value: Any, expected: Any) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):  # bool is an int subclass: never a number here
        return bool in types
    if float in types and isinstance(value, int):
        return True
    return isinstance(value, types)


def _type_name(expected: Any) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)


def _check_object(obj: Any, prefix: str, required: dict, optional: dict) -> None:
    """Missing, unknown and mistyped keys of one JSON object of the spec."""
    if not isinstance(obj, dict):  # ValueError: the one type of a bad input
        where = prefix.rstrip(".") or "spec"
        message = f"Invalid {where}: {obj!r} (expected a JSON object)"
        raise ValueError(message)  # noqa: TRY004
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


def _check_structure(data: Any) -> None:
    _check_object(data, "", _TOP, _LABELS)
    _check_object(data["dataset"], "dataset.", _DATASET, {})
    _check_object(data["model"], "model.", _MODEL, {})
    _check_object(data["eval"], "eval.", _EVAL, _FID)  # FID keys: see _check_eval


# ------------------------------------------------------------------------- the spec
@dataclass(frozen=True)
class DatasetSpec:
    """``spec.dataset``: name, image size (None: the dataset's default) and root."""

    name: str
    image_size: int | None
    root: str

    def __post_init__(self) -> None:
        # one spelling per location (``./results/data/`` is ``results/data``); the root
        # is where the cache lives, not what the run is (see IDENTITY_EXCLUDED)
        if isinstance(self.root, str) and self.root:
            object.__setattr__(self, "root", os.path.normpath(self.root))


@dataclass(frozen=True)
class ModelSpec:
    """``spec.model``: name, latent dimension and builder kwargs."""

    name: str
    z_dim: int
    kwargs: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kwargs", _freeze(self.kwargs))


@dataclass(frozen=True)
class EvalSpec:
    """``spec.eval``: the metric, its cadence and sample counts; for FID the protocol
    keys (None for ``modes``)."""

    metric: str
    every: int
    n_samples: int
    batch_size: int
    extractor: str | None = None
    dims: int | None = None
    reference_split: str | None = None
    reference_n: int | None = None
    preprocessing: str | None = None


@dataclass(frozen=True)
class RunSpec:
    """One training run, complete and validated. Build it with :meth:`from_dict` /
    :meth:`from_json` (which also check keys and JSON types) or directly; either way
    the values are validated (``ValueError``, one line naming the key).
    """

    dataset: DatasetSpec
    model: ModelSpec
    loss: str
    n_critic: int
    batch_size: int
    iterations: int
    method: str
    method_kwargs: Mapping[str, Any] = field(hash=False)
    lr_rule: str
    lr_rule_kwargs: Mapping[str, Any] = field(hash=False)
    lr_g: float
    lr_d: float
    seed: int
    eval: EvalSpec
    checkpoint_every: int
    study: str | None = None
    experiment: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "method_kwargs", _freeze(self.method_kwargs))
        object.__setattr__(self, "lr_rule_kwargs", _freeze(self.lr_rule_kwargs))
        _validate(self)

    @classmethod
    def from_dict(cls, data: Any) -> RunSpec:
        """The spec of a JSON object (keys and JSON types checked, then values)."""
        _check_structure(data)
        data = copy.deepcopy(data)
        parts = {"dataset": DatasetSpec, "model": ModelSpec, "eval": EvalSpec}
        data.update((k, make(**data[k])) for k, make in parts.items())
        return cls(**{**data, "lr_g": float(data["lr_g"]), "lr_d": float(data["lr_d"])})

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        """The spec of JSON text (a one-line error for text that is not JSON)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"Invalid spec: not JSON ({exc})") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (labels only when set; FID keys only for ``fid``)."""
        return _json(self)

    def to_json(self) -> str:
        """Compact, key-sorted JSON: equal strings <=> equal specs."""
        return json.dumps(
            self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False
        )

    @property
    def fid_protocol(self) -> FIDProtocol | None:
        """The FID protocol of an FID run, else None."""
        if self.eval.metric != "fid":
            return None
        from cggan.data import resolve_image_size

        name = self.dataset.name
        size = resolve_image_size(name, self.dataset.image_size)
        return FIDProtocol.of_eval(name, size, _json(self.eval))


def validate_spec(data: Any) -> RunSpec:
    """A spec's JSON object -> its validated :class:`RunSpec` (a RunSpec as is)."""
    return data if isinstance(data, RunSpec) else RunSpec.from_dict(data)


# -------------------------------------------------------------------- value checks
def _validate(spec: RunSpec) -> None:
    from cggan.data import resolve_image_size
    from cggan.registry import DATASETS, LOSSES, MODEL_KWARGS, MODELS

    check_choice("dataset.name", spec.dataset.name, DATASETS)
    resolve_image_size(spec.dataset.name, spec.dataset.image_size)
    check_choice("model.name", spec.model.name, MODELS)
    check_int_min("model.z_dim", spec.model.z_dim, 1)
    check_keys("model.kwargs", spec.model.kwargs, MODEL_KWARGS[spec.model.name])
    check_choice("loss", spec.loss, LOSSES)
    for key in ("n_critic", "batch_size", "iterations", "checkpoint_every"):
        check_int_min(key, getattr(spec, key), 1)
    check_int_min("seed", spec.seed, 0)
    check_positive("lr_g", spec.lr_g)
    check_positive("lr_d", spec.lr_d)
    _check_method(spec.method, spec.method_kwargs)
    _check_lr_rule(spec.lr_rule, spec.lr_rule_kwargs)
    _check_eval(spec.eval, spec.dataset.name)


def _check_method(method: str, kwargs: Mapping[str, Any]) -> None:
    from cggan.hparams import check_method_kwargs
    from cggan.registry import METHOD_HPARAMS, METHODS, TOY_ONLY_METHODS

    gan_methods = [m for m in METHODS if m not in TOY_ONLY_METHODS]
    if method in TOY_ONLY_METHODS:
        raise ValueError(
            f"Invalid method: {method!r} (toy games only; allowed for GANs: "
            f"{', '.join(gan_methods)})"
        )
    check_choice("method", method, gan_methods)
    allowed = sorted(METHOD_HPARAMS[method])
    for key in kwargs:
        if key not in allowed:
            raise invalid(
                f"hyperparameter for method {method}", key, ", ".join(allowed) or "none"
            )
    check_method_kwargs(method, kwargs, "method_kwargs")


def _check_lr_rule(rule: str, kwargs: Mapping[str, Any]) -> None:
    from cggan.lr_rules import lr_factor
    from cggan.registry import LR_RULES

    check_choice("lr_rule", rule, LR_RULES)
    for player in ("g", "d"):
        lr_factor(rule, player, **kwargs)


def _check_eval(ev: EvalSpec, dataset: str) -> None:
    from cggan.registry import IMAGE_DATASETS

    check_choice("eval.metric", ev.metric, EVAL_METRICS)
    fits = "fid" if dataset in IMAGE_DATASETS else "modes"
    if ev.metric != fits:
        kind = "image datasets" if fits == "fid" else "2-D mixtures"
        raise ValueError(
            f"Invalid eval.metric: {ev.metric!r} for dataset {dataset!r} "
            f"(allowed for {kind}: {fits})"
        )
    for key in ("every", "batch_size"):
        check_int_min(f"eval.{key}", getattr(ev, key), 1)
    # a sample covariance (FID) or a mode count needs two samples; the schema agrees
    check_int_min("eval.n_samples", ev.n_samples, 2)
    if ev.metric != "fid":
        for key in _FID:
            if getattr(ev, key) is not None:
                raise invalid(f"eval.{key}", getattr(ev, key), "FID runs only")
        return
    for key in _FID:
        if getattr(ev, key) is None:
            raise ValueError(
                f"Invalid spec: missing key 'eval.{key}' (required for eval.metric "
                f"fid: {', '.join('eval.' + k for k in _FID)})"
            )
    check_choice("eval.extractor", ev.extractor, FID_EXTRACTORS)
    check_int_min("eval.dims", ev.dims, 1)
    check_choice("eval.reference_split", ev.reference_split, REFERENCE_SPLITS)
    check_int_min("eval.reference_n", ev.reference_n, 2)
    check_choice("eval.preprocessing", ev.preprocessing, PREPROCESSINGS)


# ---------------------------------------------------------------- comparing specs
def _as_dict(spec: RunSpec | Mapping[str, Any]) -> dict[str, Any]:
    return spec.to_dict() if isinstance(spec, RunSpec) else copy.deepcopy(dict(spec))


def identity(spec: RunSpec | Mapping[str, Any]) -> dict[str, Any]:
    """A spec's JSON object without the keys of :data:`IDENTITY_EXCLUDED` (a copy):
    what makes two runs the same run."""
    out = _as_dict(spec)
    for section, key in IDENTITY_EXCLUDED:
        if isinstance(out.get(section), dict):
            out[section].pop(key, None)
    return out


def spec_difference(
    a: RunSpec | Mapping[str, Any], b: RunSpec | Mapping[str, Any]
) -> list[str]:
    """Dotted names of the keys in which two specs differ, sorted (empty: equal); the
    keys of :data:`IDENTITY_EXCLUDED` are not compared."""
    return [key for key, _, _ in differences(identity(a), identity(b))]
