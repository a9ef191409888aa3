"""A study's configuration -> the grid of training runs, their directories, and selection.

Pure Python on purpose (no torch): the Snakefile imports this module to build the DAG, and
``snakemake -n`` on the published grid (about two thousand runs) must stay fast.

Vocabulary:
    experiment: one dataset + model + training protocol (``config["experiments"][name]``).
    setting: one point of a method's sweep under one learning-rate rule: ``lr_d``, ``lr_g``
        and the method's swept hyperparameters. Its id (:func:`setting_id`) names a directory.
    run: a setting trained with one seed; the run spec (:func:`Study.run_spec`) is the JSON
        that ``scripts/train.py --spec`` consumes and stores verbatim in ``summary.json``.
    sweep -> selection -> confirmation: every setting runs at ``sweep_seed``; per experiment
        x method x rule the best finished setting (:func:`select_settings`) is re-run with every
        seed in ``seeds``. The run at ``sweep_seed`` is shared (same spec, same directory).

Run directories: ``results/runs/<study>/<experiment>/<method>/<lr_rule>/<setting>/seed<k>/``.

Outputs of a study (tables, plots, metrics.json, report): ``results/`` for the study named
``default`` (the paths the README shows), ``results/studies/<study>/`` for every other study,
so that a new study name never finds another study's tables and always plans its own runs.

The names a config may use (methods, rules, datasets, models) come from
:mod:`cggan.registry`, re-exported here for the Snakefile.
"""

from __future__ import annotations

import itertools
import re
import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cggan.data import DATASETS as DATASET_SPECS
from cggan.lr_rules import lr_factor
from cggan.metrics import stats_filename  # torch-free: the package file imports nothing
from cggan.spec import with_added_keys
from cggan.registry import (
    BASELINE_MOMENTUM,
    CG_BETA_MAX,
    CG_DEFAULT_BETA_COEFF,
    CG_RULES,
    DATASETS,
    IMAGE_DATASETS,
    LR_RULE_KWARGS,
    METHOD_HPARAMS,
    METHODS,
    METRIC_DIRECTION,
    MODEL_KWARGS,
    MODELS,
    TOY_ONLY_METHODS,
)

__all__ = [
    "CG_RULES",
    "DATASETS",
    "IMAGE_DATASETS",
    "LR_RULE_KWARGS",
    "METHODS",
    "METHOD_HPARAMS",
    "METRIC_DIRECTION",
    "MODELS",
    "TOY_ONLY_METHODS",
    "Setting",
    "Study",
    "RunCheck",
    "check_existing_runs",
    "read_summary",
    "set_aside_unreadable",
    "format_schema_error",
    "load_study",
    "matched_momentum_values",
    "parse_run_dir",
    "select_experiment",
    "select_settings",
    "selection_record",
    "setting_id",
    "stats_filename",
]

SELECTION_BY = ("final", "best")
#: A run's directory under ``results/runs/<study>/`` (parse_run_dir reads it back).
RUN_DIR_LAYOUT = "{experiment}/{method}/{lr_rule}/{setting}/seed{seed}"
#: The study whose outputs live directly under ``results/`` (the README's paths).
DEFAULT_STUDY = "default"
#: Study names: one path component, never ``.`` or ``..``.
STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
RUN_STATUSES = ("finished", "diverged", "failed")
#: Config keys that say how to run, not what to compute: they never change a result, so
#: they are left out of :meth:`Study.science_config` (a job's params change only with the
#: science).
EXECUTION_KEYS = ("device", "group_seeds", "sweep_chunk")


def _invalid(key: str, value: Any, allowed: str) -> ValueError:
    return ValueError(f"Invalid {key}: {value!r} (allowed: {allowed})")


# --- setting ids ------------------------------------------------------------------------------
def _format_value(value: Any) -> str:
    """A short, stable, path-safe text for one hyperparameter value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # repr is the shortest text that round-trips: 0.0005 -> "0.0005", 5e-05 -> "5e-05".
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "x".join(_format_value(v) for v in value)
    raise _invalid("hyperparameter value", value, "numbers, strings, booleans, lists of them")


def setting_id(lr_d: float, lr_g: float, method_kwargs: Mapping[str, Any]) -> str:
    """The directory name of one sweep setting, e.g. ``lr_d~0.001_lr_g~5e-05_beta_coeff~0.5``.

    Readable (Paramspace's ``name~value`` style) and stable: keys are sorted, floats use their
    shortest round-trip text, so the same setting always maps to the same directory.
    """
    parts = [f"lr_d~{_format_value(float(lr_d))}", f"lr_g~{_format_value(float(lr_g))}"]
    parts += [f"{k}~{_format_value(method_kwargs[k])}" for k in sorted(method_kwargs)]
    return "_".join(parts)


@dataclass(frozen=True)
class Setting:
    """One point of a sweep: learning rates and the method's swept hyperparameters."""

    lr_d: float
    lr_g: float
    method_kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return setting_id(self.lr_d, self.lr_g, self.method_kwargs)


def parse_run_dir(path: str | os.PathLike) -> dict[str, Any]:
    """Split ``.../<study>/<experiment>/<method>/<lr_rule>/<setting>/seed<k>[/summary.json]``.

    Returns:
        dict with study, experiment, method, lr_rule, setting, seed.
    """
    parts = Path(path).parts
    if parts and parts[-1] == "summary.json":
        parts = parts[:-1]
    if len(parts) < 6 or not parts[-1].startswith("seed") or not parts[-1][4:].isdigit():
        raise _invalid("run directory", str(path), ".../<study>/<experiment>/<method>/"
                       "<lr_rule>/<setting>/seed<k>")
    study, experiment, method, lr_rule, setting, seed = parts[-6:]
    return {"study": study, "experiment": experiment, "method": method, "lr_rule": lr_rule,
            "setting": setting, "seed": int(seed[4:])}


def _check_rule_values(rule: str, kwargs: Mapping[str, Any]) -> None:
    """The rule's own checks (torch-free), reported under the config key."""
    try:
        for player in ("g", "d"):
            lr_factor(rule, player, **kwargs)
    except ValueError as exc:
        text = str(exc)
        if text.startswith("Invalid "):
            text = f"Invalid lr_rules.{rule}.kwargs.{text[len('Invalid '):]}"
        raise ValueError(text) from None


def matched_momentum_values(methods: Mapping[str, Any], names: Iterable[str]) -> list[float]:
    """The momentum values a study running ``names`` must sweep: c·β_max for every CG
    coefficient c it runs, and the baseline's 0.9 (sorted; empty without CG)."""
    coeffs = set()
    for name in names:
        if name.startswith("cg_"):
            coeffs.update((methods.get(name) or {}).get("beta_coeff",
                                                        [CG_DEFAULT_BETA_COEFF]))
    if not coeffs:
        return []
    return sorted({round(c * CG_BETA_MAX, 12) for c in coeffs} | {BASELINE_MOMENTUM})


def _check_matched_momentum(where: str, methods: Mapping[str, Any], names: list[str]):
    """A study that runs CG also runs heavy-ball momentum at CG's caps c·β_max (and 0.9):
    CG with β at its cap is heavy-ball momentum of that size, so this is the control that
    tells conjugacy from momentum."""
    wanted = matched_momentum_values(methods, names)
    if not wanted:
        return
    if "momentum" not in names:
        raise _invalid(f"{where}.methods", names,
                       f"a list with momentum (the matched control of CG: momentum {wanted})")
    have = (methods.get("momentum") or {}).get("momentum", [BASELINE_MOMENTUM])
    missing = [m for m in wanted if not any(math.isclose(m, h) for h in have)]
    if missing:
        raise _invalid("methods.momentum.momentum", have,
                       f"a list including {wanted} (CG's caps c*{CG_BETA_MAX} of its "
                       "beta_coeff values, and 0.9)")


def _check_sizes(where: str, e: Mapping[str, Any]) -> None:
    """Refuse, at planning time, what would otherwise fail inside every job of an experiment.

    Image sizes the dataset does not offer, model kwargs the model does not take, and sample
    counts or batch sizes larger than the split they are drawn from.
    """
    spec = DATASET_SPECS[e["dataset"]]
    if spec.image_sizes and e.get("image_size") not in spec.image_sizes:
        raise _invalid(f"{where}.image_size", e.get("image_size"),
                       f"{', '.join(map(str, spec.image_sizes))} for {e['dataset']}")
    allowed = MODEL_KWARGS[e["model"]]
    for key in e.get("model_kwargs") or {}:
        if key not in allowed:
            raise _invalid(f"{where}.model_kwargs.{key}", key,
                           f"{', '.join(allowed)} for {e['model']}")
    train_n = spec.split_size("train")
    if train_n is not None and e["batch_size"] > train_n:
        raise _invalid(f"{where}.batch_size", e["batch_size"],
                       f"at most {train_n} (the {e['dataset']} training split)")
    ev = e["eval"]
    if ev["metric"] != "fid":
        return
    split = ev["reference_split"]
    ref_n = spec.split_size(split)
    if ref_n is None:
        return
    for key in ("reference_n", "n_samples"):
        if ev[key] > ref_n:
            raise _invalid(f"{where}.eval.{key}", ev[key],
                           f"at most {ref_n} (the {e['dataset']} {split} split)")


# --- the study ---------------------------------------------------------------------------------
class Study:
    """A validated study configuration and the grid of runs it expands to.

    Args:
        config: the configuration after schema validation (defaults filled in).
        results: the results root (``results``).

    Raises:
        ValueError: one line naming the offending key and the allowed values.
    """

    def __init__(self, config: Mapping[str, Any], results: str = "results"):
        self.config = config
        self.results = results
        self.name: str = config["study"]
        self._validate()
        for exp in self.experiments:
            unknown = set(self.experiment(exp).get("lr_grid") or {}) - set(self.lr_rules(exp))
            if unknown:
                raise _invalid(f"experiments.{exp}.lr_grid", sorted(unknown),
                               f"rules of this experiment: {self.lr_rules(exp)}")
        self._settings: dict[tuple[str, str, str], dict[str, Setting]] = {}
        for exp in self.experiments:
            for method in self.methods(exp):
                for rule in self.lr_rules(exp):
                    settings = self._expand(exp, method, rule)
                    self._settings[(exp, method, rule)] = {s.id: s for s in settings}
        if not self.n_sweep_runs:
            raise _invalid("experiments", list(self.experiments),
                           "a grid with at least one run (check methods, lr_rules, lr lists)")

    # -- validation ---------------------------------------------------------------------------
    def _validate(self) -> None:
        cfg = self.config
        if not isinstance(self.name, str) or not STUDY_NAME.match(self.name):
            raise _invalid("study", self.name,
                           "a name matching ^[A-Za-z0-9][A-Za-z0-9_.-]*$, e.g. default")
        if not cfg["experiments"]:
            raise _invalid("experiments", {}, "at least one experiment")
        for name, method_cfg in cfg["methods"].items():
            if name not in METHODS:
                raise _invalid(f"methods.{name}", name, ", ".join(METHODS))
            for key, values in (method_cfg or {}).items():
                if key in ("lr_d", "lr_g"):
                    self._check_lrs(f"methods.{name}.{key}", values)
                    continue
                allowed = METHOD_HPARAMS[name]
                if key not in allowed:
                    raise _invalid(f"methods.{name}.{key}", key,
                                   ", ".join(sorted(allowed | {"lr_d", "lr_g"})))
                if not isinstance(values, list) or not values:
                    raise _invalid(f"methods.{name}.{key}", values, "a non-empty list of values")
        for rule, rule_cfg in cfg["lr_rules"].items():
            if rule not in LR_RULE_KWARGS:
                raise _invalid(f"lr_rules.{rule}", rule, ", ".join(LR_RULE_KWARGS))
            kwargs = rule_cfg.get("kwargs") or {}
            needed = LR_RULE_KWARGS[rule]
            for key in kwargs:
                if key not in needed:
                    raise _invalid(f"lr_rules.{rule}.kwargs.{key}", key,
                                   ", ".join(needed) or "none")
            missing = [k for k in needed if k not in kwargs]
            if missing:
                raise _invalid(f"lr_rules.{rule}.kwargs.{missing[0]}", None,
                               f"the {rule} rule needs {', '.join(needed)}")
            _check_rule_values(rule, kwargs)
            for key in ("lr_d", "lr_g"):
                self._check_lrs(f"lr_rules.{rule}.{key}", rule_cfg.get(key))
        sizes: dict[str, Any] = {}
        for exp, e in cfg["experiments"].items():
            if e["dataset"] in IMAGE_DATASETS:
                size = sizes.setdefault(e["dataset"], e.get("image_size"))
                if size != e.get("image_size"):
                    raise _invalid(f"experiments.{exp}.image_size", e.get("image_size"),
                                   f"{size} (one image size per dataset in a study)")
        seeds = list(cfg["seeds"])
        if len(set(seeds)) != len(seeds):
            raise _invalid("seeds", seeds, "distinct seeds")
        if cfg["sweep_seed"] in seeds:
            # the run that won the selection must not count again in the confirmed
            # statistics (winner's curse): confirmation seeds are fresh
            raise _invalid("seeds", seeds,
                           f"seeds other than sweep_seed {cfg['sweep_seed']} (fresh "
                           "confirmation seeds)")
        if cfg["selection"]["by"] not in SELECTION_BY:
            raise _invalid("selection.by", cfg["selection"]["by"], ", ".join(SELECTION_BY))
        for exp, e in cfg["experiments"].items():
            where = f"experiments.{exp}"
            if e["dataset"] not in DATASETS:
                raise _invalid(f"{where}.dataset", e["dataset"], ", ".join(DATASETS))
            if e["model"] not in MODELS:
                raise _invalid(f"{where}.model", e["model"], ", ".join(MODELS))
            metric = e["eval"]["metric"]
            image = e["dataset"] in IMAGE_DATASETS
            if image and metric != "fid":
                raise _invalid(f"{where}.eval.metric", metric, "fid (image dataset)")
            if not image and metric != "modes":
                raise _invalid(f"{where}.eval.metric", metric, "modes (2-D mixture)")
            if image and not e.get("image_size"):
                raise _invalid(f"{where}.image_size", e.get("image_size"), "an integer")
            for key, names, pool in (("methods", e.get("methods"), cfg["methods"]),
                                     ("lr_rules", e.get("lr_rules"), cfg["lr_rules"])):
                for n in names or []:
                    if n not in pool:
                        raise _invalid(f"{where}.{key}", n, ", ".join(pool) or "none configured")
            _check_sizes(where, e)
            _check_matched_momentum(where, cfg["methods"], self.methods(exp))
            for m in self.methods(exp):
                if m in TOY_ONLY_METHODS:
                    raise _invalid(f"{where}.methods", m,
                                   "GAN methods (toy-only: " + ", ".join(sorted(TOY_ONLY_METHODS))
                                   + "; restrict with experiments.<name>.methods)")

    @staticmethod
    def _check_lrs(key: str, values: Any) -> None:
        if not isinstance(values, list) or not values:
            raise _invalid(key, values, "a non-empty list of positive learning rates")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 \
                    or not math.isfinite(v):
                raise _invalid(key, v, "positive finite numbers, e.g. 1.0e-3 (YAML needs the dot)")

    # -- grid ---------------------------------------------------------------------------------
    @property
    def experiments(self) -> list[str]:
        return list(self.config["experiments"])

    def experiment(self, exp: str) -> Mapping[str, Any]:
        return self.config["experiments"][exp]

    def methods(self, exp: str) -> list[str]:
        chosen = self.experiment(exp).get("methods")
        return list(self.config["methods"]) if chosen is None else list(chosen)

    def lr_rules(self, exp: str) -> list[str]:
        chosen = self.experiment(exp).get("lr_rules")
        return list(self.config["lr_rules"]) if chosen is None else list(chosen)

    def _expand(self, exp: str, method: str, rule: str) -> list[Setting]:
        # Learning-rate grid precedence: the method's own lists, then the experiment's grid
        # for this rule (datasets need different scales), then the rule's grid.
        method_cfg = dict(self.config["methods"][method] or {})
        rule_cfg = dict(self.config["lr_rules"][rule])
        rule_cfg.update((self.experiment(exp).get("lr_grid") or {}).get(rule) or {})
        lr_d = method_cfg.pop("lr_d", None) or rule_cfg["lr_d"]
        lr_g = method_cfg.pop("lr_g", None) or rule_cfg["lr_g"]
        names = sorted(method_cfg)
        out = []
        for ld, lg in itertools.product(lr_d, lr_g):
            for values in itertools.product(*(method_cfg[n] for n in names)):
                out.append(Setting(float(ld), float(lg), dict(zip(names, values))))
        return out

    def settings(self, exp: str, method: str, rule: str) -> dict[str, Setting]:
        """The sweep settings of one experiment x method x rule, keyed by setting id."""
        return self._settings[(exp, method, rule)]

    def groups(self, exp: str) -> list[tuple[str, str]]:
        """The (method, lr_rule) pairs of an experiment."""
        return [(m, r) for m in self.methods(exp) for r in self.lr_rules(exp)]

    @property
    def n_sweep_runs(self) -> int:
        return sum(len(s) for s in self._settings.values())

    @property
    def sweep_seed(self) -> int:
        return int(self.config["sweep_seed"])

    @property
    def seeds(self) -> list[int]:
        return [int(s) for s in self.config["seeds"]]

    def science_config(self) -> dict[str, Any]:
        """The config without its execution keys, as JSON for the jobs that rebuild the study."""
        return {k: v for k, v in self.config.items() if k not in EXECUTION_KEYS}

    @property
    def out_dir(self) -> str:
        """Where the study's tables, plots, metrics.json and report go (see module doc)."""
        if self.name == DEFAULT_STUDY:
            return self.results
        return f"{self.results}/studies/{self.name}"

    def runs_root(self) -> str:
        return f"{self.results}/runs/{self.name}"

    def run_dir(self, exp: str, method: str, rule: str, setting: str, seed: int) -> str:
        return self.run_dir_pattern(experiment=exp, method=method, lr_rule=rule,
                                    setting=setting, seed=seed)

    def run_dir_pattern(self, **fixed: Any) -> str:
        """The run-directory layout with Snakemake wildcards for the parts not ``fixed``.

        ``run_dir_pattern()`` is ``results/runs/<study>/{experiment}/{method}/{lr_rule}/
        {setting}/seed{seed}``: the workflow's rules take their output patterns from here,
        so the layout is written once.
        """

        class _Keep(dict):
            def __missing__(self, key: str) -> str:
                return "{" + key + "}"

        return f"{self.runs_root()}/" + RUN_DIR_LAYOUT.format_map(_Keep(fixed))

    def sweep_run_dirs(self, exp: str | None = None) -> list[str]:
        exps = [exp] if exp else self.experiments
        return [self.run_dir(e, m, r, sid, self.sweep_seed)
                for e in exps for (m, r) in self.groups(e) for sid in self.settings(e, m, r)]

    def sweep_chunks(self, size: int) -> list[tuple[str, list[str]]]:
        """The sweep runs in jobs of up to ``size`` runs: ``(experiment, run dirs)`` each.

        A chunk never mixes experiment x method x rule groups, so its runs share their
        inputs and the chunking of one group does not change when another group changes.
        """
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise _invalid("sweep_chunk", size, "an integer >= 1")
        chunks = []
        for exp in self.experiments:
            for method, rule in self.groups(exp):
                dirs = [self.run_dir(exp, method, rule, sid, self.sweep_seed)
                        for sid in self.settings(exp, method, rule)]
                chunks += [(exp, dirs[i:i + size]) for i in range(0, len(dirs), size)]
        return chunks

    def confirmation_run_dirs(self, selection: Mapping[str, Any]) -> list[str]:
        """Every seed's run directory of every selected setting in a selection record.

        Args:
            selection: the JSON of :func:`selection_record` (``experiment``, ``selected``).
        """
        exp = selection["experiment"]
        return [self.run_dir(exp, s["method"], s["lr_rule"], s["setting"], seed)
                for s in selection["selected"] for seed in self.seeds]

    def selection_path(self, exp: str) -> str:
        return f"{self.results}/selection/{self.name}/{exp}.json"

    def metric(self, exp: str) -> str:
        return self.experiment(exp)["eval"]["metric"]

    # -- data and reference statistics ---------------------------------------------------------
    @property
    def datasets(self) -> dict[str, int | None]:
        """Datasets to prepare -> image size (None for 2-D mixtures)."""
        out: dict[str, int | None] = {}
        for exp in self.experiments:
            e = self.experiment(exp)
            out.setdefault(e["dataset"], e.get("image_size") if e["dataset"] in IMAGE_DATASETS
                           else None)
        return out

    def manifest(self, dataset: str) -> str:
        return f"{self.config['data_root']}/{dataset}/manifest.json"

    def fid_stats_key(self, exp: str) -> str | None:
        """The reference-statistics file stem of an FID experiment (None for other metrics)."""
        e = self.experiment(exp)
        if e["eval"]["metric"] != "fid":
            return None
        ev = e["eval"]
        name = stats_filename(e["dataset"], e["image_size"], ev["reference_split"],
                              ev["extractor"], ev["dims"], ev["reference_n"],
                              ev.get("preprocessing", "fixed"))
        return name[: -len(".npz")]

    @property
    def fid_stats(self) -> dict[str, dict[str, Any]]:
        """Reference statistics to compute, keyed by file stem -> the fid_stats CLI arguments."""
        out: dict[str, dict[str, Any]] = {}
        for exp in self.experiments:
            key = self.fid_stats_key(exp)
            if key is None:
                continue
            e, ev = self.experiment(exp), self.experiment(exp)["eval"]
            out[key] = {"dataset": e["dataset"], "image_size": e["image_size"],
                        "extractor": ev["extractor"], "dims": ev["dims"], "n": ev["reference_n"],
                        "split": ev["reference_split"],
                        "preprocessing": ev.get("preprocessing", "fixed")}
        return out

    def fid_stats_path(self, exp: str) -> str | None:
        key = self.fid_stats_key(exp)
        return None if key is None else f"{self.results}/fid_stats/{key}.npz"

    def calibration_path(self, exp: str) -> str | None:
        """The calibration of an FID experiment's scale (None for other metrics).

        JSON with ``real_floor`` (held-out real images against the reference statistics),
        ``noise_ceiling`` (pixel noise matched to the data's per-channel mean and std) and
        ``n`` (images of each; the experiment's ``eval.n_samples`` where the held-out split
        has that many). Keyed like the reference statistics plus the sample count.
        """
        key = self.fid_stats_key(exp)
        if key is None:
            return None
        n = self.experiment(exp)["eval"]["n_samples"]
        return f"{self.results}/calibration/{key}-gen{n}.json"

    # -- run specs ----------------------------------------------------------------------------
    def run_spec_of(self, run_dir: str | os.PathLike) -> dict:
        """The spec of the run that lives in ``run_dir`` (see :meth:`run_dir`)."""
        w = parse_run_dir(run_dir)
        return self.run_spec(w["experiment"], w["method"], w["lr_rule"], w["setting"],
                             w["seed"])

    def run_spec(self, exp: str, method: str, rule: str, setting: str, seed: int) -> dict:
        """The JSON form of one run's :class:`cggan.spec.RunSpec` (validated there).

        What ``scripts/train.py --spec`` reads and summary.json stores. FID runs carry
        their FID protocol in ``eval`` (extractor, dims, reference_split, reference_n,
        preprocessing: the key of the reference statistics they are scored against).
        """
        from cggan.spec import RunSpec

        try:
            s = self.settings(exp, method, rule)[setting]
        except KeyError:
            raise _invalid("setting", f"{exp}/{method}/{rule}/{setting}",
                           "a setting of the configured sweep") from None
        e = self.experiment(exp)
        ev = e["eval"]
        evaluation = {"metric": ev["metric"], "every": ev["every"],
                      "n_samples": ev["n_samples"], "batch_size": ev["batch_size"]}
        if ev["metric"] == "fid":
            evaluation.update(extractor=ev["extractor"], dims=ev["dims"],
                              reference_split=ev["reference_split"],
                              reference_n=ev["reference_n"],
                              preprocessing=ev.get("preprocessing", "fixed"))
        return RunSpec.from_dict({
            "study": self.name,
            "experiment": exp,
            "dataset": {"name": e["dataset"],
                        "image_size": e.get("image_size") if e["dataset"] in IMAGE_DATASETS
                        else None,
                        "root": self.config["data_root"]},
            "model": {"name": e["model"], "z_dim": e["z_dim"],
                      "kwargs": dict(e.get("model_kwargs") or {})},
            "loss": e["loss"],
            "n_critic": e["n_critic"],
            "batch_size": e["batch_size"],
            "iterations": e["iterations"],
            "method": method,
            "method_kwargs": dict(s.method_kwargs),
            "lr_rule": rule,
            "lr_rule_kwargs": dict(self.config["lr_rules"][rule].get("kwargs") or {}),
            "lr_g": s.lr_g,
            "lr_d": s.lr_d,
            "seed": int(seed),
            "eval": evaluation,
            "checkpoint_every": e["checkpoint_every"],
        }).to_dict()


# --- consistency with existing results -----------------------------------------------------
def _first_difference(a: Any, b: Any, prefix: str = "") -> str | None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for k in sorted(set(a) | set(b)):
            d = _first_difference(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else k)
            if d:
                return d
        return None
    if a != b:
        return f"{prefix}: stored {json.dumps(a)} != configured {json.dumps(b)}"
    return None


UNREADABLE_SUFFIX = ".unreadable"


@dataclass
class RunCheck:
    """What :func:`check_existing_runs` found under a study's runs root.

    Attributes:
        checked: run directories whose stored spec equals the configured one.
        unreadable: ``(summary path, reason)`` of runs whose summary.json cannot be read or
            whose metrics.csv no longer matches the checksum the summary recorded.
    """

    checked: int = 0
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def read_summary(path: str | os.PathLike) -> dict[str, Any]:
    """A run's summary.json, verified against the files it describes.

    Raises:
        ValueError: one line naming the file: unreadable JSON, not an object, or a
            metrics.csv whose SHA-256 differs from the one recorded in ``files``.
    """
    from cggan.io import sha256_file

    path = Path(path)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: unreadable run summary ({exc})") from None
    if not isinstance(summary, dict) or "status" not in summary:
        raise ValueError(f"{path}: unreadable run summary (no status)")
    for name, digest in (summary.get("files") or {}).items():
        target = path.parent / name
        try:
            actual = sha256_file(target)
        except OSError as exc:
            raise ValueError(f"{target}: unreadable run file ({exc})") from None
        if actual != digest:
            raise ValueError(f"{target}: checksum differs from {path.name} (edited or "
                             "truncated)")
    return summary


def check_existing_runs(study: Study, *, seeds: Iterable[int] | None = None) -> RunCheck:
    """Check the existing run directories of a study before its DAG is planned.

    Walks only the directories that exist under the study's runs root, so it costs nothing on
    a fresh checkout. A directory of a setting the config no longer lists is left alone (it is
    not part of this study's DAG).

    Returns:
        The runs checked and the unreadable ones (see :func:`set_aside_unreadable`).

    Raises:
        ValueError: one line with the run directory and the first differing key, when a run
            was produced by a different config.
    """
    root = Path(study.runs_root())
    result = RunCheck()
    if not root.is_dir():
        return result
    seeds = set(seeds if seeds is not None else [study.sweep_seed, *study.seeds])
    for dirpath, dirnames, filenames in os.walk(root):
        if "summary.json" not in filenames:
            continue
        dirnames.clear()
        where = _configured_run(study, dirpath, seeds)
        if where is None:
            continue
        try:
            stored = read_summary(Path(dirpath) / "summary.json").get("spec")
        except ValueError as exc:
            result.unreadable.append((str(Path(dirpath) / "summary.json"), str(exc)))
            continue
        wanted = study.run_spec(where["experiment"], where["method"], where["lr_rule"],
                                where["setting"], where["seed"])
        wanted = json.loads(json.dumps(wanted))
        # a run written before keys were added to the spec format is still this config's
        diff = _first_difference(with_added_keys(stored, wanted), wanted)
        result.checked += 1
        if diff:
            raise ValueError(
                f"Invalid study: {study.name!r}: {dirpath} was produced by a different config "
                f"({diff}) (allowed: the same config, a new `study` name, or delete the run)")
    return result


def _configured_run(study: Study, dirpath: str, seeds: set[int]) -> dict[str, Any] | None:
    try:
        where = parse_run_dir(dirpath)
    except ValueError:
        return None
    key = (where["experiment"], where["method"], where["lr_rule"])
    if key not in study._settings or where["setting"] not in study._settings[key] \
            or where["seed"] not in seeds:
        return None
    return where


def set_aside_unreadable(unreadable: Iterable[tuple[str, str]]) -> list[str]:
    """Rename each unreadable ``summary.json`` to ``summary.json.unreadable``.

    Without its summary the run is incomplete, so the workflow plans it again (training
    resumes from its verified checkpoint or starts over); the bad file is kept for
    inspection, never deleted.

    Returns:
        One line per run set aside, for the user.
    """
    lines = []
    for path, reason in unreadable:
        os.replace(path, path + UNREADABLE_SUFFIX)
        lines.append(f"{reason}: kept as {Path(path).name}{UNREADABLE_SUFFIX}, retraining")
    return lines


# --- selection -----------------------------------------------------------------------------
def _metric_value(summary: Mapping[str, Any], by: str) -> float | None:
    value = summary.get("final_metric" if by == "final" else "best_metric")
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def select_settings(
    records: Iterable[Mapping[str, Any]], *, by: str = "final", direction: str = "min"
) -> list[dict[str, Any]]:
    """Choose, per method x rule, the best finished setting of a sweep.

    Args:
        records: one per sweep run: ``method``, ``lr_rule``, ``setting`` and ``summary``
            (the run's summary.json as a dict).
        by: ``"final"`` (the metric at the last evaluation) or ``"best"`` (best over the run).
        direction: ``"min"`` (FID) or ``"max"`` (modes covered).

    Returns:
        One dict per (method, lr_rule), sorted: counts of runs by status (``n_runs``,
        ``n_finished``, ``n_diverged``, ``n_failed``, ``n_no_metric``) and ``selected``: the
        chosen ``setting`` id with its ``lr_d``, ``lr_g``, ``method_kwargs`` and ``value``,
        or None when no run finished with a finite metric. Diverged and failed runs are
        counted, never selected. Ties go to the smaller setting id (deterministic).
    """
    if by not in SELECTION_BY:
        raise _invalid("selection.by", by, ", ".join(SELECTION_BY))
    if direction not in ("min", "max"):
        raise _invalid("direction", direction, "min, max")
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in records:
        key = (rec["method"], rec["lr_rule"])
        g = groups.setdefault(key, {"method": key[0], "lr_rule": key[1], "n_runs": 0,
                                    "n_finished": 0, "n_diverged": 0, "n_failed": 0,
                                    "n_no_metric": 0, "candidates": []})
        summary = rec["summary"]
        status = summary.get("status")
        g["n_runs"] += 1
        if status not in RUN_STATUSES:
            status = "failed"
        g[f"n_{status}"] += 1
        if status != "finished":
            continue
        value = _metric_value(summary, by)
        if value is None:
            g["n_no_metric"] += 1
            continue
        spec = summary.get("spec") or {}
        g["candidates"].append({"setting": rec["setting"], "lr_d": spec.get("lr_d"),
                                "lr_g": spec.get("lr_g"),
                                "method_kwargs": spec.get("method_kwargs", {}),
                                "value": value})
    sign = 1.0 if direction == "min" else -1.0
    out = []
    for key in sorted(groups):
        g = groups[key]
        cands = g.pop("candidates")
        g["selected"] = min(cands, key=lambda c: (sign * c["value"], c["setting"])) \
            if cands else None
        out.append(g)
    return out


def selection_record(
    *, study: str, experiment: str, metric: str, groups: list[dict[str, Any]], by: str,
    direction: str, sweep_seed: int, seeds: list[int],
) -> dict[str, Any]:
    """The selection file of one experiment (read back by the DAG and by cggan.aggregate).

    ``selected`` lists the chosen setting of every method x rule that has one; ``groups``
    keeps every method x rule with its run counts (a group whose runs all diverged or failed
    has ``selected: null`` there and no confirmation runs).
    """
    return {
        "study": study,
        "experiment": experiment,
        "metric": metric,
        "direction": direction,
        "by": by,
        "sweep_seed": int(sweep_seed),
        "seeds": [int(s) for s in seeds],
        "selected": [{"method": g["method"], "lr_rule": g["lr_rule"], **g["selected"]}
                     for g in groups if g["selected"]],
        "groups": groups,
    }


# --- configuration errors ---------------------------------------------------------------------
def load_study(config: str | os.PathLike, results: str = "results") -> Study:
    """A :class:`Study` from its resolved configuration: a JSON file or the JSON text.

    The workflow passes :meth:`Study.science_config` as JSON text to the jobs that rebuild the
    study's run list (selection, aggregation), so that they read exactly the runs the DAG names.

    Raises:
        ValueError: unreadable JSON, or a configuration :class:`Study` refuses.
    """
    text = str(config)
    if not text.lstrip().startswith("{"):
        try:
            text = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"Invalid study config: {config} ({exc})") from None
    try:
        cfg = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"Invalid study config: not JSON ({exc})") from None
    if not isinstance(cfg, dict):
        raise ValueError("Invalid study config: not a JSON object")
    return Study(cfg, results=results)


def select_experiment(study: Study, exp: str) -> dict[str, Any]:
    """The selection record of one experiment, from its configured sweep runs.

    Reads exactly the sweep runs the study names (never a glob of the directory), each
    through :func:`read_summary`.

    Raises:
        ValueError: one line naming a missing or unreadable summary.json.
    """
    records = []
    for run_dir in study.sweep_run_dirs(exp):
        path = Path(run_dir) / "summary.json"
        if not path.is_file():
            raise ValueError(f"{path}: missing run summary (run the sweep first)")
        records.append({**parse_run_dir(run_dir), "summary": read_summary(path)})
    metric = study.metric(exp)
    direction = METRIC_DIRECTION[metric]
    by = study.config["selection"]["by"]
    groups = select_settings(records, by=by, direction=direction)
    return selection_record(study=study.name, experiment=exp, metric=metric, groups=groups,
                            by=by, direction=direction, sweep_seed=study.sweep_seed,
                            seeds=study.seeds)


def format_schema_error(error: Any) -> str:
    """One line for a ``jsonschema.ValidationError``: the key path, the value, what is allowed."""
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                   for p in error.absolute_path).lstrip(".") or "config"
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    validator = error.validator
    if validator == "required":
        missing = [k for k in error.validator_value if k not in (error.instance or {})]
        key = f"{path}.{missing[0]}" if path != "config" and missing else (
            missing[0] if missing else path)
        return f"Invalid {key}: missing (allowed: {_describe(schema, missing)})"
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        key = f"{path}.{extra[0]}" if path != "config" and extra else (extra[0] if extra else path)
        allowed = ", ".join(schema.get("properties", {})) or "none"
        return f"Invalid {key}: unknown key (allowed: {allowed})"
    if validator == "propertyNames":
        return f"Invalid {path}: {error.instance!r} (allowed: " \
               f"{', '.join(map(str, error.validator_value.get('enum', [])))})"
    if validator == "enum":
        return f"Invalid {path}: {error.instance!r} (allowed: " \
               f"{', '.join(map(str, error.validator_value))})"
    hint = ""
    if validator == "type" and isinstance(error.instance, str) and "number" in str(
            error.validator_value):
        hint = "; YAML reads 1e-3 as text, write 1.0e-3"
    return f"Invalid {path}: {error.instance!r} ({error.message}{hint})"[:400]


def _describe(schema: Mapping[str, Any], missing: list[str]) -> str:
    props = schema.get("properties", {})
    if missing and missing[0] in props:
        return props[missing[0]].get("description", "required key").rstrip(".")
    return "required key"
