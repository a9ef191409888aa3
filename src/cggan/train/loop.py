"""The training loop: :class:`Trainer` builds a run from its spec and trains it.

Construction validates and builds everything (models, method, schedulers, evaluator) and
reads what the run directory already holds (a finished summary, a checkpoint) without
writing a file; :meth:`Trainer.execute` trains, checkpoints and writes the outputs.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from cggan.registry import METRIC_DIRECTION
from cggan.runtime import (
    StopRequest,
    allocation_beyond_memory,
    get_device,
    is_environment_failure,
    seed_everything,
    set_rng_state,
    set_threads,
    stop_signals,
    thread_limits,
)
from cggan.spec import RunSpec, validate_spec
from cggan.train import checkpoint, evaluation, outputs, tensorboard
from cggan.train.diagnostics import beta_row, has_beta
from cggan.train.interrupted import Interrupted
from cggan.train.outputs import OUTPUT_FILES
from cggan.train.progress import Progress
from cggan.train.streams import BatchOrder, derive_seed, preserved_rng

__all__ = ["Trainer"]


def _total_norm(tensors: list[torch.Tensor]) -> torch.Tensor:
    if not tensors:
        return torch.zeros(())
    return torch.nn.utils.get_total_norm(tensors)


class Trainer:
    """One run, in two phases: construction validates and builds everything (and reads a
    checkpoint to resume from) without writing a file; :meth:`execute` trains.

    Construction errors (bad spec, unsupported model setting, mismatched FID statistics,
    no intact checkpoint or one for another spec) are ``ValueError``, before any file.

    Args:
        spec: the run spec (:class:`cggan.spec.RunSpec`, or its JSON object).
        run_dir: the run's directory.
        fid_stats: reference statistics (``.npz`` from ``scripts/fid_stats.py``);
            required when ``eval.metric`` is ``"fid"``. Statistics of another dataset,
            image size or split are refused.
        inception_weights: the pytorch-fid Inception weights of Inception statistics
            (default: ``$CGGAN_INCEPTION_WEIGHTS``, then the torch hub cache); its
            SHA-256 must match the statistics' protocol.
        threads: torch intra-op threads (1: single-thread jobs side by side are faster).
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``.
        resume: continue from the run directory's checkpoint if present, and return the
            stored summary of a finished/diverged run of the same spec without
            training. False is the same as ``fresh=True``.
        fresh: delete the run directory's outputs (``OUTPUT_FILES``) and start over.
    """

    def __init__(
        self,
        spec: RunSpec | dict,
        run_dir: str | os.PathLike,
        *,
        fid_stats: str | os.PathLike | None = None,
        inception_weights: str | os.PathLike | None = None,
        threads: int = 1,
        device: str = "auto",
        resume: bool = True,
        fresh: bool = False,
    ) -> None:
        self.spec = validate_spec(spec)  # a dict (JSON form) is validated here
        self.run_dir = Path(run_dir)
        self.fresh = fresh or not resume
        self.threads = threads
        set_threads(threads)
        self.device = get_device(device)
        self.metric = self.spec.eval.metric
        self.inception_weights = inception_weights
        self.metric_mode = METRIC_DIRECTION[self.metric]
        self.columns = outputs.metrics_columns(self.metric)
        self.checkpoints = checkpoint.CheckpointFiles(self.run_dir)
        self.stop = StopRequest()
        self.board: tensorboard.RunBoard | None = None  # event files, while executing
        self.finished_summary = None
        if not self.fresh:
            self.finished_summary = checkpoint.read_finished_summary(
                self.run_dir, self.spec
            )
        if self.finished_summary is not None:
            return
        self._build(fid_stats)
        self._reset_state()
        if not self.fresh:
            self._load_checkpoint()

    # -- construction --------------------------------------------------------------

    def _build(self, fid_stats) -> None:
        from cggan.data import load_dataset
        from cggan.gan import GANGame
        from cggan.lr_rules import build_scheduler
        from cggan.methods import build_method

        spec, kwargs = self.spec, self.spec.to_dict()  # kwargs as JSON lists and dicts
        ds = spec.dataset
        self.dataset = load_dataset(
            ds.name, root=ds.root, split="train", image_size=ds.image_size
        )
        x = self.dataset.x
        self.points = x.dim() == 2
        seed = spec.seed
        seed_everything(seed)
        self._build_models(x)
        self.method = build_method(
            spec.method,
            list(self.G.parameters()),
            list(self.D.parameters()),
            lr_g=spec.lr_g,
            lr_d=spec.lr_d,
            **kwargs["method_kwargs"],
        )
        self.has_beta = has_beta(self.method)
        # Consensus differentiates D's gradient with respect to θ: D's loss must keep
        # G's graph.
        needs_graph = getattr(self.method.scheme, "name", "") == "consensus"
        self.game = GANGame(
            self.G, self.D, spec.loss, detach_fake_for_d=not needs_graph
        )
        rule, rule_kwargs = spec.lr_rule, kwargs["lr_rule_kwargs"]
        self.sched_g = build_scheduler(self.method.opt_g, rule, "g", **rule_kwargs)
        self.sched_d = build_scheduler(self.method.opt_d, rule, "d", **rule_kwargs)
        self.data = x.to(self.device)
        self.order = BatchOrder(len(x), spec.batch_size, derive_seed(seed, "data"))
        self.noise = torch.Generator().manual_seed(derive_seed(seed, "noise"))
        self.evaluate = self._build_evaluator(fid_stats)

    def _build_models(self, x: torch.Tensor) -> None:
        from cggan.models import build_models

        model = self.spec.to_dict()["model"]
        if self.points:  # the MLP takes its data_dim from model.kwargs (default 2)
            shape_kwargs = {"image_size": None, "channels": None}
        else:
            shape_kwargs = {"image_size": int(x.shape[-1]), "channels": int(x.shape[1])}
        # Built on the CPU from the seeded global RNG, then moved: same weights on any
        # device.
        G, D = build_models(
            model["name"], z_dim=model["z_dim"], **shape_kwargs, **model["kwargs"]
        )
        self.G, self.D = G.to(self.device), D.to(self.device)
        self.z_dim = model["z_dim"]

    def _build_evaluator(self, fid_stats) -> Callable[[], dict]:
        return evaluation.build_evaluator(self, fid_stats)

    def fixed_samples(self, n: int, batch_size: int, purpose: str) -> torch.Tensor:
        """G's samples for a fixed noise stream (the same z at every call), G in eval.

        See :func:`cggan.train.evaluation.fixed_samples`.
        """
        return evaluation.fixed_samples(self, n, batch_size, purpose)

    def _reset_state(self) -> None:
        self.iteration = 0
        self.rows: list[dict] = []
        # sums of loss_g, loss_d, grad_norm_g, grad_norm_d since the last row
        self.acc = [0.0, 0.0, 0.0, 0.0]
        self.acc_count = 0
        self.best_value: float | None = None
        self.best_iteration: int | None = None
        self.elapsed_before = 0.0
        self.eval_time_s = 0.0
        self.optimizer_steps = {"g": 0, "d": 0}
        self._rng_to_restore: dict | None = None

    def _load_checkpoint(self) -> None:
        ckpt = self.checkpoints.load(self.spec)
        if ckpt is not None:
            checkpoint.restore(self, ckpt, self.checkpoints.path)

    def _save_checkpoint(self) -> None:
        self.checkpoints.save(checkpoint.capture(self))

    # -- training ------------------------------------------------------------------

    def elapsed(self) -> float:
        """Wall-clock seconds of the run so far, summed over resumes."""
        return self.elapsed_before + (time.perf_counter() - self._t0)

    def _count_steps(self, players) -> None:
        for name in players:
            self.optimizer_steps[name] += 1

    def _train_step(self) -> list[float]:
        """One iteration: n_critic − 1 D-only steps, then a D-then-G (scheme) step."""
        for _ in range(self.spec.n_critic - 1):
            self.game.sample(self._next_real(), self._next_z())
            self.method.step(self.game, players=("d",))
            self._count_steps(("d",))
        self.game.sample(self._next_real(), self._next_z())
        losses = self.method.step(self.game)
        self._count_steps(("d", "g"))
        grads_g = [p.grad for p in self.game.params_g if p.grad is not None]
        grads_d = [p.grad for p in self.game.params_d if p.grad is not None]
        device = self.device
        stats = torch.stack(
            [
                losses["loss_g"].float().reshape(()),
                losses["loss_d"].float().reshape(()),
                _total_norm(grads_g).float().to(device),
                _total_norm(grads_d).float().to(device),
                _total_norm([p.detach() for p in self.game.params_g])
                .float()
                .to(device),
                _total_norm([p.detach() for p in self.game.params_d])
                .float()
                .to(device),
            ]
        )
        return stats.tolist()  # the iteration's one host sync

    def _next_real(self) -> torch.Tensor:
        return self.data[self.order.next().to(self.device)]

    def _next_z(self) -> torch.Tensor:
        z = torch.randn(self.spec.batch_size, self.z_dim, generator=self.noise)
        return z.to(self.device)

    def _evaluate_row(self, lr_g, lr_d) -> dict:
        t = time.perf_counter()
        with preserved_rng(), torch.no_grad():
            self.G.eval()  # BatchNorm with running statistics, as the paper's code
            try:
                result = self.evaluate()
            finally:
                self.G.train()
        self.eval_time_s += time.perf_counter() - t
        row = self._loss_row(lr_g, lr_d)
        row.update(result)
        value = float(result[self.metric])
        best = self.best_value
        if self.metric_mode == "min":
            better = best is None or value < best
        else:
            better = best is None or value > best
        if math.isfinite(value) and better:
            self.best_value, self.best_iteration = value, self.iteration
        return row

    def _loss_row(self, lr_g, lr_d) -> dict:
        row: dict[str, Any] = {"iteration": self.iteration}
        names = ("loss_g", "loss_d", "grad_norm_g", "grad_norm_d")
        for name, total in zip(names, self.acc):
            row[name] = total / self.acc_count if self.acc_count else None
        row["lr_g"], row["lr_d"] = lr_g, lr_d
        row.update(beta_row(self.method))  # β averages since the last row (one sync)
        self.acc, self.acc_count = [0.0, 0.0, 0.0, 0.0], 0
        return row

    def _append_row(self, row: dict) -> None:
        row["elapsed_s"] = round(self.elapsed(), 3)
        self.rows.append(row)
        self._write_metrics()
        if self.board is not None:
            self.board.log_row(row)

    def _write_metrics(self) -> None:
        outputs.write_metrics(self.run_dir / "metrics.csv", self.columns, self.rows)

    def _current_lrs(self) -> tuple[float, float]:
        return (
            float(self.method.opt_g.param_groups[0]["lr"]),
            float(self.method.opt_d.param_groups[0]["lr"]),
        )

    def execute(self) -> dict:
        """Train (or resume) to the end and return the summary (also in summary.json).

        Returns the stored summary without training when the run directory already
        holds a finished or diverged run of this spec. SIGTERM/SIGINT during training
        (see :func:`cggan.runtime.stop_signals`) end the run at the end of the current
        iteration with a checkpoint and no summary.

        Raises:
            Interrupted: a stop signal arrived; the checkpoint is written.
            Exception: an environment failure (see
                :func:`cggan.runtime.is_environment_failure`) propagates with no
                summary, so that the run is retried; any other exception is recorded
                as status ``failed`` in summary.json, then re-raised.
        """
        if self.finished_summary is not None:
            return self.finished_summary
        self.run_dir.mkdir(parents=True, exist_ok=True)
        stale = OUTPUT_FILES if self.fresh else ("summary.json",)
        for name in stale:  # a stale "failed" summary must not claim the directory
            with contextlib.suppress(FileNotFoundError):
                (self.run_dir / name).unlink()
        self._t0 = time.perf_counter()
        self.board = tensorboard.open_board(self)  # None: CGGAN_TENSORBOARD=0
        try:
            with thread_limits(self.threads), stop_signals() as self.stop:
                status, diverged_at = self._train()
                outputs.write_samples(self)
        except Exception as exc:
            if is_environment_failure(exc):
                raise  # not the run's outcome: no summary, so the next attempt retries
            if allocation_beyond_memory(exc) is not None:
                raise  # the configuration's, not the method's: no "failed" run either
            self._write_summary(
                "failed",
                None,
                error=f"{type(exc).__name__}: {exc}",
                tb=traceback.format_exc(),
            )
            raise
        else:
            return self._write_summary(status, diverged_at)
        finally:
            if self.board is not None:
                self.board.close()

    def _train(self) -> tuple[str, int | None]:
        spec = self.spec
        total, every = spec.iterations, spec.eval.every
        ckpt_every = spec.checkpoint_every
        if self._rng_to_restore is not None:
            set_rng_state(self._rng_to_restore)
            self._write_metrics()  # drop rows written after the checkpoint, then killed
        else:
            seed_everything(spec.seed)
        if self.iteration == 0:
            self._append_row(self._evaluate_row(*self._current_lrs()))
        progress = Progress(total, self.iteration, self)
        diverged_at = None
        try:
            while self.iteration < total:
                lr_g, lr_d = self._current_lrs()
                stats = self._train_step()
                self.iteration += 1
                self.sched_g.step()
                self.sched_d.step()
                self.acc = [a + s for a, s in zip(self.acc, stats[:4])]
                self.acc_count += 1
                if not all(math.isfinite(stats[k]) for k in (0, 1, 4, 5)):
                    diverged_at = self.iteration
                    self._append_row(self._loss_row(lr_g, lr_d))
                    break
                if self.iteration % every == 0 or self.iteration == total:
                    self._append_row(self._evaluate_row(lr_g, lr_d))
                saved = self.iteration % ckpt_every == 0 or self.iteration == total
                if saved:
                    self._save_checkpoint()
                progress.update(self.iteration, stats)
                self._stop_if_asked(saved, total)
        finally:
            progress.close()
        if diverged_at is not None:
            return "diverged", diverged_at
        return "finished", None

    def _stop_if_asked(self, saved: bool, total: int) -> None:
        # Checked once an iteration is complete (its row and checkpoint written), so the
        # checkpoint describes a state that an uninterrupted run also passes through. A
        # finished run writes its samples and summary instead: that takes a second.
        if not self.stop.requested or self.iteration >= total:
            return
        if not saved:
            self._save_checkpoint()
        raise Interrupted(self.stop.signum, self.iteration, self.run_dir)

    # -- outputs -------------------------------------------------------------------

    def _write_summary(
        self,
        status: str,
        diverged_at: int | None,
        *,
        error: str | None = None,
        tb: str | None = None,
    ) -> dict:
        summary = outputs.build_summary(self, status, diverged_at, error=error, tb=tb)
        summary = outputs.write_summary(self.run_dir, summary)
        if self.board is not None:
            self.board.end(summary)
        return summary
