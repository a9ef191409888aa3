"""From training runs to the study's tables, figures and ``metrics.json``.

Modules (none imports torch):

- :mod:`~cggan.results.runs`: load an explicit list of run directories, the selection
  files and the metric curves; unreadable files stop with one line naming them.
- :mod:`~cggan.results.stats`: the sweep and confirmation subsets, Top-1/Top-k and the
  seed t-intervals, as tidy tables.
- :mod:`~cggan.results.tables`: Markdown, LaTeX and CSV of those tables, metrics.json.
- :mod:`~cggan.results.plots`: curves, sweep and samples figures.
- :mod:`~cggan.results.aggregate`: :func:`~cggan.results.aggregate.aggregate` composes
  them for one study; ``scripts/aggregate.py`` is its command line.
- :mod:`~cggan.results.toy_report`: the toy games' theory table and figure.
"""
