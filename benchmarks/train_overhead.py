"""Overhead of ``cggan.train.run`` against a bare PyTorch GAN loop, side by side.

Same model (DCGAN at 16×16 on digits), data, batch, method (Adam, betas (0.5, 0.999)),
loss (BCE) and D-then-G alternation; one CPU thread each. The run evaluates FID and
writes checkpoints with the cadence of the digits experiment in ``config/config.yaml``
(``eval.every`` and ``checkpoint_every``; 100/100 when the file or the keys are
missing). FID is computed with an untrained domain classifier built here: evaluation
costs the same whatever the classifier's weights, and the benchmark must not depend on
prepared statistics.

Two bare loops are timed:

* ``bare (shared G pass)``: the PyTorch DCGAN tutorial / the CG paper's loop: one
  generator forward per iteration, ``fake.detach()`` for D, the same ``fake`` for G's
  step. This is also what ``cggan.gan.GANGame`` does, so it is the baseline of the
  target.
* ``bare (fresh G pass)``: a second generator pass for G's step (for reference: what the
  run would cost without sharing the pass).

Printed: iterations per second of each, of the run with and without its evaluation time,
and the ratios. Target: the run's overhead without evaluation ≤ 10 % of the shared-pass
loop's training time. Each side is the best of ``--repeats`` interleaved repetitions
(the machine may be shared; the minimum is the least disturbed measurement).

Usage: ``python benchmarks/train_overhead.py [--iterations 300] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config" / "config.yaml"
DEFAULTS = {
    "every": 100,
    "checkpoint_every": 100,
    "batch_size": 64,
    "z_dim": 64,
    "model_kwargs": {"ngf": 32, "ndf": 32},
    "n_samples": 1000,
    "eval_batch_size": 250,
}


def read_cadence() -> tuple[dict, str]:
    """The digits experiment's settings from config/config.yaml, else the defaults."""
    settings = dict(DEFAULTS)
    if not CONFIG.is_file():
        return (
            settings,
            f"{CONFIG.relative_to(REPO)} not found: "
            "defaults eval.every=100, checkpoint_every=100",
        )
    from cggan.io import load_yaml  # refuses duplicated keys, as the workflow does

    exp = (load_yaml(CONFIG) or {}).get("experiments", {}).get("digits")
    if not exp or "checkpoint_every" not in exp or "every" not in exp.get("eval", {}):
        return (
            settings,
            f"{CONFIG.relative_to(REPO)} has no digits cadence: defaults 100/100",
        )
    settings.update(
        every=exp["eval"]["every"],
        checkpoint_every=exp["checkpoint_every"],
        batch_size=exp.get("batch_size", settings["batch_size"]),
        z_dim=exp.get("z_dim", settings["z_dim"]),
        model_kwargs=exp.get("model_kwargs") or settings["model_kwargs"],
        n_samples=exp["eval"].get("n_samples", settings["n_samples"]),
        eval_batch_size=exp["eval"].get("batch_size", settings["eval_batch_size"]),
    )
    return settings, f"cadence from {CONFIG.relative_to(REPO)} (experiments.digits)"


def make_stats(root: Path, out: Path) -> Path:
    import torch

    from cggan.data import load_dataset
    from cggan.metrics import features, fid

    torch.manual_seed(0)
    model = features.DigitClassifier(image_size=16, channels=1)
    features.save_classifier(fid.classifier_path_for(out), model)
    extractor = features.build_extractor(
        "classifier", weights=fid.classifier_path_for(out)
    )
    data = load_dataset("digits", root=root, split="train", image_size=16)
    feats = features.extract_features(extractor, data.x, len(data.x), 500)
    mu, sigma = fid.compute_statistics(feats)
    protocol = fid.reference_protocol(
        dataset="digits",
        split="train",
        n=len(data.x),
        image_size=16,
        channels=1,
        extractor=extractor,
    )
    fid.save_reference_stats(out, mu, sigma, protocol, kid_features=feats[:1000])
    return out


def bare_loop(data_x, settings: dict, iterations: int, *, fresh_g_pass: bool) -> float:
    """Seconds for ``iterations`` of a minimal alternating GAN loop."""
    import torch
    import torch.nn.functional as F

    from cggan.models import build_models

    torch.manual_seed(0)
    G, D = build_models(
        "dcgan",
        image_size=16,
        channels=1,
        z_dim=settings["z_dim"],
        **settings["model_kwargs"],
    )
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    batch, n = settings["batch_size"], len(data_x)
    gen = torch.Generator().manual_seed(0)
    order, cursor = torch.randperm(n, generator=gen), 0
    start = time.perf_counter()
    for _ in range(iterations):
        if cursor + batch > n:
            order, cursor = torch.randperm(n, generator=gen), 0
        real = data_x[order[cursor : cursor + batch]]
        cursor += batch
        z = torch.randn(batch, settings["z_dim"], generator=gen)
        fake = G(z)
        real_logits, fake_logits = D(real), D(fake.detach())
        loss_d = 0.5 * (
            F.binary_cross_entropy_with_logits(
                real_logits, torch.ones_like(real_logits)
            )
            + F.binary_cross_entropy_with_logits(
                fake_logits, torch.zeros_like(fake_logits)
            )
        )
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        logits = D(G(z) if fresh_g_pass else fake)
        loss_g = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    return time.perf_counter() - start


def cggan_run(
    root: Path, stats: Path, settings: dict, iterations: int, out: Path
) -> tuple[float, float]:
    """(wall seconds of the run, of which evaluation seconds)."""
    from cggan.train import run

    spec = {
        "study": "bench",
        "experiment": "digits",
        "dataset": {"name": "digits", "image_size": 16, "root": str(root)},
        "model": {
            "name": "dcgan",
            "z_dim": settings["z_dim"],
            "kwargs": settings["model_kwargs"],
        },
        "loss": "bce",
        "n_critic": 1,
        "batch_size": settings["batch_size"],
        "iterations": iterations,
        "method": "adam",
        "method_kwargs": {},
        "lr_rule": "constant",
        "lr_rule_kwargs": {},
        "lr_g": 1e-3,
        "lr_d": 1e-3,
        "seed": 0,
        "eval": {
            "metric": "fid",
            "every": settings["every"],
            "n_samples": settings["n_samples"],
            "batch_size": settings["eval_batch_size"],
            "extractor": "classifier",
            "dims": 128,
            "reference_split": "train",
            "reference_n": 1437,
            "preprocessing": "fixed",
        },
        "checkpoint_every": settings["checkpoint_every"],
    }
    summary = run(spec, out, fid_stats=stats, threads=1, device="cpu", fresh=True)
    return summary["wall_time_s"], summary["eval_time_s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    import torch

    from cggan.data import load_dataset
    from cggan.runtime import set_threads

    set_threads(1)
    settings, source = read_cadence()
    print(
        f"{source}; DCGAN 16x16 digits, model kwargs {settings['model_kwargs']}, "
        f"z_dim {settings['z_dim']}, batch {settings['batch_size']}, adam, bce; "
        f"{args.iterations} iterations, best of {args.repeats}; 1 thread, "
        f"{torch.get_num_threads()} torch thread(s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        stats = make_stats(tmp / "data", tmp / "digits16.npz")
        data_x = load_dataset(
            "digits", root=tmp / "data", split="train", image_size=16
        ).x
        bare_loop(
            data_x, settings, 20, fresh_g_pass=False
        )  # warm-up (allocator, imports)
        times = {"shared": [], "fresh": [], "run": [], "run_eval": []}
        for rep in range(args.repeats):
            times["shared"].append(
                bare_loop(data_x, settings, args.iterations, fresh_g_pass=False)
            )
            times["fresh"].append(
                bare_loop(data_x, settings, args.iterations, fresh_g_pass=True)
            )
            wall, ev = cggan_run(
                tmp / "data", stats, settings, args.iterations, tmp / f"run{rep}"
            )
            times["run"].append(wall)
            times["run_eval"].append(ev)
    n = args.iterations
    best = {k: min(v) for k, v in times.items()}
    i_run = times["run"].index(best["run"])
    run_total, run_eval = best["run"], times["run_eval"][i_run]
    run_train = run_total - run_eval
    rows = [
        ("bare loop, shared G pass", n / best["shared"]),
        ("bare loop, fresh G pass", n / best["fresh"]),
        ("cggan.train.run, without evaluation time", n / run_train),
        ("cggan.train.run, with evaluation time", n / run_total),
    ]
    for label, rate in rows:
        print(f"{label:45s} {rate:8.1f} it/s")
    evals = n // settings["every"] + 1 + (n % settings["every"] != 0)
    print(
        f"evaluations: {evals} x {settings['n_samples']} samples, "
        f"{run_eval:.2f} s in total; run wall {run_total:.2f} s "
        f"(median {statistics.median(times['run']):.2f} s)"
    )
    for base in ("shared", "fresh"):
        overhead = run_train / best[base] - 1.0
        print(
            f"overhead vs bare ({base} G pass): "
            f"without evaluation {100 * overhead:+.1f}% "
            f"(ratio {run_train / best[base]:.3f}); with evaluation "
            f"{100 * (run_total / best[base] - 1.0):+.1f}% "
            f"(ratio {run_total / best[base]:.3f})"
        )
    ok = run_train / best["shared"] - 1.0 <= 0.10
    print(
        f"target overhead <= 10% without evaluation (vs the shared-pass bare loop): "
        f"{'met' if ok else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
