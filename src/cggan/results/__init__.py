"""From training runs to the study's tables, figures and ``metrics.json``.

Subpackages, by what they do (none imports torch):

- :mod:`cggan.results.runs`: reading a study's runs: the run directories and selection
  files, which runs are the sweep and the confirmation, pools of equal size, the metric
  curves, and ``runs.csv``.
- :mod:`cggan.results.statistics`: Top-1/Top-k of the sweep, the confirmation's seed
  statistics and intervals, the claims' hypothesis tests, the β diagnostics.
- :mod:`cggan.results.claims`: the analysis plan, the claims checked under it, their
  Markdown, the README's findings, and CG against its matched momentum.
- :mod:`cggan.results.tables`: Markdown, LaTeX and CSV of the tables (the paper table,
  the seed tables, the calibration, published vs reproduced) and ``metrics.json``.
- :mod:`cggan.results.figures`: the curves, sweep, samples, β and claims-by-budget
  figures, and their style.

:mod:`~cggan.results.aggregate` composes them for one study
(:func:`~cggan.results.aggregate.aggregate`) and
:mod:`~cggan.results.output_files` writes its files; ``scripts/aggregate.py`` is its
command line. Not here: the toy games' report (:mod:`cggan.toy.report`) and the
pilot's numbers (:mod:`cggan.study.pilot`).
"""
