"""What the training timings run on: CIFAR-10-shaped random images in a temporary
data root, FID statistics of them, and the project's own trainer on a run spec."""

from __future__ import annotations

from pathlib import Path


def make_cifar_shaped(root: Path, n: int, seed: int = 0) -> None:
    """A CIFAR-10-shaped training split (random uint8 images) as the loader's cache, so
    that ``load_dataset("cifar10", ...)`` reads it without the archive."""
    import torch

    from cggan.data import _cache_path, _write_cache
    from cggan.data.cifar10 import ARCHIVE

    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=gen)
    y = torch.randint(0, 10, (n,), generator=gen)
    info = {
        "source": "random (gpu_check)",
        "source_md5": {ARCHIVE.filename: ARCHIVE.md5},
    }
    _write_cache(_cache_path(root, "cifar10", "train", 32), x, y, info)


def make_classifier_stats(root: Path, out: Path, n: int) -> Path:
    """FID statistics of the fake split with an untrained small classifier: the run
    must have statistics; the timed iterations never evaluate."""
    import torch

    from cggan.data import load_dataset
    from cggan.metrics import features, fid

    torch.manual_seed(0)
    model = features.DigitClassifier(
        image_size=32, channels=3, feature_dim=16, widths=(4, 8)
    )
    features.save_classifier(fid.classifier_path_for(out), model)
    extractor = features.build_extractor(
        "classifier", weights=fid.classifier_path_for(out)
    )
    data = load_dataset("cifar10", root=root, split="train", image_size=32)
    feats = features.extract_features(extractor, data.x, len(data.x), 256)
    mu, sigma = fid.compute_statistics(feats)
    protocol = fid.reference_protocol(
        dataset="cifar10",
        split="train",
        n=len(data.x),
        image_size=32,
        channels=3,
        extractor=extractor,
    )
    fid.save_reference_stats(out, mu, sigma, protocol, kid_features=feats[:32])
    return out


def run_spec(root: Path, model: str, method: str, sizes: dict) -> dict:
    """A CIFAR-shaped run spec of ``model`` and ``method`` (registry defaults)."""
    from cggan.methods import method_hparams

    return {
        "study": "gpu_check",
        "experiment": "cifar10",
        "dataset": {"name": "cifar10", "image_size": 32, "root": str(root)},
        "model": {"name": model, "z_dim": sizes["z_dim"], "kwargs": sizes[model]},
        "loss": "bce",
        "n_critic": 1,
        "batch_size": sizes["batch_size"],
        "iterations": 100_000,
        "method": method,
        "method_kwargs": method_hparams(method),
        "lr_rule": "constant",
        "lr_rule_kwargs": {},
        "lr_g": 1e-4,
        "lr_d": 1e-4,
        "seed": 0,
        "eval": {
            "metric": "fid",
            "every": 1000,
            "n_samples": 32,
            "batch_size": 32,
            "extractor": "classifier",
            "dims": 16,
            "reference_split": "train",
            "reference_n": sizes["data_n"],
            "preprocessing": "fixed",
        },
        "checkpoint_every": 5000,
    }


def build_trainer(fixture: dict, model: str, method: str, sizes: dict, device):
    """A :class:`cggan.train.Trainer` of the project (nothing written to disk)."""
    from cggan.train import Trainer

    spec = run_spec(fixture["root"], model, method, sizes)
    return Trainer(
        spec,
        fixture["runs"] / f"{model}-{method}",
        fid_stats=fixture["stats"],
        threads=sizes["threads"],
        device=str(device),
        fresh=True,
    )
