"""Reading a study's runs: the run directories, ``runs.csv`` and which runs count.

- :mod:`~cggan.results.runs.load`: load an explicit list of run directories (one row per
  run, from its ``summary.json``) and the workflow's selection files; unreadable files
  stop with one line naming them. Also the runs' display order
  (:func:`~cggan.results.runs.load.ordered_methods`, ...).
- :mod:`~cggan.results.runs.sweep_and_confirmation`: which runs enter the statistics:
  the sweep and the confirmation (and the run directories of a configured study).
- :mod:`~cggan.results.runs.equal_pools`: a method's runs split into pools of equal
  size, one per value of its swept hyperparameters.
- :mod:`~cggan.results.runs.curves`: the confirmation runs' metric curves, from each
  run's ``metrics.csv``.
- :mod:`~cggan.results.runs.runs_csv`: ``runs.csv``, one row per run (the claims' only
  input), written and read back.
"""
