"""Step time of ConjugateGradient relative to torch.optim.Adam(foreach=True).

Both optimizers are timed side by side in one process, interleaved repeat by repeat, on
the parameter sets of the DCGAN (64×64) and SNGAN-ResNet (32×32) generators, with random
gradients (two sets, alternated so consecutive gradients differ, as in training). The
ratio reported per configuration is the median over repeats of (CG time / Adam time)
measured back to back, which cancels most of the load drift of a shared machine.
Target (issue 3): ratio <= 1.0 for scope="tensor".

Usage: python benchmarks/optimizer_step.py [--repeats 10] [--device cpu] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

# Published shapes, used when cggan.models cannot be imported. DCGAN 64x64 generator
# (nz=100, ngf=64, no conv bias); SNGAN-ResNet 32x32 generator (z=128, 256 channels).
DCGAN_G_SHAPES = [
    (100, 512, 4, 4),
    (512,),
    (512,),
    (512, 256, 4, 4),
    (256,),
    (256,),
    (256, 128, 4, 4),
    (128,),
    (128,),
    (128, 64, 4, 4),
    (64,),
    (64,),
    (64, 3, 4, 4),
]
_SNGAN_BLOCK = [
    (256,),
    (256,),
    (256, 256, 3, 3),
    (256,),  # BN, conv3x3
    (256,),
    (256,),
    (256, 256, 3, 3),
    (256,),  # BN, conv3x3
    (256, 256, 1, 1),
    (256,),  # 1x1 shortcut
]
SNGAN_G_SHAPES = (
    [(4 * 4 * 256, 128), (4 * 4 * 256,)]
    + _SNGAN_BLOCK * 3
    + [(256,), (256,), (3, 256, 3, 3), (3,)]
)


def _shapes(name: str) -> tuple[list[tuple[int, ...]], str]:
    """Parameter shapes of a generator, from cggan.models when importable."""
    try:
        from cggan.models import build_models

        if name == "dcgan":
            generator, _ = build_models("dcgan", image_size=64, channels=3)
        else:
            generator, _ = build_models("sngan_resnet", image_size=32, channels=3)
        return [tuple(p.shape) for p in generator.parameters()], "cggan.models"
    except Exception:  # noqa: BLE001 - any failure means: use the published shapes
        return (
            DCGAN_G_SHAPES if name == "dcgan" else SNGAN_G_SHAPES
        ), "published shapes"


class _Bench:
    """One optimizer on its own copy of the parameters, with two gradient sets."""

    def __init__(self, torch, shapes, device, make_opt, seed=0):
        gen = torch.Generator().manual_seed(seed)
        self.params = [
            torch.nn.Parameter((0.02 * torch.randn(s, generator=gen)).to(device))
            for s in shapes
        ]
        self.grad_sets = [
            [torch.randn(s, generator=gen).to(device) for s in shapes] for _ in range(2)
        ]
        self.opt = make_opt(self.params)
        self.calls = 0

    def step(self) -> None:
        for p, g in zip(self.params, self.grad_sets[self.calls % 2]):
            p.grad = g
        self.calls += 1
        self.opt.step()


def _time(torch, bench: _Bench, steps: int, device) -> float:
    """Seconds per step over ``steps`` steps (gradient swaps included; they are free)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        bench.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats",
        type=int,
        default=8,
        help="interleaved Adam/CG measurements per configuration",
    )
    parser.add_argument(
        "--steps", type=int, default=3, help="optimizer steps per measurement"
    )
    parser.add_argument(
        "--device", default="cpu", help="cpu, cuda or auto (default: cpu)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--models", default="dcgan,sngan_resnet")
    parser.add_argument("--rules", default="FR,PRP,HS,DY,HS_DY,FR_PRP,HZ")
    parser.add_argument(
        "--foreach",
        choices=("default", "both"),
        default="both",
        help="time CG with foreach=None only, or also forced foreach=True",
    )
    args = parser.parse_args(argv)
    try:
        if args.repeats < 1 or args.steps < 1:
            raise ValueError(
                f"Invalid repeats/steps: {args.repeats}/{args.steps} (allowed: >= 1)"
            )
        import torch

        from cggan.optim import BETA_RULES, ConjugateGradient
        from cggan.runtime import get_device

        device = get_device(args.device)
        rules = args.rules.split(",")
        for rule in rules:
            if rule not in BETA_RULES:
                raise ValueError(
                    f"Invalid rule: {rule!r} (allowed: {', '.join(BETA_RULES)})"
                )
        models = args.models.split(",")
        for model in models:
            if model not in ("dcgan", "sngan_resnet"):
                raise ValueError(
                    f"Invalid model: {model!r} (allowed: dcgan, sngan_resnet)"
                )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    foreach_options = [None] if args.foreach == "default" else [None, True]
    print(
        f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
        f"repeats {args.repeats} x {args.steps} steps"
    )
    header = (
        f"{'model':<13}{'rule':<8}{'scope':<8}{'foreach':<9}"
        f"{'CG ms':>9}{'Adam ms':>9}{'CG/Adam':>9}"
    )
    tensor_ratios: list[float] = []
    started = time.perf_counter()
    for model in models:
        shapes, source = _shapes(model)
        numel = sum(torch.Size(s).numel() for s in shapes)
        print(
            f"\n{model} generator: {len(shapes)} tensors, {numel:,} parameters ({source})"
        )
        print(header)
        adam = _Bench(
            torch,
            shapes,
            device,
            lambda ps: torch.optim.Adam(ps, lr=1e-4, betas=(0.5, 0.999), foreach=True),
        )
        for rule in rules:
            for scope in ("tensor", "player"):
                for foreach in foreach_options:
                    cg = _Bench(
                        torch,
                        shapes,
                        device,
                        lambda ps, rule=rule, scope=scope, foreach=foreach: (
                            ConjugateGradient(
                                ps,
                                lr=1e-4,
                                beta_rule=rule,
                                scope=scope,
                                foreach=foreach,
                            )
                        ),
                    )
                    for bench in (adam, cg, adam, cg):  # warm-up: allocations, state
                        bench.step()
                    cg_times, adam_times, ratios = [], [], []
                    for _ in range(args.repeats):
                        adam_t = _time(torch, adam, args.steps, device)
                        cg_t = _time(torch, cg, args.steps, device)
                        adam_times.append(adam_t)
                        cg_times.append(cg_t)
                        ratios.append(cg_t / adam_t)
                    ratio = statistics.median(ratios)
                    label = "None" if foreach is None else "True"
                    print(
                        f"{model:<13}{rule:<8}{scope:<8}{label:<9}"
                        f"{1e3 * statistics.median(cg_times):>9.2f}"
                        f"{1e3 * statistics.median(adam_times):>9.2f}{ratio:>9.2f}"
                    )
                    if scope == "tensor" and foreach is None:
                        tensor_ratios.append(ratio)
                    del cg
    worst = max(tensor_ratios)
    verdict = "met" if worst <= 1.0 else "NOT met"
    print(
        f"\ntarget CG/Adam <= 1.0 for scope='tensor' (default foreach): {verdict} "
        f"(worst ratio {worst:.2f}, median {statistics.median(tensor_ratios):.2f})"
    )
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
