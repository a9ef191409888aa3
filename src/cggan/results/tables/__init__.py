"""The study's tables as Markdown, LaTeX and CSV, and ``metrics.json``.

- :mod:`~cggan.results.tables.formatting`: cells, Markdown and LaTeX tables, CSV
  writing (a value that does not exist is a dash, never ``nan``).
- :mod:`~cggan.results.tables.paper_table`: the paper table (Top-1/Top-k in equal pools,
  then pooled).
- :mod:`~cggan.results.tables.seed_tables`: the confirmation's seed and summary tables.
- :mod:`~cggan.results.tables.calibration`: each FID experiment's real floor and noise
  reference: read, tabulated, and the two rows of every FID table.
- :mod:`~cggan.results.tables.published_numbers`: the published numbers, as
  transcribed; :mod:`~cggan.results.tables.published_vs_reproduced` sets them beside a
  replication arm's.
- :mod:`~cggan.results.tables.metrics_json`: ``metrics.json``, the tables' numbers
  nested for ``dvc metrics show``.
"""
