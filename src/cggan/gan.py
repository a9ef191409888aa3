"""GAN losses on discriminator logits and the GAN as a two-player
:class:`~cggan.games.Game`.

The losses take raw logits (the discriminators of :mod:`cggan.models` have no Sigmoid)
and are written with ``softplus`` / ``binary_cross_entropy_with_logits``, which is the
released code's ``Sigmoid`` + ``BCELoss`` without its overflow for large logits:
``BCE(l, 1) = -log σ(l) = softplus(-l)`` and
``BCE(l, 0) = -log(1 - σ(l)) = softplus(l)``.

Losses (``r`` = D(x) on real data, ``f`` = D(G(z)) on generated data,
means over the batch):

* ``"bce"`` (the CG paper's code, main.py): L_D = ½[BCE(r, 1) + BCE(f, 0)],
  L_G = BCE(f, 1) (non-saturating generator loss).
* ``"nonsaturating"`` (Goodfellow et al. 2014, without the ½):
  L_D = -log σ(r) - log(1 - σ(f)), L_G = -log σ(f).
* ``"hinge"`` (Lim & Ye 2017; Miyato et al. 2018): L_D = relu(1 - r) + relu(1 + f),
  L_G = -f.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cggan.games import Game
from cggan.registry import BCE, DEFAULT_LOSS, HINGE, LOSSES

__all__ = ["GANGame", "discriminator_loss", "generator_loss"]


def _check_loss(name: str) -> None:
    if name not in LOSSES:
        raise ValueError(f"Invalid loss: {name!r} (allowed: {', '.join(LOSSES)})")


def discriminator_loss(
    name: str, real_logits: torch.Tensor, fake_logits: torch.Tensor
) -> torch.Tensor:
    """The discriminator's loss (D minimizes it).

    Args:
        name: one of :data:`cggan.registry.LOSSES`.
        real_logits: D(x) on a real batch, shape (N,).
        fake_logits: D(G(z)) on a generated batch, shape (M,).

    Returns:
        A scalar tensor.
    """
    _check_loss(name)
    if name == HINGE:
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()
    real_term = F.binary_cross_entropy_with_logits(
        real_logits, torch.ones_like(real_logits)
    )
    fake_term = F.binary_cross_entropy_with_logits(
        fake_logits, torch.zeros_like(fake_logits)
    )
    if name == BCE:
        return 0.5 * (real_term + fake_term)
    return real_term + fake_term


def generator_loss(name: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator's loss (G minimizes it); non-saturating for ``bce``
    and ``nonsaturating``.

    Args:
        name: one of :data:`cggan.registry.LOSSES`.
        fake_logits: D(G(z)) on a generated batch, shape (M,).

    Returns:
        A scalar tensor.
    """
    _check_loss(name)
    if name == HINGE:
        return -fake_logits.mean()
    return F.softplus(-fake_logits).mean()


class GANGame(Game):
    """A GAN as a two-player game: θ = G's parameters (minimize L_G),
    ω = D's (minimize L_D).

    The trainer calls :meth:`sample` once per iteration with a real batch and a noise
    batch; the D loss and the G loss of that iteration use the same ``z``, as the
    paper's code does. Both losses are evaluated at the *current* parameters: D is
    always run afresh, so the G step of the alternating scheme sees the
    discriminator after its update.

    The generator pass is shared between the two losses of one iteration, as in the
    paper's code (``fake = netG(noise)``; D on ``fake.detach()``; then G's step on
    ``netD(fake)``): :meth:`loss_d` runs G(z) with its graph and :meth:`loss_g` consumes
    that output if G's parameters have not changed since (checked with the tensors'
    version counters, which every in-place update bumps). Otherwise — a second
    :meth:`loss_g` call, an extrapolated or restored θ — G is run again. Reuse is exact:
    G in training mode normalizes with batch statistics, so G(z) does not depend on how
    often it ran; sharing the pass also updates BatchNorm's running statistics once per
    iteration, like the paper.

    Args:
        generator: G, maps N×z_dim noise to samples.
        discriminator: D, maps samples to logits of shape (N,).
        loss: one of :data:`cggan.registry.LOSSES`.
        detach_fake_for_d: D's loss sees ``G(z).detach()`` (the default), so it carries
            no gradient into G. Schemes that differentiate D's gradient with respect to
            θ (consensus optimization) need ``False``.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        loss: str = DEFAULT_LOSS,
        *,
        detach_fake_for_d: bool = True,
    ) -> None:
        _check_loss(loss)
        self.generator = generator
        self.discriminator = discriminator
        self.loss = loss
        self.detach_fake_for_d = detach_fake_for_d
        self.params_g = [p for p in generator.parameters() if p.requires_grad]
        self.params_d = [p for p in discriminator.parameters() if p.requires_grad]
        self._real: torch.Tensor | None = None
        self._z: torch.Tensor | None = None
        self._shared: tuple[tuple[int, ...], torch.Tensor] | None = None

    def sample(self, real_batch: torch.Tensor, z: torch.Tensor) -> None:
        """Set the real batch and the noise used by the next :meth:`loss_d`
        / :meth:`loss_g`."""
        self._real = real_batch
        self._z = z
        self._shared = None

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self._real is None or self._z is None:
            raise RuntimeError(
                "GANGame.sample(real_batch, z) must be called before a loss"
            )
        return self._real, self._z

    def _versions(self) -> tuple[int, ...]:
        return tuple(p._version for p in self.params_g)

    def loss_d(self) -> torch.Tensor:
        """D's loss on the current batch at the current parameters."""
        real, z = self._batch()
        fake = self.generator(z)
        if torch.is_grad_enabled() and fake.requires_grad:
            self._shared = (self._versions(), fake)  # handed to the next loss_g
        if self.detach_fake_for_d:
            fake = fake.detach()
        # Real and fake go through D separately, as in the released code (BatchNorm in D
        # then normalizes each batch on its own).
        return discriminator_loss(
            self.loss, self.discriminator(real), self.discriminator(fake)
        )

    def loss_g(self) -> torch.Tensor:
        """G's loss: D(G(z)) at the current parameters (G's pass shared with loss_d if θ
        is unchanged since, else run afresh)."""
        _, z = self._batch()
        shared, self._shared = (
            self._shared,
            None,
        )  # used at most once: its graph is freed
        if shared is not None and shared[0] == self._versions():
            fake = shared[1]
        else:
            fake = self.generator(z)
        return generator_loss(self.loss, self.discriminator(fake))
