"""The optimizers of every trainable method on CUDA against the CPU, same inputs.

Marked ``cuda`` (``pytest -m cuda``; benchmarks/gpu_check.py runs them): skipped
without a CUDA device. Each optimizer is built as :func:`cggan.methods.build_method`
builds it (the registry's fixed and default arguments), fed the same parameters and the
same gradient sequence on both devices, and compared after every step: parameters and
every state tensor. CG's default on CUDA is its multi-tensor (foreach) path, so this
also checks that path against the CPU's for-loop on the device where it runs.
"""

from __future__ import annotations

import pytest
import torch

from cggan.methods import METHODS
from cggan.optim import ConjugateGradient
from cggan.optim.base import resolve_foreach

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]

#: One entry per optimizer configuration of a trainable method (toy-only and the
#: scheme-only duplicates of SGD share SGD's optimizer).
OPTIMIZER_METHODS = sorted(
    name
    for name, spec in METHODS.items()
    if not spec.toy_only and name not in ("pm", "co")
)
SHAPES = [(16, 8), (16,), (4, 16, 3, 3), (4,), (1, 4)]
STEPS = 6


def _build(name: str, params, **extra):
    spec = METHODS[name]
    kwargs = {**spec.optimizer_fixed, **spec.optimizer_defaults, **extra}
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    return spec.optimizer_class()(params, lr=0.01, **kwargs)


def _grads(step: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(1000 + step)
    return [torch.randn(s, generator=gen, dtype=torch.float64).float() for s in SHAPES]


def _run(name: str, device: str, **extra):
    gen = torch.Generator().manual_seed(0)
    params = [
        torch.randn(s, generator=gen).to(device).requires_grad_(True) for s in SHAPES
    ]
    opt = _build(name, params, **extra)
    history = []
    for step in range(STEPS):
        for p, g in zip(params, _grads(step)):
            p.grad = g.to(device)
        opt.step()
        history.append([p.detach().cpu().clone() for p in params])
    return params, opt, history


def _close(a: torch.Tensor, b: torch.Tensor) -> None:
    torch.testing.assert_close(
        a.detach().cpu().to(b.dtype), b.detach().cpu(), rtol=2e-5, atol=1e-6
    )


@pytest.mark.parametrize("name", OPTIMIZER_METHODS)
def test_cuda_step_equals_cpu_step(name):
    p_cpu, o_cpu, h_cpu = _run(name, "cpu")
    p_gpu, o_gpu, h_gpu = _run(name, "cuda")
    for a_list, b_list in zip(h_gpu, h_cpu):
        for a, b in zip(a_list, b_list):
            _close(a, b)
    for a, b in zip(p_gpu, p_cpu):
        s_gpu, s_cpu = o_gpu.state[a], o_cpu.state[b]
        assert s_gpu.keys() == s_cpu.keys()
        for key, value in s_cpu.items():
            if isinstance(value, torch.Tensor):
                _close(s_gpu[key], value)


@pytest.mark.parametrize("scope", ["tensor", "player"])
@pytest.mark.parametrize("rule", ["FR", "PRP", "HS", "DY", "HS_DY", "FR_PRP", "HZ"])
def test_cg_takes_the_foreach_path_on_cuda_and_does_not_sync(rule, scope):
    params = [torch.randn(s, device="cuda").requires_grad_(True) for s in SHAPES]
    assert resolve_foreach(None, params)
    opt = ConjugateGradient(params, lr=0.01, beta_rule=rule, scope=scope)
    called = {"n": 0}
    original = opt._multi_tensor_paper

    def counted(*args, **kwargs):
        called["n"] += 1
        return original(*args, **kwargs)

    opt._multi_tensor_paper = counted
    for step in range(4):
        for p, g in zip(params, _grads(step)):
            p.grad = g.cuda()
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")  # a host-device sync raises
        try:
            opt.step()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    assert called["n"] == 3  # every step after the first (plain SGD) step
