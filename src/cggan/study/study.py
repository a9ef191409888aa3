"""A study's configuration -> the grid of training runs and their directories.

Pure Python on purpose (no torch): the Snakefile imports this module to build the DAG,
and ``snakemake -n`` on the published grid (about two thousand runs) must stay fast.

Checks of a config: :mod:`cggan.study.config_checks`; existing runs:
:mod:`cggan.study.existing_runs`; selection: :mod:`cggan.study.selection`; every path
of a study, run directories and setting ids: :mod:`cggan.study.layout`
(:class:`~cggan.study.layout.StudyPaths`, ``Study.paths``); the settings extension
rounds added: :mod:`cggan.study.grid_extension`; run specs:
:mod:`cggan.study.run_specs`.

Vocabulary:
    experiment: one dataset + model + training protocol
        (``config["experiments"][name]``).
    setting: one point of a method's sweep under one learning-rate rule: ``lr_d``,
        ``lr_g`` and the method's swept hyperparameters. Its id
        (:func:`cggan.study.layout.setting_id`) names a directory.
    run: a setting trained with one seed; the run spec (:func:`Study.run_spec`) is the
        JSON that ``scripts/train.py --spec`` consumes and stores verbatim
        in ``summary.json``.
    sweep -> selection -> confirmation: every setting runs at every ``sweep_seeds``
        seed; per experiment x method x rule x pool the setting with the best seed mean
        (:func:`cggan.study.ranking.select_settings`)
        is re-run with every seed in ``seeds`` (fresh seeds, never a sweep seed).

Run directories:
``results/runs/<study>/<experiment>/<method>/<lr_rule>/<setting>/seed<k>/``.

Outputs of a study (tables, plots, metrics.json, report): ``results/`` for the study
named ``default`` (the paths the README shows), ``results/studies/<study>/`` for every
other study, so that a new study name never finds another study's tables and
always plans its own runs (:attr:`StudyPaths.out_dir
<cggan.study.layout.StudyPaths.out_dir>`).

The names a config may use (methods, rules, datasets, models) come from
:mod:`cggan.registry`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from cggan.fid_protocol import FIDProtocol
from cggan.registry import IMAGE_DATASETS
from cggan.study.config_checks import read_study_config, validate_study_config
from cggan.study.grid import configured_grid, grid_shape
from cggan.study.grid_extension import extension_settings
from cggan.study.layout import DEFAULT_STUDY, Setting, StudyPaths, parse_run_dir
from cggan.study.run_specs import RunSpecs

__all__ = [
    "DEFAULT_STUDY",
    "EXECUTION_KEYS",
    "Study",
    "load_experiment_study",
    "load_study",
]

#: Config keys that say how to run, not what to compute: they never change a result, so
#: they are left out of :meth:`Study.science_config` (a job's params change only with
#: the science).
EXECUTION_KEYS = ("device", "group_seeds", "sweep_chunk")


# --- the study ------------------------------------------------------------------------
class Study:
    """A validated study configuration and the grid of runs it expands to.

    Its paths are one value, :attr:`paths` (:class:`~cggan.study.layout.StudyPaths`);
    its run specs are built once per setting and kept, :attr:`specs`
    (:class:`~cggan.study.run_specs.RunSpecs`).

    Args:
        config: the configuration after schema validation (defaults filled in).
        results: the results root (``results``).

    Raises:
        ValueError: one line naming the offending key and the allowed values.
    """

    def __init__(self, config: Mapping[str, Any], results: str = "results"):
        self.config = config
        self.name: str = config["study"]
        self.paths = StudyPaths.of_config(config, results)
        validate_study_config(config, self.methods)
        self._settings = configured_grid(config, self.methods, self.lr_rules)
        self.specs = RunSpecs(config, self.settings)

    # -- grid --------------------------------------------------------------------------
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

    def grid_shape(self, exp: str, rule: str) -> str:
        """``product`` or ``paired`` (:func:`cggan.study.grid.grid_shape`)."""
        return grid_shape(self.config, exp, rule)

    # -- grid extension (cggan.study.grid_extension) -----------------------------------
    @property
    def max_grid_extensions(self) -> int:
        return int(self.config["selection"].get("max_grid_extensions", 0))

    def _extension_settings(
        self, exp: str, rounds: int | None = None
    ) -> dict[tuple[str, str], dict[str, tuple[int, Setting]]]:
        """The settings added by the extension rounds on disk, up to ``rounds`` (all
        configured rounds when None): ``{(method, rule): {setting id: (round,
        Setting)}}`` (:func:`cggan.study.grid_extension.extension_settings`)."""
        limit = self.max_grid_extensions if rounds is None else rounds
        return extension_settings(self.paths, exp, min(limit, self.max_grid_extensions))

    def settings(
        self, exp: str, method: str, rule: str, rounds: int | None = None
    ) -> dict[str, Setting]:
        """The sweep settings of one experiment x method x rule, keyed by setting id:
        the configured grid, then the settings extension rounds added (those on disk, up
        to ``rounds``; 0 = the configured grid only)."""
        out = dict(self._settings[(exp, method, rule)])
        if rounds == 0 or not self.max_grid_extensions:
            return out
        added = self._extension_settings(exp, rounds).get((method, rule), {})
        for sid, (_, setting) in added.items():
            out.setdefault(sid, setting)
        return out

    def grid_rounds(self, exp: str) -> dict[tuple[str, str, str], int]:
        """``{(method, rule, setting id): round}`` of every sweep setting of an
        experiment: 0 for the configured grid, k for the extension round k that added
        it (the rounds on disk, read once). For callers that ask about many runs."""
        out = {
            (m, r, sid): 0
            for (e, m, r), grid in self._settings.items()
            if e == exp
            for sid in grid
        }
        if self.max_grid_extensions:
            for (m, r), added in self._extension_settings(exp).items():
                for sid, (round_, _) in added.items():
                    out.setdefault((m, r, sid), round_)
        return out

    def has_setting(self, exp: str, method: str, rule: str, setting: str) -> bool:
        """Whether the study's grid (configured or extended on disk) has a setting."""
        return (method, rule, setting) in self.grid_rounds(exp)

    def setting_round(self, exp: str, method: str, rule: str, setting: str) -> int:
        """0 for a setting of the configured grid, else the extension round that added
        it (-1 when it is neither)."""
        return self.grid_rounds(exp).get((method, rule, setting), -1)

    def groups(self, exp: str) -> list[tuple[str, str]]:
        """The (method, lr_rule) pairs of an experiment."""
        return [(m, r) for m in self.methods(exp) for r in self.lr_rules(exp)]

    @property
    def n_sweep_runs(self) -> int:
        """Runs of the configured grid (extension rounds not counted)."""
        return sum(len(s) for s in self._settings.values())

    @property
    def sweep_seeds(self) -> list[int]:
        return [int(s) for s in self.config["sweep_seeds"]]

    @property
    def seeds(self) -> list[int]:
        return [int(s) for s in self.config["seeds"]]

    def science_config(self) -> dict[str, Any]:
        """The config without its execution keys, as JSON for the jobs that
        rebuild the study."""
        return {k: v for k, v in self.config.items() if k not in EXECUTION_KEYS}

    def sweep_run_dirs(
        self, exp: str | None = None, rounds: int | None = None
    ) -> list[str]:
        """The sweep runs: the configured grid and the extension rounds on disk (up to
        ``rounds``; 0 = the configured grid only)."""
        exps = [exp] if exp else self.experiments
        return [
            self.paths.run_dir(e, m, r, sid, seed)
            for e in exps
            for (m, r) in self.groups(e)
            for sid in self.settings(e, m, r, rounds)
            for seed in self.sweep_seeds
        ]

    def confirmation_run_dirs(self, selection: Mapping[str, Any]) -> list[str]:
        """Every seed's run directory of every selected setting in a selection record.

        Args:
            selection: the JSON of :func:`selection_record`
                (``experiment``, ``selected``).
        """
        exp = selection["experiment"]
        return [
            self.paths.run_dir(exp, s["method"], s["lr_rule"], s["setting"], seed)
            for s in selection["selected"]
            for seed in self.seeds
        ]

    def metric(self, exp: str) -> str:
        return self.experiment(exp)["eval"]["metric"]

    # -- data and reference statistics -------------------------------------------------
    @property
    def datasets(self) -> dict[str, int | None]:
        """Datasets to prepare -> image size (None for 2-D mixtures)."""
        out: dict[str, int | None] = {}
        for exp in self.experiments:
            e = self.experiment(exp)
            out.setdefault(
                e["dataset"],
                e.get("image_size") if e["dataset"] in IMAGE_DATASETS else None,
            )
        return out

    def fid_protocol(self, exp: str) -> FIDProtocol | None:
        """The FID protocol of an FID experiment (None for other metrics)."""
        e = self.experiment(exp)
        if e["eval"]["metric"] != "fid":
            return None
        return FIDProtocol.of_eval(e["dataset"], e["image_size"], e["eval"])

    @property
    def fid_stats(self) -> dict[str, FIDProtocol]:
        """Reference statistics to compute: file stem -> their protocol."""
        protocols = (self.fid_protocol(exp) for exp in self.experiments)
        return {p.stats_stem: p for p in protocols if p is not None}

    def fid_stats_path(self, exp: str) -> str | None:
        """The reference statistics of an FID experiment (None for other metrics)."""
        protocol = self.fid_protocol(exp)
        if protocol is None:
            return None
        return self.paths.fid_stats(protocol.stats_filename())

    def calibration_path(self, exp: str) -> str | None:
        """The calibration of an FID experiment's scale (None for other metrics).

        JSON with ``real_floor`` (held-out real images against the reference
        statistics), ``noise_reference`` (pixel noise matched to the data's per-channel
        mean and std) and ``n`` (images of each; the experiment's ``eval.n_samples``
        where the held-out split has that many). Keyed like the reference statistics
        plus the sample count.
        """
        protocol = self.fid_protocol(exp)
        if protocol is None:
            return None
        n = self.experiment(exp)["eval"]["n_samples"]
        return self.paths.calibration(protocol.calibration_filename(n))

    # -- run specs ---------------------------------------------------------------------
    def run_spec_of(self, run_dir: str | os.PathLike) -> dict:
        """The spec of the run that lives in ``run_dir``
        (:meth:`StudyPaths.run_dir <cggan.study.layout.StudyPaths.run_dir>`)."""
        w = parse_run_dir(run_dir)
        return self.run_spec(
            w["experiment"], w["method"], w["lr_rule"], w["setting"], w["seed"]
        )

    def run_spec(
        self, exp: str, method: str, rule: str, setting: str, seed: int
    ) -> dict:
        """The JSON form of one run's :class:`cggan.spec.RunSpec`: what
        ``scripts/train.py --spec`` reads and summary.json stores, built once per
        setting (:class:`cggan.study.run_specs.RunSpecs`).

        Raises:
            ValueError: a setting the study does not have, or a value the spec refuses.
        """
        return self.specs.spec(exp, method, rule, setting, seed)


def load_experiment_study(config: str | os.PathLike, experiment: str) -> Study:
    """:func:`load_study`, checked to have ``experiment`` (the selection and grid
    extension CLIs take one).

    Raises:
        ValueError: as :func:`load_study`, or an unknown experiment (one line).
    """
    try:
        study = load_study(config)
    except KeyError as exc:  # a JSON that is not a resolved study config
        raise ValueError(f"Invalid study config: missing key {exc}") from None
    if experiment not in study.experiments:
        raise ValueError(
            f"Invalid --experiment: {experiment!r} "
            f"(allowed: {', '.join(study.experiments)})"
        )
    return study


def load_study(config: str | os.PathLike, results: str = "results") -> Study:
    """A :class:`Study` from its resolved configuration: a JSON file or the JSON text.

    The workflow passes :meth:`Study.science_config` as JSON text to the jobs that
    rebuild the study's run list (selection, aggregation), so that they read exactly
    the runs the DAG names.

    Raises:
        ValueError: unreadable JSON, or a configuration :class:`Study` refuses.
    """
    return Study(read_study_config(config), results=results)
