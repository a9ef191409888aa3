"""The study layer: a config becomes a grid of runs, checked against what is on disk,
selected, extended and confirmed. Torch-free (the Snakefile plans with it).

Modules, each importing what it uses from the module that defines it:

- :mod:`cggan.study.study`: :class:`Study` (a validated config -> run directories, run
  specs, output paths) and the loaders of a study config;
- :mod:`cggan.study.grid`: the settings each pool's lists expand to;
- :mod:`cggan.study.run_specs`: the run spec of one planned run;
- :mod:`cggan.study.config_checks`: every cross-key check of a config, one line each;
- :mod:`cggan.study.run_spec_checks`: every planned run's spec, built at planning;
- :mod:`cggan.study.layout`: run directories and setting ids (no config needed);
- :mod:`cggan.study.existing_runs`: the runs already on disk (unreadable, stale, of
  another config);
- :mod:`cggan.study.ranking`: ranking a sweep's settings by the mean of their sweep
  seeds, and how sure the choice is;
- :mod:`cggan.study.selection`: the setting each pool confirms, and the verification
  of a selection file;
- :mod:`cggan.study.cost`: what a study costs at the speeds measured here;
- :mod:`cggan.study.grid_extension`: the steps past a grid's edge;
- :mod:`cggan.study.chunks`: sweep runs trained several to a job, and their receipts.

What this package exports (``__all__``) is the API the workflow and scripts use.
"""

from cggan.study.config_checks import format_schema_error, read_study_config
from cggan.study.existing_runs import (
    RunCheck,
    check_existing_runs,
    handle_stale_runs,
    set_aside_unreadable,
)
from cggan.study.layout import Setting, parse_run_dir, setting_id
from cggan.study.ranking import select_settings
from cggan.study.selection import (
    extension_round,
    select_experiment,
    selection_record,
    verify_selection_files,
)
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
    "Setting",
    "Study",
    "check_existing_runs",
    "extension_round",
    "format_schema_error",
    "handle_stale_runs",
    "load_experiment_study",
    "load_study",
    "parse_run_dir",
    "read_study_config",
    "select_experiment",
    "select_settings",
    "selection_record",
    "set_aside_unreadable",
    "setting_id",
    "verify_selection_files",
]
