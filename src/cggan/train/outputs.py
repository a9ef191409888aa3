"""What a run leaves in its directory: ``metrics.csv``, ``samples.png``/``.npy`` and
``summary.json`` (the checkpoint files are :mod:`cggan.train.checkpoint`'s).

Every file is written atomically (:mod:`cggan.io`), so a killed run never leaves a
truncated one under its final name; ``summary.json`` is written last and records the
SHA-256 of the ``metrics.csv`` it describes.
"""

from __future__ import annotations

import csv
import io
import math
import platform
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cggan.convergence import convergence_diagnostic
from cggan.data import prepared_digests, resolve_image_size
from cggan.fingerprint import code_fingerprint
from cggan.io import atomic_open, atomic_write_json, atomic_write_text, sha256_file
from cggan.train.diagnostics import BETA_COLUMNS, beta_summary
from cggan.train.streams import preserved_rng

__all__ = [
    "BASE_COLUMNS",
    "BETA_COLUMNS",
    "METRIC_COLUMNS",
    "OUTPUT_FILES",
    "TIMING_COLUMNS",
    "build_summary",
    "metrics_columns",
    "write_metrics",
    "write_samples",
    "write_summary",
]

#: Files a run writes into its directory (``--fresh`` deletes exactly these).
OUTPUT_FILES = (
    "summary.json",
    "metrics.csv",
    "samples.png",
    "samples.npy",
    "checkpoint.pt",
    "checkpoint.prev.pt",
    "checkpoint.sha256",
)
BASE_COLUMNS = (
    "iteration",
    "loss_g",
    "loss_d",
    "grad_norm_g",
    "grad_norm_d",
    "lr_g",
    "lr_d",
)
METRIC_COLUMNS = {
    "fid": ("fid", "fid_status", "kid", "confident", "class_entropy"),
    "modes": ("modes", "high_quality"),
}
#: The only columns that differ between two runs of one spec.
TIMING_COLUMNS = ("elapsed_s",)
_SAMPLE_GRID = 64  # images in samples.png
_SCATTER_POINTS = 2000  # points in the 2-D scatter


def metrics_columns(metric: str) -> tuple[str, ...]:
    """The header of ``metrics.csv`` for an evaluation metric (``fid`` or ``modes``).

    The same for every method: the β columns are empty for methods without β.
    """
    return (*BASE_COLUMNS, *METRIC_COLUMNS[metric], *BETA_COLUMNS, *TIMING_COLUMNS)


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form: equal strings <=> equal floats
    return str(value)


def write_metrics(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    """Rewrite ``metrics.csv`` from the in-memory rows (atomically, never appended).

    Args:
        path: the file.
        columns: header, in order; a row's missing keys are written as empty cells.
        rows: one dict per evaluation row.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_format(row.get(col)) for col in columns])
    atomic_write_text(path, buf.getvalue())


# ----------------------------------------------------------------------------- samples


def write_samples(trainer) -> None:
    """``samples.png`` of a fixed noise batch: an image grid, or a 2-D scatter.

    Args:
        trainer: the :class:`cggan.train.Trainer` whose generator samples.
    """
    if trainer.points:
        _write_scatter(trainer)
        return
    from torchvision.utils import save_image

    with preserved_rng():
        images = trainer.fixed_samples(_SAMPLE_GRID, _SAMPLE_GRID, "samples")
    with atomic_open(trainer.run_dir / "samples.png", "wb") as fh:
        save_image(
            images.clamp(-1, 1),
            fh,
            format="png",
            nrow=8,
            normalize=True,
            value_range=(-1, 1),
        )


def _write_scatter(trainer) -> None:
    # The object-oriented Figure API without pyplot: importing pyplot costs ~0.5 s, a
    # tenth of a small 2-D run, and every job of the grid pays it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with preserved_rng():
        points = trainer.fixed_samples(_SCATTER_POINTS, _SCATTER_POINTS, "samples")
    points = points.numpy()
    with atomic_open(trainer.run_dir / "samples.npy", "wb") as fh:
        np.save(fh, points)
    means = np.asarray(trainer.dataset.info["means"])
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
    title = f"{trainer.spec.method} iteration {trainer.iteration}"
    ax.set_title(title, fontsize=8)
    with atomic_open(trainer.run_dir / "samples.png", "wb") as fh:
        fig.savefig(fh, format="png", dpi=100)


# ----------------------------------------------------------------------------- summary


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


def build_summary(
    trainer,
    status: str,
    diverged_at: int | None,
    *,
    error: str | None = None,
    tb: str | None = None,
) -> dict:
    """The summary of a run in its current state (see :func:`cggan.train.run`).

    Args:
        trainer: the :class:`cggan.train.Trainer`.
        status: ``"finished"``, ``"diverged"`` or ``"failed"``.
        diverged_at: the iteration of divergence, or None.
        error: ``"<ExceptionType>: <message>"`` of a failed run.
        tb: the failed run's traceback.
    """
    metric, rows = trainer.metric, trainer.rows
    final = None
    if status == "finished" and rows and metric in rows[-1]:
        final = _json_number(float(rows[-1][metric]))
    return {
        "status": status,
        "diverged_at": diverged_at,
        "error": error,
        "traceback": tb,
        "metric_name": metric,
        "metric_mode": trainer.metric_mode,
        "best_metric": _json_number(trainer.best_value),
        "best_iteration": trainer.best_iteration,
        "final_metric": final,
        "iterations": trainer.iteration,
        "optimizer_steps": dict(trainer.optimizer_steps),
        "beta": beta_summary(rows, trainer.has_beta),
        "convergence": convergence_diagnostic(rows, metric, trainer.metric_mode),
        # the classifier's numbers at the final evaluation (FID on a classifier only)
        "final_sample_quality": {
            k: _json_number(float(rows[-1][k]))
            for k in ("confident", "class_entropy")
            if status == "finished" and rows and rows[-1].get(k) is not None
        },
        "wall_time_s": round(trainer.elapsed(), 3),
        "eval_time_s": round(trainer.eval_time_s, 3),
        "versions": _versions(),
        "git_revision": _git_revision(),
        "device": str(trainer.device),
        "threads": trainer.threads,
        "spec": trainer.spec.to_dict(),
        "code": code_fingerprint(),  # cggan.fingerprint: which code made the run
        "data": _data_digests(trainer.spec),  # which data, wherever its cache lives
    }


def _data_digests(spec: Any) -> dict[str, str]:
    """``{split: SHA-256}`` of the prepared data the run read (its manifest's)."""
    dataset = spec.dataset
    return prepared_digests(
        dataset.name,
        root=dataset.root,
        image_size=resolve_image_size(dataset.name, dataset.image_size),
    )


def write_summary(run_dir: Path, summary: dict) -> dict:
    """Add the digests of the files the summary describes, then write it atomically.

    ``summary["files"]`` maps ``"metrics.csv"`` to the SHA-256 (hex) of the file as it
    is now (absent when a failed run never wrote one), so that a reader can tell a
    truncated or edited ``metrics.csv`` from the one this summary describes.

    Args:
        run_dir: the run directory.
        summary: from :func:`build_summary`; completed in place.

    Returns:
        The summary as written.
    """
    metrics = run_dir / "metrics.csv"
    files = {"metrics.csv": sha256_file(metrics)} if metrics.is_file() else {}
    summary["files"] = files
    atomic_write_json(run_dir / "summary.json", summary)
    return summary
