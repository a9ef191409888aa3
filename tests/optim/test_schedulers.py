"""The optimizers as drop-in ``torch.optim.Optimizer``s under
``torch.optim.lr_scheduler``.

A scheduler sets ``param_groups[i]["lr"]``; each optimizer must use that value in the
very next step. Checked against the same optimizer whose lr is set by hand to the
scheduler's sequence: the parameters must be bitwise identical at every step.
"""

from __future__ import annotations

import io

import pytest
import torch

from cggan.optim import ConjugateGradient, Graft, NormalizedSGD, Optimistic

OPTIMIZERS = {
    "cg": lambda p: ConjugateGradient(p, lr=0.05, beta_rule="PRP"),
    "cg_player": lambda p: ConjugateGradient(p, lr=0.05, scope="player"),
    "nsgda": lambda p: NormalizedSGD(p, lr=0.05, momentum=0.5),
    "graft": lambda p: Graft(p, lr=0.05),
    "omd": lambda p: Optimistic(p, lr=0.05),
}
SCHEDULERS = {
    "step": lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    "lambda": lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda n: 1 / (n + 1)),
    "cosine": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6),
    "onecycle": lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.1, total_steps=10, cycle_momentum=False
    ),
}
STEPS = 8


def _problem():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)
    )
    x, y = torch.randn(32, 3), torch.randn(32, 1)
    return model, x, y


def _step(model, opt, x, y) -> float:
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


@pytest.mark.parametrize("sched_name", sorted(SCHEDULERS))
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_scheduler_drives_the_learning_rate(opt_name, sched_name):
    model, x, y = _problem()
    opt = OPTIMIZERS[opt_name](model.parameters())
    sched = SCHEDULERS[sched_name](opt)
    lrs, trajectory = [], []
    for _ in range(STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        _step(model, opt, x, y)
        sched.step()
        trajectory.append([p.detach().clone() for p in model.parameters()])
    assert len(set(lrs)) > 2  # the schedule did change the rate

    manual, x, y = _problem()
    opt_m = OPTIMIZERS[opt_name](manual.parameters())
    for lr, expected in zip(lrs, trajectory):
        for group in opt_m.param_groups:
            group["lr"] = lr
        _step(manual, opt_m, x, y)
        for p, q in zip(manual.parameters(), expected):
            assert torch.equal(p.detach(), q)


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_reduce_on_plateau_and_scheduler_state_round_trip(opt_name):
    model, x, y = _problem()
    opt = OPTIMIZERS[opt_name](model.parameters())
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    for _ in range(3):
        _step(model, opt, x, y)
        plateau.step(1.0)  # a constant metric: no improvement after the first
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05 * 0.5**2)

    # optimizer + scheduler state_dicts, saved and loaded, restore the schedule
    buffer = io.BytesIO()
    torch.save([model.state_dict(), opt.state_dict(), plateau.state_dict()], buffer)
    buffer.seek(0)
    saved_model, saved_opt, saved_plateau = torch.load(buffer, weights_only=True)
    model2, _, _ = _problem()
    opt2 = OPTIMIZERS[opt_name](model2.parameters())
    model2.load_state_dict(saved_model)
    opt2.load_state_dict(saved_opt)
    plateau2 = torch.optim.lr_scheduler.ReduceLROnPlateau(opt2, factor=0.5, patience=0)
    plateau2.load_state_dict(saved_plateau)
    plateau.step(1.0)
    plateau2.step(1.0)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    _step(model, opt, x, y)
    _step(model2, opt2, x, y)
    for p, q in zip(model.parameters(), model2.parameters()):
        assert torch.equal(p, q)
