"""One training run of the grid: seeded, checkpointed, resumable and divergence-aware.

``run(spec, run_dir)`` trains a GAN described by a run spec (see the contract in the README)
and leaves in ``run_dir``:

* ``metrics.csv``: one row per evaluation (iteration 0 = the untrained generator, every
  ``eval.every`` iterations, and the last iteration), plus a final row at the iteration where
  a run diverged. Columns: iteration, loss_g, loss_d, grad_norm_g, grad_norm_d (means over
  the iterations since the previous row; empty at iteration 0), lr_g, lr_d (the rates used
  by the row's iteration), the metric columns (``fid, fid_status, kid`` or ``modes,
  high_quality``) and ``elapsed_s`` (wall clock since the run began, summed over resumes;
  the only column that differs between two runs of the same spec). Rewritten atomically
  from the in-memory rows, so it never holds a truncated line.
* ``checkpoint.pt``: every ``checkpoint_every`` iterations and at the end, atomically: G, D,
  both optimizers and schedulers, every RNG state, the data order, the metric rows so far.
* ``samples.png``: a grid of a fixed noise batch (images) or a scatter of fixed-noise samples
  over the mixture means (2-D data, with the points in ``samples.npy``).
* ``summary.json``: written last, atomically (see :func:`run`).

Determinism: everything random derives from ``spec["seed"]``: model initialization (global
torch RNG after :func:`cggan.runtime.seed_everything`), the data order (reshuffled epochs,
the incomplete tail of each epoch dropped, from its own ``torch.Generator``), the training
noise (its own generator, drawn on the CPU so that CPU and CUDA runs see the same z) and the
evaluation noise (a fixed generator re-seeded at every evaluation, so every point of a curve
scores the same z). Evaluation runs inside a saved-and-restored RNG state and with G in
``eval()`` mode, so the evaluation cadence does not change the training trajectory. On the
CPU two runs of one spec give identical ``metrics.csv`` (apart from ``elapsed_s``), with or
without a kill and resume in between.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cggan.io import atomic_open, atomic_torch_save, atomic_write_json, atomic_write_text
from cggan.runtime import get_device, get_rng_state, seed_everything, set_rng_state, set_threads

__all__ = [
    "CheckpointError",
    "Trainer",
    "run",
    "validate_spec",
    "derive_seed",
    "OUTPUT_FILES",
    "METRIC_COLUMNS",
    "BASE_COLUMNS",
]

#: Files a run writes into its directory (``--fresh`` deletes exactly these).
OUTPUT_FILES = ("summary.json", "metrics.csv", "samples.png", "samples.npy", "checkpoint.pt")
BASE_COLUMNS = ("iteration", "loss_g", "loss_d", "grad_norm_g", "grad_norm_d", "lr_g", "lr_d")
METRIC_COLUMNS = {"fid": ("fid", "fid_status", "kid"), "modes": ("modes", "high_quality")}
#: Primary metric per evaluation kind and whether lower ("min") or higher ("max") is better.
METRIC_MODE = {"fid": "min", "modes": "max"}
TIMING_COLUMNS = ("elapsed_s",)
CHECKPOINT_FORMAT = 1
_SAMPLE_GRID = 64  # images in samples.png
_SCATTER_POINTS = 2000  # points in the 2-D scatter

_REQUIRED = {
    "dataset": dict,
    "model": dict,
    "loss": str,
    "n_critic": int,
    "batch_size": int,
    "iterations": int,
    "method": str,
    "method_kwargs": dict,
    "lr_rule": str,
    "lr_rule_kwargs": dict,
    "lr_g": float,
    "lr_d": float,
    "seed": int,
    "eval": dict,
    "checkpoint_every": int,
}
_OPTIONAL = {"study": str, "experiment": str}
_REQUIRED_SUB = {
    "dataset": {"name": str, "image_size": (int, type(None)), "root": str},
    "model": {"name": str, "z_dim": int, "kwargs": dict},
    "eval": {"metric": str, "every": int, "n_samples": int, "batch_size": int},
}


class CheckpointError(ValueError):
    """A checkpoint (or a finished run's summary) that cannot be trusted for this spec."""


def derive_seed(seed: int, purpose: str) -> int:
    """An independent 63-bit seed for one random stream (data order, noise, ...) of a run."""
    digest = hashlib.sha256(f"cggan:{seed}:{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


# ----------------------------------------------------------------------------- validation


def _type_ok(value: Any, expected: Any) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):  # bool is an int subclass: never accept it as a number
        return bool in types
    if float in types and isinstance(value, int):
        return True
    return isinstance(value, types)


def _type_name(expected: Any) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    names = {int: "integer", float: "number", str: "string", dict: "object", type(None): "null"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def _check_keys(obj: dict, prefix: str, required: dict, optional: dict | None = None) -> None:
    optional = optional or {}
    for key, expected in required.items():
        if key not in obj:
            raise ValueError(
                f"Invalid spec: missing key '{prefix}{key}' (required: "
                f"{', '.join(prefix + k for k in required)})"
            )
    for key, value in obj.items():
        expected = required.get(key, optional.get(key))
        if expected is None:
            allowed = ", ".join(prefix + k for k in [*required, *optional])
            raise ValueError(f"Invalid spec key: '{prefix}{key}' (allowed: {allowed})")
        if not _type_ok(value, expected):
            raise ValueError(
                f"Invalid {prefix}{key}: {value!r} (expected {_type_name(expected)})"
            )


def _check_choice(name: str, value: str, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"Invalid {name}: {value!r} (allowed: {', '.join(allowed)})")


def _check_min(name: str, value, minimum, *, strict: bool = False) -> None:
    ok = value > minimum if strict else value >= minimum
    if not ok or (isinstance(value, float) and not math.isfinite(value)):
        relation = ">" if strict else ">="
        raise ValueError(f"Invalid {name}: {value!r} (allowed: {relation} {minimum})")


def validate_spec(spec: dict) -> None:
    """Check a run spec's keys, types, ranges and registry names; nothing is built.

    The checks that need the registries' builders (model kwargs, method hyperparameters,
    learning-rate rule kwargs, image sizes a model supports) run when :class:`Trainer`
    builds the run, still before any file is written.

    Raises:
        ValueError: ``"Invalid <key>: <value> (allowed: ...)"`` naming the offending key.
    """
    from cggan import lr_rules
    from cggan.data import DATASETS, resolve_image_size
    from cggan.gan import LOSSES
    from cggan.methods import METHODS

    if not isinstance(spec, dict):
        raise ValueError(f"Invalid spec: {type(spec).__name__} (expected a JSON object)")
    _check_keys(spec, "", _REQUIRED, _OPTIONAL)
    for section, keys in _REQUIRED_SUB.items():
        _check_keys(spec[section], f"{section}.", keys)

    dataset = spec["dataset"]
    _check_choice("dataset.name", dataset["name"], list(DATASETS))
    resolve_image_size(dataset["name"], dataset["image_size"])
    _check_min("model.z_dim", spec["model"]["z_dim"], 1)
    _check_choice("loss", spec["loss"], LOSSES)
    _check_min("n_critic", spec["n_critic"], 1)
    _check_min("batch_size", spec["batch_size"], 1)
    _check_min("iterations", spec["iterations"], 1)
    _check_min("checkpoint_every", spec["checkpoint_every"], 1)
    _check_min("seed", spec["seed"], 0)
    _check_min("lr_g", spec["lr_g"], 0.0, strict=True)
    _check_min("lr_d", spec["lr_d"], 0.0, strict=True)

    gan_methods = [name for name, m in METHODS.items() if not m.toy_only]
    if spec["method"] in METHODS and METHODS[spec["method"]].toy_only:
        raise ValueError(
            f"Invalid method: {spec['method']!r} (toy games only; allowed for GANs: "
            f"{', '.join(gan_methods)})"
        )
    _check_choice("method", spec["method"], gan_methods)
    _check_choice("lr_rule", spec["lr_rule"], list(lr_rules.RULES))

    ev = spec["eval"]
    _check_choice("eval.metric", ev["metric"], list(METRIC_COLUMNS))
    points = DATASETS[dataset["name"]].data_dim is not None
    if ev["metric"] == "modes" and not points:
        raise ValueError(
            f"Invalid eval.metric: 'modes' for dataset {dataset['name']!r} (allowed for image "
            "datasets: fid)"
        )
    if ev["metric"] == "fid" and points:
        raise ValueError(
            f"Invalid eval.metric: 'fid' for dataset {dataset['name']!r} (allowed for 2-D "
            "mixtures: modes)"
        )
    for key in ("every", "n_samples", "batch_size"):
        _check_min(f"eval.{key}", ev[key], 1)


def _canonical(spec: dict) -> str:
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _spec_difference(a: dict, b: dict, prefix: str = "") -> list[str]:
    keys = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key, "<missing>"), b.get(key, "<missing>")
        if isinstance(va, dict) and isinstance(vb, dict):
            keys += _spec_difference(va, vb, f"{prefix}{key}.")
        elif va != vb:
            keys.append(f"{prefix}{key}")
    return keys


# ----------------------------------------------------------------------------- helpers


class _BatchOrder:
    """Reshuffled epochs over N examples from a dedicated generator; full batches only."""

    def __init__(self, n: int, batch_size: int, seed: int) -> None:
        if batch_size > n:
            raise ValueError(f"Invalid batch_size: {batch_size} (allowed: <= dataset size {n})")
        self.n = n
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(n, generator=self.generator)
        self.cursor = 0

    def next(self) -> torch.Tensor:
        if self.cursor + self.batch_size > self.n:
            self.order = torch.randperm(self.n, generator=self.generator)
            self.cursor = 0
        idx = self.order[self.cursor : self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return idx

    def state_dict(self) -> dict:
        return {"rng": self.generator.get_state(), "order": self.order, "cursor": self.cursor}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["rng"])
        self.order = state["order"]
        self.cursor = int(state["cursor"])


def _total_norm(tensors: list[torch.Tensor]) -> torch.Tensor:
    if not tensors:
        return torch.zeros(())
    return torch.nn.utils.get_total_norm(tensors)


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form: equal strings <=> equal floats
    return str(value)


def _json_number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _git_revision() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    rev = out.stdout.strip()
    return rev if out.returncode == 0 and rev else None


def _versions() -> dict[str, str]:
    import cggan

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "cggan": cggan.__version__,
    }


def _thread_limits(threads: int):
    """Hold NumPy's BLAS (FID/KID matrix algebra) to the job's thread budget too.

    ``torch.set_num_threads`` covers torch only; OpenBLAS would otherwise use every core
    during evaluation, against the one-thread-per-job scheduling of the workflow.
    threadpoolctl comes with scikit-learn; without it the limit is skipped.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn always brings it
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads)


@contextlib.contextmanager
def _preserved_rng():
    """Run a block (evaluation, sampling) without disturbing any training RNG stream."""
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# ----------------------------------------------------------------------------- the run


class Trainer:
    """One run, in two phases: construction validates and builds everything (and reads a
    checkpoint to resume from) without writing a file; :meth:`execute` trains.

    Construction errors (bad spec, unsupported model setting, mismatched FID statistics,
    a corrupted checkpoint or one for another spec) are raised as ``ValueError`` and leave
    the run directory untouched. See :func:`run` for the arguments.
    """

    def __init__(
        self,
        spec: dict,
        run_dir: str | os.PathLike,
        *,
        fid_stats: str | os.PathLike | None = None,
        inception_weights: str | os.PathLike | None = None,
        threads: int = 1,
        device: str = "auto",
        resume: bool = True,
        fresh: bool = False,
    ) -> None:
        validate_spec(spec)
        # Canonical JSON form: what summary.json and the checkpoint store and compare.
        self.spec = json.loads(_canonical(spec))
        self.run_dir = Path(run_dir)
        self.fresh = fresh or not resume
        self.threads = threads
        set_threads(threads)
        self.device = get_device(device)
        self.metric = self.spec["eval"]["metric"]
        self.inception_weights = inception_weights
        self.metric_mode = METRIC_MODE[self.metric]
        self.columns = (*BASE_COLUMNS, *METRIC_COLUMNS[self.metric], *TIMING_COLUMNS)
        self.finished_summary = None if self.fresh else self._finished_summary()
        if self.finished_summary is not None:
            return
        self._build(fid_stats)
        self._reset_state()
        if not self.fresh:
            self._load_checkpoint()

    # -- construction --------------------------------------------------------------------

    def _finished_summary(self) -> dict | None:
        path = self.run_dir / "summary.json"
        if not path.is_file():
            return None
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
            status, stored = summary["status"], summary["spec"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(
                f"Invalid summary {path}: unreadable ({exc}); pass --fresh to start over"
            ) from None
        if status not in ("finished", "diverged"):
            return None  # a failed attempt: run again (resuming from its checkpoint)
        if _canonical(stored) != _canonical(self.spec):
            diff = ", ".join(_spec_difference(stored, self.spec)) or "?"
            raise CheckpointError(
                f"Invalid run directory {self.run_dir}: it holds a {status} run of another "
                f"spec (differs in {diff}); pass --fresh to replace it"
            )
        return summary

    def _build(self, fid_stats) -> None:
        from cggan.data import load_dataset
        from cggan.gan import GANGame
        from cggan.lr_rules import build_scheduler
        from cggan.methods import build_method
        from cggan.models import build_models

        spec = self.spec
        ds = spec["dataset"]
        self.dataset = load_dataset(ds["name"], root=ds["root"], split="train",
                                    image_size=ds["image_size"])
        x = self.dataset.x
        self.points = x.dim() == 2
        seed = spec["seed"]
        seed_everything(seed)
        model = spec["model"]
        if self.points:  # the MLP takes its data_dim from model.kwargs (default 2)
            shape_kwargs = {"image_size": None, "channels": None}
        else:
            shape_kwargs = {"image_size": int(x.shape[-1]), "channels": int(x.shape[1])}
        # Built on the CPU from the seeded global RNG, then moved: same weights on any device.
        G, D = build_models(model["name"], z_dim=model["z_dim"], **shape_kwargs, **model["kwargs"])
        self.G, self.D = G.to(self.device), D.to(self.device)
        self.z_dim = model["z_dim"]
        self.method = build_method(
            spec["method"], list(self.G.parameters()), list(self.D.parameters()),
            lr_g=spec["lr_g"], lr_d=spec["lr_d"], **spec["method_kwargs"],
        )
        # Consensus differentiates D's gradient with respect to θ: D's loss must keep G's graph.
        needs_graph = getattr(self.method.scheme, "name", "") == "consensus"
        self.game = GANGame(self.G, self.D, spec["loss"], detach_fake_for_d=not needs_graph)
        self.sched_g = build_scheduler(self.method.opt_g, spec["lr_rule"], "g",
                                       **spec["lr_rule_kwargs"])
        self.sched_d = build_scheduler(self.method.opt_d, spec["lr_rule"], "d",
                                       **spec["lr_rule_kwargs"])
        self.data = x.to(self.device)
        self.order = _BatchOrder(len(x), spec["batch_size"], derive_seed(seed, "data"))
        self.noise = torch.Generator().manual_seed(derive_seed(seed, "noise"))
        self.evaluate = self._build_evaluator(fid_stats)

    def _build_evaluator(self, fid_stats) -> Callable[[], dict]:
        ev = self.spec["eval"]
        if self.metric == "modes":
            from cggan.metrics.modes import mode_coverage

            means = np.asarray(self.dataset.info["means"], dtype=np.float64)
            std = float(self.dataset.info["std"])

            def evaluate_modes() -> dict:
                points = self._fixed_samples(ev["n_samples"], ev["batch_size"], "eval")
                result = mode_coverage(points.double().cpu().numpy(), means, std)
                return {"modes": int(result["modes"]),
                        "high_quality": float(result["high_quality"])}

            return evaluate_modes

        if fid_stats is None:
            raise ValueError(
                "Invalid fid_stats: None (eval.metric 'fid' needs a reference statistics "
                "file: --fid-stats NPZ)"
            )
        from cggan.metrics.fid import FIDEvaluator

        # The statistics must describe this run's training data; the extractor is rebuilt
        # from the statistics' own protocol (hash-checked), so FID numbers are comparable.
        evaluator = FIDEvaluator.from_stats(
            fid_stats, n_samples=ev["n_samples"], batch_size=ev["batch_size"],
            device=self.device, expected_protocol=self._expected_protocol(),
            inception_weights=self.inception_weights,
        )

        def evaluate_fid() -> dict:
            gen = torch.Generator().manual_seed(derive_seed(self.spec["seed"], "eval"))

            def sample_fn(n: int) -> torch.Tensor:
                z = torch.randn(n, self.z_dim, generator=gen).to(self.device)
                return self.G(z)

            result = evaluator(sample_fn)
            return {"fid": float(result["fid"]), "fid_status": str(result["fid_status"]),
                    "kid": float(result["kid"])}

        return evaluate_fid

    def _expected_protocol(self) -> dict:
        ds = self.spec["dataset"]
        x = self.dataset.x
        return {"dataset": ds["name"], "split": "train", "image_size": int(x.shape[-1]),
                "channels": int(x.shape[1])}

    @torch.no_grad()
    def _fixed_samples(self, n: int, batch_size: int, purpose: str) -> torch.Tensor:
        """G's samples for a fixed noise stream (the same z at every call), G in eval mode."""
        gen = torch.Generator().manual_seed(derive_seed(self.spec["seed"], purpose))
        was_training = self.G.training
        self.G.eval()
        try:
            out = []
            for start in range(0, n, batch_size):
                z = torch.randn(min(batch_size, n - start), self.z_dim, generator=gen)
                out.append(self.G(z.to(self.device)).float().cpu())
            return torch.cat(out)
        finally:
            self.G.train(was_training)

    def _reset_state(self) -> None:
        self.iteration = 0
        self.rows: list[dict] = []
        self.acc = [0.0, 0.0, 0.0, 0.0]  # sums of loss_g, loss_d, grad_norm_g, grad_norm_d
        self.acc_count = 0
        self.best_value: float | None = None
        self.best_iteration: int | None = None
        self.elapsed_before = 0.0
        self.eval_time_s = 0.0
        self.optimizer_steps = {"g": 0, "d": 0}
        self._rng_to_restore: dict | None = None

    def _checkpoint_path(self) -> Path:
        return self.run_dir / "checkpoint.pt"

    def _load_checkpoint(self) -> None:
        path = self._checkpoint_path()
        if not path.is_file():
            return
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch raises many types for a damaged zip/pickle
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(
                f"Invalid checkpoint {path}: corrupted or truncated ({reason}); "
                "pass --fresh to start over"
            ) from None
        if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(
                f"Invalid checkpoint {path}: not a cggan checkpoint of format "
                f"{CHECKPOINT_FORMAT}; pass --fresh to start over"
            )
        stored = json.loads(ckpt["spec"])
        if _canonical(stored) != _canonical(self.spec):
            diff = ", ".join(_spec_difference(stored, self.spec)) or "?"
            raise CheckpointError(
                f"Invalid checkpoint {path}: written for another spec (differs in {diff}); "
                "pass --fresh to start over"
            )
        try:
            self.G.load_state_dict(ckpt["generator"])
            self.D.load_state_dict(ckpt["discriminator"])
            self.method.opt_g.load_state_dict(ckpt["opt_g"])
            self.method.opt_d.load_state_dict(ckpt["opt_d"])
            self.sched_g.load_state_dict(ckpt["sched_g"])
            self.sched_d.load_state_dict(ckpt["sched_d"])
            self.order.load_state_dict(ckpt["data_order"])
            self.noise.set_state(ckpt["noise_rng"])
            self._rng_to_restore = ckpt["rng"]
            self.iteration = int(ckpt["iteration"])
            self.rows = [dict(row) for row in ckpt["rows"]]
            self.acc = [float(v) for v in ckpt["acc"]]
            self.acc_count = int(ckpt["acc_count"])
            self.best_value = ckpt["best_value"]
            self.best_iteration = ckpt["best_iteration"]
            self.elapsed_before = float(ckpt["elapsed_s"])
            self.eval_time_s = float(ckpt["eval_time_s"])
            self.optimizer_steps = dict(ckpt["optimizer_steps"])
        except (KeyError, RuntimeError, ValueError, TypeError) as exc:
            raise CheckpointError(
                f"Invalid checkpoint {path}: incomplete or incompatible ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); pass --fresh to start over"
            ) from None

    def _save_checkpoint(self) -> None:
        atomic_torch_save(self._checkpoint_path(), {
            "format": CHECKPOINT_FORMAT,
            "spec": _canonical(self.spec),
            "iteration": self.iteration,
            "generator": self.G.state_dict(),
            "discriminator": self.D.state_dict(),
            "opt_g": self.method.opt_g.state_dict(),
            "opt_d": self.method.opt_d.state_dict(),
            "sched_g": self.sched_g.state_dict(),
            "sched_d": self.sched_d.state_dict(),
            "rng": get_rng_state(),
            "data_order": self.order.state_dict(),
            "noise_rng": self.noise.get_state(),
            "rows": self.rows,
            "acc": self.acc,
            "acc_count": self.acc_count,
            "best_value": self.best_value,
            "best_iteration": self.best_iteration,
            "elapsed_s": self._elapsed(),
            "eval_time_s": self.eval_time_s,
            "optimizer_steps": self.optimizer_steps,
        })

    # -- training ------------------------------------------------------------------------

    def _elapsed(self) -> float:
        return self.elapsed_before + (time.perf_counter() - self._t0)

    def _count_steps(self, players) -> None:
        for name in players:
            self.optimizer_steps[name] += 1

    def _train_step(self) -> list[float]:
        """One iteration: n_critic − 1 D-only steps, then a D-then-G (scheme) step."""
        for _ in range(self.spec["n_critic"] - 1):
            self.game.sample(self._next_real(), self._next_z())
            self.method.step(self.game, players=("d",))
            self._count_steps(("d",))
        self.game.sample(self._next_real(), self._next_z())
        losses = self.method.step(self.game)
        self._count_steps(("d", "g"))
        grads_g = [p.grad for p in self.game.params_g if p.grad is not None]
        grads_d = [p.grad for p in self.game.params_d if p.grad is not None]
        stats = torch.stack([
            losses["loss_g"].float().reshape(()),
            losses["loss_d"].float().reshape(()),
            _total_norm(grads_g).float().to(self.device),
            _total_norm(grads_d).float().to(self.device),
            _total_norm([p.detach() for p in self.game.params_g]).float().to(self.device),
            _total_norm([p.detach() for p in self.game.params_d]).float().to(self.device),
        ])
        return stats.tolist()  # the iteration's one host sync

    def _next_real(self) -> torch.Tensor:
        return self.data[self.order.next().to(self.device)]

    def _next_z(self) -> torch.Tensor:
        z = torch.randn(self.spec["batch_size"], self.z_dim, generator=self.noise)
        return z.to(self.device)

    def _evaluate_row(self, lr_g, lr_d) -> dict:
        t = time.perf_counter()
        with _preserved_rng(), torch.no_grad():
            self.G.eval()  # BatchNorm with running statistics, as the paper's code samples
            try:
                result = self.evaluate()
            finally:
                self.G.train()
        self.eval_time_s += time.perf_counter() - t
        row = self._loss_row(lr_g, lr_d)
        row.update(result)
        value = float(result[self.metric])
        if math.isfinite(value) and (
            self.best_value is None
            or (value < self.best_value if self.metric_mode == "min" else value > self.best_value)
        ):
            self.best_value, self.best_iteration = value, self.iteration
        return row

    def _loss_row(self, lr_g, lr_d) -> dict:
        row: dict[str, Any] = {"iteration": self.iteration}
        names = ("loss_g", "loss_d", "grad_norm_g", "grad_norm_d")
        for name, total in zip(names, self.acc):
            row[name] = total / self.acc_count if self.acc_count else None
        row["lr_g"], row["lr_d"] = lr_g, lr_d
        self.acc, self.acc_count = [0.0, 0.0, 0.0, 0.0], 0
        return row

    def _append_row(self, row: dict) -> None:
        row["elapsed_s"] = round(self._elapsed(), 3)
        self.rows.append(row)
        self._write_metrics()

    def _write_metrics(self) -> None:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_format(row.get(col)) for col in self.columns])
        atomic_write_text(self.run_dir / "metrics.csv", buf.getvalue())

    def _current_lrs(self) -> tuple[float, float]:
        return (float(self.method.opt_g.param_groups[0]["lr"]),
                float(self.method.opt_d.param_groups[0]["lr"]))

    def execute(self) -> dict:
        """Train (or resume) to the end and return the summary (also in summary.json).

        Returns the stored summary without training when the run directory already holds a
        finished or diverged run of this spec.
        """
        if self.finished_summary is not None:
            return self.finished_summary
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.fresh:
            for name in OUTPUT_FILES:
                with contextlib.suppress(FileNotFoundError):
                    (self.run_dir / name).unlink()
        else:  # a stale "failed" summary must not claim the directory while we run
            with contextlib.suppress(FileNotFoundError):
                (self.run_dir / "summary.json").unlink()
        self._t0 = time.perf_counter()
        try:
            with _thread_limits(self.threads):
                status, diverged_at = self._train()
                self._write_samples()
        except Exception as exc:
            self._write_summary("failed", None, error=f"{type(exc).__name__}: {exc}",
                                tb=traceback.format_exc())
            raise
        return self._write_summary(status, diverged_at)

    def _train(self) -> tuple[str, int | None]:
        spec = self.spec
        total, every = spec["iterations"], spec["eval"]["every"]
        ckpt_every = spec["checkpoint_every"]
        if self._rng_to_restore is not None:
            set_rng_state(self._rng_to_restore)
            self._write_metrics()  # drop rows the killed process wrote after its checkpoint
        else:
            seed_everything(spec["seed"])
        if self.iteration == 0:
            self._append_row(self._evaluate_row(*self._current_lrs()))
        progress = _Progress(total, self.iteration, self)
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
                if not all(math.isfinite(s) for s in (stats[0], stats[1], stats[4], stats[5])):
                    diverged_at = self.iteration
                    self._append_row(self._loss_row(lr_g, lr_d))
                    break
                if self.iteration % every == 0 or self.iteration == total:
                    self._append_row(self._evaluate_row(lr_g, lr_d))
                if self.iteration % ckpt_every == 0 or self.iteration == total:
                    self._save_checkpoint()
                progress.update(self.iteration, stats)
        finally:
            progress.close()
        return ("diverged", diverged_at) if diverged_at is not None else ("finished", None)

    # -- outputs -------------------------------------------------------------------------

    def _write_samples(self) -> None:
        if self.points:
            self._write_scatter()
            return
        from torchvision.utils import save_image

        with _preserved_rng():
            images = self._fixed_samples(_SAMPLE_GRID, _SAMPLE_GRID, "samples")
        with atomic_open(self.run_dir / "samples.png", "wb") as fh:
            save_image(images.clamp(-1, 1), fh, format="png", nrow=8, normalize=True,
                       value_range=(-1, 1))

    def _write_scatter(self) -> None:
        # The object-oriented Figure API without pyplot: importing pyplot costs ~0.5 s, a
        # tenth of a small 2-D run, and every job of the grid pays it.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        with _preserved_rng():
            points = self._fixed_samples(_SCATTER_POINTS, _SCATTER_POINTS, "samples").numpy()
        with atomic_open(self.run_dir / "samples.npy", "wb") as fh:
            np.save(fh, points)
        means = np.asarray(self.dataset.info["means"])
        fig = Figure(figsize=(4, 4))
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        finite = points[np.isfinite(points).all(axis=1)]
        ax.scatter(finite[:, 0], finite[:, 1], s=2, alpha=0.4, label="G(z)")
        ax.scatter(means[:, 0], means[:, 1], s=30, marker="x", color="red", label="means")
        ax.set_xlim(-1.5, 1.5)
        ax.set_ylim(-1.5, 1.5)
        ax.set_aspect("equal")
        ax.legend(loc="upper right", fontsize=7)
        ax.set_title(f"{self.spec['method']} iteration {self.iteration}", fontsize=8)
        with atomic_open(self.run_dir / "samples.png", "wb") as fh:
            fig.savefig(fh, format="png", dpi=100)

    def _write_summary(self, status: str, diverged_at: int | None, *, error: str | None = None,
                       tb: str | None = None) -> dict:
        final = None
        if status == "finished" and self.rows and self.metric in self.rows[-1]:
            final = _json_number(float(self.rows[-1][self.metric]))
        summary = {
            "status": status,
            "diverged_at": diverged_at,
            "error": error,
            "traceback": tb,
            "metric_name": self.metric,
            "metric_mode": self.metric_mode,
            "best_metric": _json_number(self.best_value),
            "best_iteration": self.best_iteration,
            "final_metric": final,
            "iterations": self.iteration,
            "optimizer_steps": dict(self.optimizer_steps),
            "wall_time_s": round(self._elapsed(), 3),
            "eval_time_s": round(self.eval_time_s, 3),
            "versions": _versions(),
            "git_revision": _git_revision(),
            "device": str(self.device),
            "threads": self.threads,
            "spec": self.spec,
        }
        atomic_write_json(self.run_dir / "summary.json", summary)
        return summary


class _Progress:
    """A tqdm bar on a terminal, otherwise a log line on stderr every ~10% of the run."""

    def __init__(self, total: int, start: int, trainer: Trainer) -> None:
        self.total = total
        self.trainer = trainer
        self.every = max(1, total // 10)
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=start, dynamic_ncols=True, leave=False)

    def update(self, iteration: int, stats: list[float]) -> None:
        metric = self.trainer.metric
        last = next((r[metric] for r in reversed(self.trainer.rows) if metric in r), None)
        if self.bar is not None:
            self.bar.update(1)
            if iteration % max(1, self.every // 10) == 0:
                self.bar.set_postfix(loss_d=f"{stats[1]:.3g}", loss_g=f"{stats[0]:.3g}",
                                     **{metric: last})
        elif iteration % self.every == 0 or iteration == self.total:
            print(f"iter {iteration}/{self.total} loss_d={stats[1]:.4g} loss_g={stats[0]:.4g} "
                  f"{metric}={last}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run(
    spec: dict,
    run_dir: str | os.PathLike,
    *,
    fid_stats: str | os.PathLike | None = None,
    inception_weights: str | os.PathLike | None = None,
    threads: int = 1,
    device: str = "auto",
    resume: bool = True,
    fresh: bool = False,
) -> dict:
    """Train one run of the grid and return its summary.

    Args:
        spec: the run spec (a JSON object; stored verbatim in summary.json).
        run_dir: output directory (created).
        fid_stats: reference statistics (``.npz`` from ``scripts/fid_stats.py``); required
            when ``eval.metric`` is ``"fid"``. Statistics of another dataset, image size or
            split are refused.
        inception_weights: the pytorch-fid Inception weights file, for statistics computed
            with the Inception extractor (default: ``$CGGAN_INCEPTION_WEIGHTS``, then the
            torch hub cache); its SHA-256 must match the statistics' protocol.
        threads: torch intra-op threads (1: several single-thread jobs side by side are
            faster on small models).
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``.
        resume: continue from ``run_dir/checkpoint.pt`` if present, and return the stored
            summary of a finished/diverged run of the same spec without training. False is
            the same as ``fresh=True``.
        fresh: delete the run directory's outputs (``OUTPUT_FILES``) and start over.

    Returns:
        The summary (also written last, atomically, to ``run_dir/summary.json``): status
        (``finished``, ``diverged``, ``failed``), diverged_at, error, traceback,
        metric_name (``fid`` or ``modes``), metric_mode (``min``: lower is better, ``max``),
        best_metric, best_iteration, final_metric (null when diverged or non-finite),
        iterations, optimizer_steps, wall_time_s, eval_time_s, versions, git_revision,
        device, threads, spec.

    Raises:
        ValueError: bad spec, unsupported setting, mismatched FID statistics, or a corrupted
            checkpoint / one of another spec (:class:`CheckpointError`); raised before any
            file is written.
        Exception: whatever made a run fail, re-raised after summary.json recorded it.
    """
    return Trainer(spec, run_dir, fid_stats=fid_stats, inception_weights=inception_weights,
                   threads=threads, device=device, resume=resume, fresh=fresh).execute()
