"""Evaluation during training: mode coverage (2-D mixtures) or FID/KID (images).

Every evaluation scores the same noise (a generator re-seeded from the run's ``"eval"``
stream each time), so the points of a curve differ only by the generator's weights.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from cggan.metrics.preprocessing import (
    PREPROCESSORS,
    check_reference_preprocessing,
    minmax_per_image,
)
from cggan.train.streams import derive_seed

__all__ = [
    "PREPROCESSORS",
    "build_evaluator",
    "expected_protocol",
    "fixed_samples",
    "minmax_per_image",
]


@torch.no_grad()
def fixed_samples(trainer, n: int, batch_size: int, purpose: str) -> torch.Tensor:
    """G's samples for a fixed noise stream (the same z at every call), G in eval mode.

    Args:
        trainer: the :class:`cggan.train.Trainer`.
        n: number of samples.
        batch_size: samples per forward pass.
        purpose: the noise stream (see :func:`cggan.train.derive_seed`).

    Returns:
        ``n`` samples, float32, on the CPU.
    """
    gen = torch.Generator().manual_seed(derive_seed(trainer.spec.seed, purpose))
    G = trainer.G
    was_training = G.training
    G.eval()
    try:
        out = []
        for start in range(0, n, batch_size):
            z = torch.randn(min(batch_size, n - start), trainer.z_dim, generator=gen)
            out.append(G(z.to(trainer.device)).float().cpu())
        return torch.cat(out)
    finally:
        G.train(was_training)


def expected_protocol(trainer) -> dict:
    """What the FID statistics' protocol must state for this run: the spec's FID
    protocol (:attr:`cggan.spec.RunSpec.fid_protocol`) in the statistics' layout."""
    return trainer.spec.fid_protocol.statistics_protocol()


def build_evaluator(trainer, fid_stats) -> Callable[[], dict]:
    """The function that scores the trainer's generator and returns the metric columns.

    Args:
        trainer: the :class:`cggan.train.Trainer` (built: dataset, G and device set).
        fid_stats: reference statistics file; required when ``eval.metric`` is ``fid``.

    Raises:
        ValueError: FID without statistics, or statistics of another protocol.
    """
    if trainer.metric == "modes":
        return _modes_evaluator(trainer)
    if fid_stats is None:
        raise ValueError(
            "Invalid fid_stats: None (eval.metric 'fid' needs a reference statistics "
            "file: --fid-stats NPZ)"
        )
    return _fid_evaluator(trainer, fid_stats)


def _modes_evaluator(trainer) -> Callable[[], dict]:
    from cggan.metrics.modes import mode_coverage

    ev = trainer.spec.eval
    means = np.asarray(trainer.dataset.info["means"], dtype=np.float64)
    std = float(trainer.dataset.info["std"])

    def evaluate_modes() -> dict:
        points = fixed_samples(trainer, ev.n_samples, ev.batch_size, "eval")
        result = mode_coverage(points.double().cpu().numpy(), means, std)
        return {
            "modes": int(result["modes"]),
            "high_quality": float(result["high_quality"]),
        }

    return evaluate_modes


def _fid_evaluator(trainer, fid_stats) -> Callable[[], dict]:
    from cggan.metrics.fid import FIDEvaluator

    ev = trainer.spec.eval
    # The statistics must have the run's FID protocol; the extractor is rebuilt from
    # the statistics' own protocol (hash-checked), so FID numbers are comparable.
    expected = expected_protocol(trainer)
    preprocessing = expected.pop("preprocessing")
    evaluator = FIDEvaluator.from_stats(
        fid_stats,
        n_samples=ev.n_samples,
        batch_size=ev.batch_size,
        device=trainer.device,
        expected_protocol=expected,
        inception_weights=trainer.inception_weights,
    )
    check_reference_preprocessing(evaluator.reference, preprocessing)
    preprocess = PREPROCESSORS[preprocessing]
    seed = derive_seed(trainer.spec.seed, "eval")

    def evaluate_fid() -> dict:
        gen = torch.Generator().manual_seed(seed)

        def sample_fn(n: int) -> torch.Tensor:
            z = torch.randn(n, trainer.z_dim, generator=gen).to(trainer.device)
            return preprocess(trainer.G(z))

        result = evaluator(sample_fn)
        return {
            "fid": float(result["fid"]),
            "fid_status": str(result["fid_status"]),
            "kid": float(result["kid"]),
            "confident": float(result["confident"]),
            "class_entropy": float(result["class_entropy"]),
        }

    return evaluate_fid
