"""Evaluation during training: mode coverage (2-D mixtures) or FID/KID (images).

Every evaluation scores the same noise (a generator re-seeded from the run's ``"eval"``
stream each time), so the points of a curve differ only by the generator's weights.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

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


def minmax_per_image(x: torch.Tensor) -> torch.Tensor:
    """The ``minmax`` FID preprocessing: each image stretched by its own min and max.

    Returns, in [-1, 1], the 8-bit values that ``torchvision.utils.save_image(image,
    normalize=True)`` writes for each image separately (the released code saved every
    image it scored that way) and ``ToTensor`` reads back, ``b / 255``, as ``2 b / 255
    − 1``; the FID protocol's 8-bit quantization (``quantize_png8``) then reproduces the
    same bytes exactly. save_image subtracts the image's min, divides by max(max − min,
    1e-5) and quantizes with ``mul(255).add_(0.5).clamp_(0, 255)`` then truncation.
    Images that are not finite are returned as they are (the evaluator reports them).

    Args:
        x: N×C×H×W images (any range).
    """
    if not torch.isfinite(x).all():
        return x
    x = x.detach().float()
    flat = x.flatten(1)
    low = flat.min(1).values.view(-1, *([1] * (x.dim() - 1)))
    span = (flat.max(1).values.view_as(low) - low).clamp_min(1e-5)
    unit = (x - low).div_(span)
    png = unit.mul_(255).add_(0.5).clamp_(0, 255).to(torch.uint8)
    return png.float().div_(255).mul_(2).sub_(1)


#: ``eval.preprocessing`` -> what happens to G's images (in [-1, 1]) before the FID
#: protocol's fixed map (x + 1) / 2 and 8-bit quantization.
PREPROCESSORS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "fixed": lambda x: x,
    "minmax": minmax_per_image,
}


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
    _check_preprocessing(evaluator.reference, preprocessing)
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
        }

    return evaluate_fid


def _check_preprocessing(reference, expected: str) -> None:
    """The statistics' ``preprocessing`` must be the run's (absent means ``fixed``:
    statistics written before the key existed)."""
    found = reference.protocol.get("preprocessing", "fixed")
    if found != expected:
        raise ValueError(
            f"Reference statistics protocol mismatch in "
            f"{reference.path.with_suffix('.json')}: key 'preprocessing' expected "
            f"{expected!r}, found {found!r}"
        )
