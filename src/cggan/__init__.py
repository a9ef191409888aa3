"""cggan: a reproducible pipeline for optimizers of generative adversarial networks.

The library behind the Snakemake workflow: player optimizers (``cggan.optim``),
two-player games and update schemes (``cggan.games``), the method registry
(``cggan.methods``), learning-rate rules (``cggan.lr_rules``), datasets, models,
metrics, the training run (``cggan.train``) and the aggregation of runs into tables and
plots (``cggan.results``).
"""

__version__ = "0.1.0"
