"""Names on disk: setting ids, the run-directory layout and every path of a study
(torch-free).

A *setting* is one point of a method's sweep under one learning-rate rule (``lr_d``,
``lr_g`` and the method's swept hyperparameters); its id names a directory. A run lives
in ``results/runs/<study>/`` + :data:`RUN_DIR_LAYOUT`; :func:`parse_run_dir` reads the
parts back. :class:`StudyPaths` names every file and directory of one study (runs,
selection, receipts, tables, plots, toy games, logs, data and reference statistics):
``workflow/``, the scripts and the rest of :mod:`cggan.study` ask it, and nothing else
spells these paths.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cggan.checks import invalid as _invalid

__all__ = [
    "LR_GRID",
    "RECEIPT_LAYOUT",
    "RULE_LOGS",
    "RUN_DIR_LAYOUT",
    "Setting",
    "StudyPaths",
    "parse_run_dir",
    "pool_id",
    "pool_of_setting",
    "setting_id",
    "summary_path",
]

#: A run's directory under ``results/runs/<study>/`` (parse_run_dir reads it back).
RUN_DIR_LAYOUT = "{experiment}/{method}/{lr_rule}/{setting}/seed{seed}"
#: A sweep chunk's receipt under ``results/chunks/<study>/`` (cggan.study.chunks).
RECEIPT_LAYOUT = "{experiment}/{method}/{lr_rule}/chunk{chunk}.json"
#: Each rule's log under ``results/logs/``: ``{study}`` is the study's name, every other
#: field stays a wildcard of the rule (:meth:`StudyPaths.log`).
RULE_LOGS = {
    "prepare_data": "prepare_data/{dataset}.log",
    "fid_stats": "fid_stats/{stats}.log",
    "calibrate": "calibration/{calibration}.log",
    "train": "train/{study}/" + RUN_DIR_LAYOUT + ".log",
    "train_seeds": "train/{study}/{experiment}/{method}/{lr_rule}/{setting}/seeds.log",
    "train_chunk": "train/{study}/{experiment}/{method}/{lr_rule}/chunk{chunk}.log",
    "extend_grid": "select/{study}/{experiment}-extension{round}.log",
    "select_settings": "select/{study}/{experiment}.log",
    "set_aside": "set_aside/{path}.{digest}.{reason}.log",
    "toy_games": "toy/{study}/games.log",
    "toy_report": "toy/{study}/report.log",
    "aggregate": "aggregate/{study}.log",
}
#: The study whose outputs live directly under ``results/`` (the README's paths).
DEFAULT_STUDY = "default"


def _format_value(value: Any) -> str:
    """A short, stable, path-safe text for one hyperparameter value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # repr is the shortest text that round-trips: 0.0005 ->
        # "0.0005", 5e-05 -> "5e-05".
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "x".join(_format_value(v) for v in value)
    raise _invalid(
        "hyperparameter value", value, "numbers, strings, booleans, lists of them"
    )


def setting_id(lr_d: float, lr_g: float, method_kwargs: Mapping[str, Any]) -> str:
    """The directory name of one sweep setting, e.g.
    ``lr_d~0.001_lr_g~5e-05_beta_coeff~0.5``.

    Readable (Paramspace's ``name~value`` style) and stable: keys are sorted, floats use
    their shortest round-trip text, so the same setting always maps
    to the same directory.
    """
    parts = [f"lr_d~{_format_value(float(lr_d))}", f"lr_g~{_format_value(float(lr_g))}"]
    parts += [f"{k}~{_format_value(method_kwargs[k])}" for k in sorted(method_kwargs)]
    return "_".join(parts)


#: The pool of a method that sweeps no hyperparameter besides the learning rates.
LR_GRID = "lr grid"


def pool_id(method_kwargs: Mapping[str, Any]) -> str:
    """The pool of a setting: its swept hyperparameters as the setting ids spell them
    (``momentum~0.9``), or :data:`LR_GRID` for none.

    A pool is one value (one combination) of a method's swept hyperparameters with the
    whole learning-rate grid: selection, grid extension and the claims work per pool.
    """
    if not method_kwargs:
        return LR_GRID
    return "_".join(
        f"{k}~{_format_value(method_kwargs[k])}" for k in sorted(method_kwargs)
    )


_SETTING_ID = re.compile(r"^lr_d~[^_]+_lr_g~[^_]+(?:_(?P<hparams>.+))?$")


def pool_of_setting(setting: str, default: str | None = None) -> str:
    """The pool a setting id belongs to (the part after its learning rates); an id
    outside the layout is ``default`` when one is given, else an error."""
    match = _SETTING_ID.match(str(setting))
    if not match and default is not None:
        return default
    if not match:
        raise _invalid("setting id", setting, "lr_d~<lr>_lr_g~<lr>[_<name>~<value>...]")
    return match.group("hparams") or LR_GRID


@dataclass(frozen=True)
class Setting:
    """One point of a sweep: learning rates and the method's swept hyperparameters."""

    lr_d: float
    lr_g: float
    method_kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return setting_id(self.lr_d, self.lr_g, self.method_kwargs)

    @property
    def pool(self) -> str:
        return pool_id(self.method_kwargs)


def parse_run_dir(path: str | os.PathLike) -> dict[str, Any]:
    """Split
    ``.../<study>/<experiment>/<method>/<lr_rule>/<setting>/seed<k>[/summary.json]``.

    Returns:
        dict with study, experiment, method, lr_rule, setting, seed.
    """
    parts = Path(path).parts
    if parts and parts[-1] == "summary.json":
        parts = parts[:-1]
    if (
        len(parts) < 6
        or not parts[-1].startswith("seed")
        or not parts[-1][4:].isdigit()
    ):
        raise _invalid(
            "run directory",
            str(path),
            ".../<study>/<experiment>/<method>/<lr_rule>/<setting>/seed<k>",
        )
    study, experiment, method, lr_rule, setting, seed = parts[-6:]
    return {
        "study": study,
        "experiment": experiment,
        "method": method,
        "lr_rule": lr_rule,
        "setting": setting,
        "seed": int(seed[4:]),
    }


def summary_path(run_dir: str) -> str:
    """The ``summary.json`` of a run directory: the file that says the run is done."""
    return f"{run_dir}/summary.json"


class _Wildcards(dict):
    """``str.format_map`` fills the fields given and keeps the others as wildcards."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(layout: str, fixed: Mapping[str, Any]) -> str:
    return layout.format_map(_Wildcards(fixed))


@dataclass(frozen=True)
class StudyPaths:
    """Every path of one study, relative to the working directory.

    A method that takes wildcards (``run_dir_pattern``, ``summary``, ``receipt``) fills
    the ones given and keeps the others as Snakemake wildcards (``{experiment}``), so a
    rule's output pattern and the path of one of its jobs are written once. Names that
    are Snakemake patterns elsewhere (``"{stats}.npz"``) may be passed where a method
    takes a file name.

    Args:
        study: the study's name (``config["study"]``).
        results: the results root.
        data_root: the dataset cache (``config["data_root"]``).
    """

    study: str
    results: str = "results"
    data_root: str = "results/data"

    @classmethod
    def of_config(
        cls, config: Mapping[str, Any], results: str = "results"
    ) -> StudyPaths:
        """The paths of a study config (schema defaults filled in)."""
        return cls(config["study"], results, config["data_root"])

    # -- training runs -----------------------------------------------------------------
    @property
    def runs_root(self) -> str:
        """``results/runs/<study>``: every run of the study lies under it."""
        return f"{self.results}/runs/{self.study}"

    def run_dir_pattern(self, **fixed: Any) -> str:
        """``results/runs/<study>/`` + :data:`RUN_DIR_LAYOUT`, the parts not ``fixed``
        kept as wildcards (``{experiment}/{method}/{lr_rule}/{setting}/seed{seed}``)."""
        return f"{self.runs_root}/" + _fill(RUN_DIR_LAYOUT, fixed)

    def run_dir(
        self, experiment: str, method: str, lr_rule: str, setting: str, seed: int
    ) -> str:
        return self.run_dir_pattern(
            experiment=experiment,
            method=method,
            lr_rule=lr_rule,
            setting=setting,
            seed=seed,
        )

    def summary(self, **fixed: Any) -> str:
        """A run's ``summary.json`` (wildcards as :meth:`run_dir_pattern`)."""
        return summary_path(self.run_dir_pattern(**fixed))

    def receipt(self, **fixed: Any) -> str:
        """A sweep chunk's receipt, ``results/chunks/<study>/`` +
        :data:`RECEIPT_LAYOUT` (wildcards as :meth:`run_dir_pattern`)."""
        return f"{self.results}/chunks/{self.study}/" + _fill(RECEIPT_LAYOUT, fixed)

    # -- selection and grid extension --------------------------------------------------
    @property
    def selection_dir(self) -> str:
        return f"{self.results}/selection/{self.study}"

    def selection(self, experiment: str) -> str:
        """An experiment's selection file (``select_settings``)."""
        return f"{self.selection_dir}/{experiment}.json"

    def extension(self, experiment: str, round_: int | str) -> str:
        """The settings extension round ``round_`` (1, 2, ...) added to an experiment's
        grids (``extend_grid``)."""
        return f"{self.selection_dir}/{experiment}/extension{round_}.json"

    # -- the study's outputs -----------------------------------------------------------
    @property
    def out_dir(self) -> str:
        """Where the tables, plots, metrics.json, toy games and report go: the results
        root for the study named ``default`` (the README's paths), else
        ``results/studies/<study>`` (a new name never finds another study's tables)."""
        if self.study == DEFAULT_STUDY:
            return self.results
        return f"{self.results}/studies/{self.study}"

    def table(self, name: str) -> str:
        return f"{self.out_dir}/tables/{name}"

    def plot(self, name: str) -> str:
        """A file of the plots (``data/<name>.csv`` for a plot's data)."""
        return f"{self.out_dir}/plots/{name}"

    @property
    def metrics(self) -> str:
        return f"{self.out_dir}/metrics.json"

    @property
    def toy_dir(self) -> str:
        """The toy games' trajectories (``<game>/<run>.csv``)."""
        return f"{self.out_dir}/toy"

    def toy(self, relpath: str) -> str:
        """A toy run's trajectory (``relpath``: ``<game>/<run>.csv``)."""
        return f"{self.toy_dir}/{relpath}"

    # -- inputs shared by studies ------------------------------------------------------
    def manifest(self, dataset: str) -> str:
        """A prepared dataset's manifest (written last: the dataset is ready)."""
        return f"{self.data_root}/{dataset}/manifest.json"

    def fid_stats(self, name: str) -> str:
        """A file of the FID reference statistics (a protocol's file name)."""
        return f"{self.results}/fid_stats/{name}"

    def calibration(self, name: str) -> str:
        """A file of the FID calibrations (a protocol's file name)."""
        return f"{self.results}/calibration/{name}"

    # -- logs --------------------------------------------------------------------------
    @property
    def logs(self) -> str:
        return f"{self.results}/logs"

    def log(self, rule: str, **fixed: Any) -> str:
        """A rule's log (:data:`RULE_LOGS`), its wildcards kept unless ``fixed``."""
        if rule not in RULE_LOGS:
            raise _invalid("rule", rule, ", ".join(RULE_LOGS))
        return f"{self.logs}/" + _fill(RULE_LOGS[rule], {"study": self.study, **fixed})
