"""From training runs to the study's tables, figures and ``metrics.json``.

Modules (none imports torch):

- :mod:`~cggan.results.runs`: load an explicit list of run directories and the selection
  files; unreadable files stop with one line naming them. :mod:`~cggan.results.curves`:
  each run's ``metrics.csv`` and the metric curves.
- :mod:`~cggan.results.subsets`: the sweep and confirmation runs;
  :mod:`~cggan.results.stats`: Top-1/Top-k in equal pools (:mod:`~cggan.results.pools`)
  and the seed statistics, as tidy tables.
- :mod:`~cggan.results.intervals`: percentile-bootstrap seed intervals inside the
  metric's range.
- :mod:`~cggan.results.calibration`: each FID experiment's real floor and noise
  reference.
- :mod:`~cggan.results.beta`: the CG methods' β diagnostics (seed means, curves).
- :mod:`~cggan.results.tables`, :mod:`~cggan.results.paper_render`: Markdown, LaTeX
  and CSV of those tables; :mod:`~cggan.results.metrics_file`: ``metrics.json``.
- :mod:`~cggan.results.published`: the published numbers;
  :mod:`~cggan.results.published_vs_reproduced` sets them beside a replication arm's.
- :mod:`~cggan.results.analysis_plan`: the declared plan of the claims check;
  :mod:`~cggan.results.claims` tests the claims under it from ``runs.csv``
  (:mod:`~cggan.results.run_table`) on the sides of :mod:`~cggan.results.claim_sides`;
  :mod:`~cggan.results.claims_render` prints them, at every budget of the plan, and
  :mod:`~cggan.results.budget_plot` draws each claim's effect against the budget;
  :mod:`~cggan.results.findings` makes the README's findings table of them.
- :mod:`~cggan.results.pilot`: the pilot with seeds (lengths, pool-level convergence
  by length, evaluation-to-evaluation movement).
- :mod:`~cggan.results.plots`: curves, sweep and samples figures, and
  :mod:`~cggan.results.beta_plot` the β figure, in the look of
  :mod:`~cggan.results.plot_style`.
- :mod:`~cggan.results.aggregate`: :func:`~cggan.results.aggregate.aggregate` composes
  them for one study and :mod:`~cggan.results.study_files` writes its files;
  ``scripts/aggregate.py`` is its command line.
- :mod:`~cggan.results.toy_report`: the toy games' theory table and figure.
"""
