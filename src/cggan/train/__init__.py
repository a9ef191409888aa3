"""One training run of the grid: seeded, checkpointed, resumable and divergence-aware.

``run(spec, run_dir)`` trains a GAN described by a run spec and leaves in ``run_dir``
(the full contract, exit codes included, is ``docs/training.md``):

* ``metrics.csv``: one row per evaluation (iteration 0 = the untrained generator, every
  ``eval.every`` iterations, and the last iteration), plus a final row at the iteration
  where a run diverged. Columns: iteration, loss_g, loss_d, grad_norm_g, grad_norm_d
  (means over the iterations since the previous row; empty at iteration 0), lr_g, lr_d
  (the rates used by the row's iteration), the metric columns (``fid, fid_status, kid``
  or ``modes, high_quality``), the β diagnostics ``beta_mean_g, beta_mean_d,
  beta_capped_g, beta_capped_d, beta_zero_g, beta_zero_d`` (averages over the rows'
  interval for conjugate-gradient methods, empty cells for the others; see
  :mod:`cggan.train.diagnostics`) and ``elapsed_s`` (wall clock since the run began,
  summed over resumes; the only column that differs between two runs of the same spec).
  Rewritten atomically from the in-memory rows, so it never holds a truncated line.
* ``checkpoint.pt`` (with ``checkpoint.prev.pt`` and ``checkpoint.sha256``): every
  ``checkpoint_every`` iterations, at the end, and when a stop signal arrives; see
  :mod:`cggan.train.checkpoint`.
* ``samples.png``: a grid of a fixed noise batch (images) or a scatter of fixed-noise
  samples over the mixture means (2-D data, with the points in ``samples.npy``).
* ``summary.json``: written last, atomically (see :func:`run`), with the SHA-256 of the
  final ``metrics.csv``.

Determinism: everything random derives from ``spec["seed"]``: model initialization
(global torch RNG after :func:`cggan.runtime.seed_everything`), the data order
(reshuffled epochs, the incomplete tail of each epoch dropped, from its own
``torch.Generator``), the training noise (its own generator, drawn on the CPU so that
CPU and CUDA runs see the same z) and the evaluation noise (a fixed generator re-seeded
at every evaluation, so every point of a curve scores the same z). Evaluation runs
inside a saved-and-restored RNG state and with G in ``eval()`` mode, so the evaluation
cadence does not change the training trajectory. On the CPU two runs of one spec give
identical ``metrics.csv`` (apart from ``elapsed_s``), with or without a kill and resume
in between, alone in a process or after other runs in it.

The spec is a :class:`cggan.spec.RunSpec` (validated there, re-exported here).

Modules: :mod:`~cggan.train.streams`
(seeds, data order), :mod:`~cggan.train.loop` (:class:`Trainer`),
:mod:`~cggan.train.interrupted` (:class:`Interrupted`),
:mod:`~cggan.train.evaluation`, :mod:`~cggan.train.checkpoint`,
:mod:`~cggan.train.outputs` (metrics.csv, samples, summary.json),
:mod:`~cggan.train.diagnostics` (the β columns and their run averages),
:mod:`~cggan.train.progress`, :mod:`~cggan.train.jobs` (:func:`run`,
:func:`train_runs` and the exit codes).
"""

from cggan.spec import RunSpec, validate_spec
from cggan.train.checkpoint import CHECKPOINT_FORMAT, CheckpointError
from cggan.train.interrupted import Interrupted
from cggan.train.jobs import (
    EXIT_BAD_INPUT,
    EXIT_ENVIRONMENT,
    load_spec,
    run,
    train_runs,
)
from cggan.train.loop import Trainer
from cggan.train.outputs import (
    BASE_COLUMNS,
    BETA_COLUMNS,
    METRIC_COLUMNS,
    OUTPUT_FILES,
    TIMING_COLUMNS,
)
from cggan.train.streams import derive_seed

__all__ = [
    "BASE_COLUMNS",
    "BETA_COLUMNS",
    "CHECKPOINT_FORMAT",
    "EXIT_BAD_INPUT",
    "EXIT_ENVIRONMENT",
    "METRIC_COLUMNS",
    "OUTPUT_FILES",
    "TIMING_COLUMNS",
    "CheckpointError",
    "Interrupted",
    "RunSpec",
    "Trainer",
    "derive_seed",
    "load_spec",
    "run",
    "train_runs",
    "validate_spec",
]
