"""The study layer: a config becomes a grid of runs, checked against what is on disk,
selected, extended and confirmed. Torch-free (the Snakefile plans with it).

Modules, each importing what it uses from the module that defines it:

- :mod:`cggan.study.study`: :class:`Study` (a validated config -> its grid, run
  directories and run specs; its paths in ``Study.paths``) and the loaders of a study
  config;
- :mod:`cggan.study.grid`: the settings each pool's lists expand to;
- :mod:`cggan.study.run_specs`: the run spec of a planned run, built once per setting,
  and every planned run's spec checked at planning;
- :mod:`cggan.study.config_checks`: every cross-key check of a config, one line each;
- :mod:`cggan.study.config_file`: a config file read and validated as the workflow does;
- :mod:`cggan.study.layout`: every path of a study (:class:`StudyPaths`: runs,
  selection, receipts, tables, plots, toy games, logs, data), run directories and
  setting ids;
- :mod:`cggan.study.existing_runs`: the runs already on disk (unreadable, stale, of
  another config);
- :mod:`cggan.study.set_asides`: what planning decides to make again and set aside,
  done only by a real run (planning reads only);
- :mod:`cggan.study.ranking`: ranking a sweep's settings by the mean of their sweep
  seeds, and how sure the choice is;
- :mod:`cggan.study.selection`: the setting each pool confirms, and the check of a
  selection file;
- :mod:`cggan.study.cost`: what a study costs at the speeds measured here;
- :mod:`cggan.study.pilot`: what a pilot's runs say about a study's length (pool
  lengths, how far the metric still moves);
- :mod:`cggan.study.metrics_csv`: a run's ``metrics.csv``, read as numbers;
- :mod:`cggan.study.grid_extension`: the steps past a grid's edge, and the settings the
  rounds on disk added;
- :mod:`cggan.study.chunks`: sweep runs trained several to a job, and their receipts.

What this package exports (``__all__``) is the API the workflow and scripts use.
"""

from cggan.study.config_checks import format_schema_error, read_study_config
from cggan.study.existing_runs import (
    RunCheck,
    check_existing_runs,
    restore_stale,
)
from cggan.study.layout import Setting, StudyPaths, parse_run_dir, setting_id
from cggan.study.ranking import select_settings
from cggan.study.selection import (
    extension_round,
    select_experiment,
    selection_record,
)
from cggan.study.set_asides import SetAsides, plan_set_asides
from cggan.study.study import (
    DEFAULT_STUDY,
    EXECUTION_KEYS,
    Study,
    load_experiment_study,
    load_study,
)

__all__ = [
    "DEFAULT_STUDY",
    "EXECUTION_KEYS",
    "RunCheck",
    "SetAsides",
    "Setting",
    "Study",
    "StudyPaths",
    "check_existing_runs",
    "extension_round",
    "format_schema_error",
    "load_experiment_study",
    "load_study",
    "parse_run_dir",
    "read_study_config",
    "select_experiment",
    "select_settings",
    "selection_record",
    "plan_set_asides",
    "restore_stale",
    "setting_id",
]
