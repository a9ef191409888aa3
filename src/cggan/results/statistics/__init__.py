"""The statistics of a study's runs, as tidy tables (rendered by
:mod:`cggan.results.tables`).

- :mod:`~cggan.results.statistics.top_k`: the paper's Top-1/Top-k of the sweep, in
  pools of equal size and in the published pooling.
- :mod:`~cggan.results.statistics.seeds`: the confirmation's seed statistics (mean ±
  std, the seed interval), per confirmed setting.
- :mod:`~cggan.results.statistics.groups`: the groups both summarise (experiment ×
  method × rule) and their runs by status.
- :mod:`~cggan.results.statistics.seed_intervals`: percentile-bootstrap seed intervals
  inside the metric's range.
- :mod:`~cggan.results.statistics.hypothesis_tests`: the two-sample tests, bootstrap,
  minimum detectable difference and Holm adjustment the claims use.
- :mod:`~cggan.results.statistics.beta`: the CG methods' β diagnostics (seed means,
  curves).
"""
