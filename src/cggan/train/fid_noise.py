"""The FID estimator's own noise: one fixed generator, many sample draws.

A training curve scores the same noise z at every evaluation (:mod:`cggan.train.
evaluation`), so its points differ only by the generator's weights; but which z a run
scores is one draw among many, and FID on N samples is a noisy, biased estimate of the
generator's FID. This module measures that noise directly: the final generator of a
finished run, scored ``draws`` times at each sample count N, each draw a fresh z. The
spread (standard deviation, and the coefficient of variation against the mean) at
N = 500 and at a larger N is the estimator's noise budget that docs/statistics.md sets
against the movement of a curve from one evaluation to the next.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch

from cggan.metrics.preprocessing import PREPROCESSORS, check_reference_preprocessing
from cggan.train.evaluation import expected_protocol

__all__ = ["estimator_noise"]

#: The file a run's final generator is read from.
_CHECKPOINT = "checkpoint.pt"


def _final_trainer(run_dir: Path, fid_stats, device: str, threads: int):
    """A Trainer of the run's spec holding the generator weights of its checkpoint.

    Built fresh in a scratch directory (a finished run directory is never touched) and
    given only the checkpoint's generator: the measurement needs the weights, not the
    training state, so a run made by earlier code can be measured too. The checkpoint
    must be the run's last state (its iteration equals the summary's).
    """
    from cggan.train.loop import Trainer

    try:
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"Invalid run: {run_dir} has no readable summary ({exc})"
        ) from None
    if summary.get("status") != "finished":
        raise ValueError(f"Invalid run: {run_dir} did not finish")
    ckpt = torch.load(run_dir / _CHECKPOINT, map_location="cpu", weights_only=True)
    if int(ckpt["iteration"]) != int(summary["iterations"]):
        raise ValueError(
            f"Invalid run: {run_dir} checkpoint at iteration {ckpt['iteration']}, "
            f"summary at {summary['iterations']}"
        )
    scratch = Path(tempfile.mkdtemp(prefix="fid-noise-"))
    try:
        trainer = Trainer(
            summary["spec"],
            scratch,
            fid_stats=fid_stats,
            device=device,
            threads=threads,
            fresh=True,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    trainer.G.load_state_dict(ckpt["generator"])
    trainer.iteration = int(ckpt["iteration"])
    return trainer


@torch.no_grad()
def estimator_noise(
    run_dir: str | os.PathLike,
    fid_stats: str | os.PathLike,
    *,
    n_samples: Sequence[int] = (500, 2000),
    draws: int = 20,
    device: str = "auto",
    threads: int = 1,
) -> list[dict]:
    """FID of a finished run's final generator over ``draws`` noise draws per N.

    Returns:
        One row per (N, draw): ``n_samples``, ``draw``, ``fid``, ``iteration``.

    Raises:
        ValueError: the run did not finish, or its checkpoint is not its last state.
    """
    from cggan.metrics.fid import FIDEvaluator

    run_dir = Path(run_dir)
    trainer = _final_trainer(run_dir, fid_stats, device, threads)
    expected = expected_protocol(trainer)
    preprocessing = expected.pop("preprocessing")
    preprocess = PREPROCESSORS[preprocessing]
    G = trainer.G.eval()
    rows = []
    for n in n_samples:
        evaluator = FIDEvaluator.from_stats(
            fid_stats,
            n_samples=int(n),
            batch_size=trainer.spec.eval.batch_size,
            device=trainer.device,
            expected_protocol=dict(expected),
            inception_weights=trainer.inception_weights,
        )
        check_reference_preprocessing(evaluator.reference, preprocessing)
        for draw in range(draws):
            gen = torch.Generator().manual_seed(10_000 + draw)

            def sample_fn(k: int, gen=gen) -> torch.Tensor:
                z = torch.randn(k, trainer.z_dim, generator=gen).to(trainer.device)
                return preprocess(G(z))

            fid = float(evaluator(sample_fn)["fid"])
            rows.append(
                {
                    "n_samples": int(n),
                    "draw": draw,
                    "fid": fid,
                    "iteration": trainer.iteration,
                }
            )
    return rows
