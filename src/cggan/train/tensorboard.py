"""The TensorBoard writer of one run: event files under ``<run_dir>/tensorboard/``.

A view of the run while it trains, never a result: every number it writes is one the
run already computed (a ``metrics.csv`` row, the summary), and the one thing it
computes itself, the sample grid, comes from the fixed ``"samples"`` noise stream under
:func:`cggan.train.streams.preserved_rng` with G in eval mode, as ``samples.png`` does,
so a run's ``metrics.csv`` and ``summary.json`` are the same with or without it
(tested).
It is a runtime setting, not part of the spec: ``CGGAN_TENSORBOARD=0`` (or ``false``,
``off``, ``no``) turns it off; on by default. :mod:`torch.utils.tensorboard` is
imported only when it is on; without the ``tensorboard`` package a run warns once and
trains without it. An error while logging turns logging off for the rest of the run
with one warning; the run goes on. Not part of the code fingerprint
(:data:`cggan.fingerprint.NOT_NUMERICAL`), so changing it retrains nothing.

What it writes, at the step of each ``metrics.csv`` row (one per evaluation, plus the
row of a divergence): ``loss/{g,d}``, ``grad_norm/{g,d}``, ``lr/{g,d}`` (the row's
cells), ``beta/{mean,capped,zero}_{g,d}`` (CG methods), ``eval/<column>`` for each
metric column (``eval/fid``, ``eval/kid``, ... or ``eval/modes``, ...; a text cell such
as ``fid_status`` as text), ``time/elapsed_s`` and ``time/eval_time_s``, and the image
``samples`` at each evaluation (the 8×8 grid of ``samples.png``, or for 2-D data a
log-density image of 2,000 samples with the mixture means in red). At the start, the
HParams plugin's session: ``experiment``, ``study``, ``method``, ``lr_rule``, ``lr_d``,
``lr_g``, ``seed`` and each method and lr-rule keyword (``method.momentum``,
``lr_rule.gamma``); the run's phase (sweep or confirm) is decided when the study is
aggregated, so it is not among them. At the end: ``final/<metric>``,
``final/best_<metric>``, ``final/best_iteration`` and the session's status (success
for a finished run, failure for a diverged or failed one). No experiment summary is
written, so TensorBoard builds the HParams table from all runs' sessions (the union of
their hyperparameters) and offers every scalar tag as a metric column.

Resuming from a checkpoint at iteration T continues the event files with TensorBoard's
purge step T + 1: what a killed process logged after its checkpoint is hidden, so no
step appears twice. A run that starts at iteration 0 removes an earlier attempt's
``tensorboard/`` first.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any

import numpy as np
import torch

from cggan.train.outputs import TIMING_COLUMNS
from cggan.train.streams import preserved_rng

__all__ = ["ENV_SWITCH", "SUBDIR", "RunBoard", "is_enabled", "open_board", "tag_of"]

#: The environment variable that turns logging off (``0``, ``false``, ``off``, ``no``).
ENV_SWITCH = "CGGAN_TENSORBOARD"
#: The event files' directory inside a run directory.
SUBDIR = "tensorboard"
_OFF = ("0", "false", "off", "no")
_PLAYER_STEMS = ("loss", "grad_norm", "lr")
_GRID = 64  # images in the sample grid, as samples.png
_POINTS = 2000  # 2-D samples in the density image, as samples.npy
_DENSITY_PIXELS = 128
_DENSITY_LIMIT = 1.5  # the square [-1.5, 1.5]² of the scatter in samples.png


def is_enabled(environ: dict[str, str] | None = None) -> bool:
    """Whether ``$CGGAN_TENSORBOARD`` leaves logging on (unset: on)."""
    env = os.environ if environ is None else environ
    return env.get(ENV_SWITCH, "1").strip().lower() not in _OFF


def tag_of(column: str) -> str:
    """The scalar tag of a ``metrics.csv`` column (``loss_g`` -> ``loss/g``)."""
    if column.startswith("beta_"):
        return "beta/" + column[len("beta_") :]
    stem, _, player = column.rpartition("_")
    if stem in _PLAYER_STEMS and player in ("g", "d"):
        return f"{stem}/{player}"
    if column in TIMING_COLUMNS:
        return "time/" + column
    return "eval/" + column


def hparams_of(spec) -> dict[str, Any]:
    """The run's hyperparameters for the HParams table (str, int or float values)."""
    values: dict[str, Any] = {
        "experiment": spec.experiment,
        "study": spec.study,
        "method": spec.method,
        "lr_rule": spec.lr_rule,
        "lr_d": float(spec.lr_d),
        "lr_g": float(spec.lr_g),
        "seed": int(spec.seed),
    }
    for prefix, kwargs in (
        ("method", spec.method_kwargs),
        ("lr_rule", spec.lr_rule_kwargs),
    ):
        for key, value in sorted(kwargs.items()):
            keep = isinstance(value, str | int | float) and not isinstance(value, bool)
            values[f"{prefix}.{key}"] = value if keep else str(value)
    return {k: v for k, v in values.items() if v is not None}


def open_board(trainer) -> RunBoard | None:
    """The writer of a run about to train, or None when logging is off or unavailable.

    Args:
        trainer: the :class:`cggan.train.Trainer`, built (at iteration 0, or at its
            checkpoint's iteration when resuming); its run directory exists.
    """
    if not is_enabled():
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as exc:
        _warn(
            f"no TensorBoard logging ({exc}); pip install tensorboard, or set "
            f"{ENV_SWITCH}=0 to silence this"
        )
        return None
    try:
        return RunBoard(trainer, SummaryWriter)
    except Exception as exc:  # noqa: BLE001 - a view, never the run's failure
        _warn(f"no TensorBoard logging for {trainer.run_dir}: {exc}")
        return None


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


class RunBoard:
    """The TensorBoard writer of one run (see the module docstring for the tags).

    Args:
        trainer: the :class:`cggan.train.Trainer` (see :func:`open_board`).
        writer_class: :class:`torch.utils.tensorboard.SummaryWriter`.
    """

    def __init__(self, trainer, writer_class) -> None:
        self.trainer = trainer
        self.log_dir = trainer.run_dir / SUBDIR
        start = trainer.iteration
        if start == 0:  # a run from scratch: an earlier attempt's events are void
            shutil.rmtree(self.log_dir, ignore_errors=True)
        backfill = start > 0 and not any(self.log_dir.glob("events.out.tfevents.*"))
        self.writer = writer_class(
            log_dir=str(self.log_dir), purge_step=start + 1 if start else None
        )
        self._guard(self._start, backfill)

    # -- what the loop calls -------------------------------------------------------

    def log_row(self, row: dict) -> None:
        """Write a ``metrics.csv`` row (and the samples, when it is an evaluation)."""
        self._guard(self._log_row, row, True)

    def end(self, summary: dict) -> None:
        """Write the final metrics and the session's end from the run's summary."""
        self._guard(self._end, summary)

    def close(self) -> None:
        """Flush and close the event file (idempotent)."""
        if self.writer is not None:
            writer, self.writer = self.writer, None
            try:
                writer.close()
            except Exception as exc:  # noqa: BLE001 - a view, never the run's failure
                _warn(f"TensorBoard logging failed: {type(exc).__name__}: {exc}")

    # -- internals -----------------------------------------------------------------

    def _guard(self, method, *args) -> None:
        if self.writer is None:
            return
        try:
            method(*args)
        except Exception as exc:  # noqa: BLE001 - a view, never the run's failure
            _warn(
                f"TensorBoard logging off for {self.trainer.run_dir} after "
                f"{type(exc).__name__}: {exc}"
            )
            self.close()

    def _start(self, backfill: bool) -> None:
        from torch.utils.tensorboard.summary import hparams

        _, session_start, _ = hparams(hparams_of(self.trainer.spec), {})
        self.writer.file_writer.add_summary(session_start)
        if backfill:  # resumed with logging on after training with it off
            for row in self.trainer.rows:
                self._log_row(row, False)
        self.writer.flush()

    def _log_row(self, row: dict, samples: bool) -> None:
        step = int(row["iteration"])
        add = self.writer.add_scalar
        for column, value in row.items():
            if column == "iteration" or value is None:
                continue
            if isinstance(value, str):
                self.writer.add_text(tag_of(column), value, step)
            else:
                add(tag_of(column), float(value), step)
        add("time/eval_time_s", float(self.trainer.eval_time_s), step)
        if samples and self.trainer.metric in row:
            self._log_samples(step)
        self.writer.flush()  # a row every eval.every iterations: watchable at once

    def _log_samples(self, step: int) -> None:
        trainer = self.trainer
        with preserved_rng():
            if trainer.points:
                points = trainer.fixed_samples(_POINTS, _POINTS, "samples").numpy()
                means = np.asarray(trainer.dataset.info["means"], dtype=np.float64)
                image = density_image(points, means)
            else:
                from torchvision.utils import make_grid

                images = trainer.fixed_samples(_GRID, _GRID, "samples")
                image = make_grid(
                    images.clamp(-1, 1), nrow=8, normalize=True, value_range=(-1, 1)
                )
        self.writer.add_image("samples", image, step)

    def _end(self, summary: dict) -> None:
        step = int(summary["iterations"])
        metric = summary["metric_name"]
        final = {
            f"final/{metric}": summary.get("final_metric"),
            f"final/best_{metric}": summary.get("best_metric"),
            "final/best_iteration": summary.get("best_iteration"),
        }
        for tag, value in final.items():
            if value is not None:
                self.writer.add_scalar(tag, float(value), step)
        self.writer.file_writer.add_summary(_session_end(summary["status"]), step)
        self.writer.flush()


def density_image(points: np.ndarray, means: np.ndarray) -> torch.Tensor:
    """A 3×H×W image in [0, 1] of 2-D samples: log-density in grey, means in red.

    Args:
        points: ``(n, 2)`` samples; non-finite ones are left out.
        means: ``(k, 2)`` mixture means.
    """
    size, lim = _DENSITY_PIXELS, _DENSITY_LIMIT
    finite = points[np.isfinite(points).all(axis=1)]
    # rows are y from top (+lim) to bottom (-lim), columns x from left to right
    counts, _, _ = np.histogram2d(
        -finite[:, 1], finite[:, 0], bins=size, range=[[-lim, lim], [-lim, lim]]
    )
    density = np.log1p(counts)
    density /= max(float(density.max()), 1e-12)
    image = np.repeat(density[None], 3, axis=0)
    cells = np.floor((np.array([-means[:, 1], means[:, 0]]) + lim) / (2 * lim) * size)
    rows, cols = np.clip(cells.astype(int), 0, size - 1)
    image[:, rows, cols] = np.array([[1.0], [0.0], [0.0]])
    return torch.from_numpy(image.astype(np.float32))


def _session_end(status: str):
    """The HParams plugin's session-end summary (torch writes only success)."""
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

    code = "STATUS_SUCCESS" if status == "finished" else "STATUS_FAILURE"
    info = plugin_data_pb2.SessionEndInfo(
        status=api_pb2.Status.Value(code), end_time_secs=time.time()
    )
    content = plugin_data_pb2.HParamsPluginData(
        session_end_info=info, version=metadata.PLUGIN_DATA_VERSION
    )
    plugin = SummaryMetadata.PluginData(
        plugin_name=metadata.PLUGIN_NAME, content=content.SerializeToString()
    )
    value = Summary.Value(
        tag=metadata.SESSION_END_INFO_TAG, metadata=SummaryMetadata(plugin_data=plugin)
    )
    return Summary(value=[value])
