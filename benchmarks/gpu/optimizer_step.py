"""The optimizer step alone: CG (every rule) against fused and foreach Adam."""

from __future__ import annotations

from gpu.timing import median_times

CG_RULES = ("FR", "PRP", "HS", "DY", "HS_DY", "FR_PRP", "HZ")
#: Target of the issue: CG's step <= 1.5x Adam(fused=True) for every rule.
CG_STEP_TARGET = 1.5


def section_optimizer_step(sizes, device) -> dict:
    """CG's step (every rule; default path and for-loop) vs Adam fused / foreach on the
    SNGAN-ResNet generator's parameters, with two alternating random gradients."""
    import torch

    from cggan.models import build_models
    from cggan.optim import ConjugateGradient

    torch.manual_seed(0)
    kwargs = sizes["sngan_resnet"]
    generator, _ = build_models("sngan_resnet", image_size=32, channels=3, **kwargs)
    base = [p.detach().to(device) for p in generator.parameters()]
    gen = torch.Generator().manual_seed(1)
    grads = [
        [torch.randn(p.shape, generator=gen).to(device) for p in base] for _ in range(2)
    ]

    def timed(factory) -> dict:
        params = [p.clone().requires_grad_(True) for p in base]
        opt = factory(params)
        state = {"i": 0}

        def step():
            for p, g in zip(params, grads[state["i"] % 2]):
                p.grad = g
            state["i"] += 1
            opt.step()

        reps = sizes["step_repeats"]
        return median_times(step, reps, max(2, reps // 10), device)

    cuda = torch.device(device).type == "cuda"
    out = {
        "tensors": len(base),
        "parameters": sum(p.numel() for p in base),
        "adam_fused": timed(lambda ps: torch.optim.Adam(ps, lr=1e-4, fused=True)),
        "adam_foreach": timed(lambda ps: torch.optim.Adam(ps, lr=1e-4, foreach=True)),
        "cg": {},
    }
    for rule in CG_RULES:

        def cg(ps, rule=rule, **kw):
            return ConjugateGradient(ps, lr=1e-4, beta_rule=rule, **kw)

        row = {"default": timed(cg)}
        if cuda:  # the for-loop path, for reference (the default is foreach there)
            row["for_loop"] = timed(lambda ps, cg=cg: cg(ps, foreach=False))
        row["ratio_to_adam_fused"] = (
            row["default"]["median_s"] / out["adam_fused"]["median_s"]
        )
        out["cg"][rule] = row
    out["target"] = CG_STEP_TARGET
    out["target_met"] = all(
        r["ratio_to_adam_fused"] <= CG_STEP_TARGET for r in out["cg"].values()
    )
    return out
