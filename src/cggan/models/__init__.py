"""Model registry: ``build_models(name, ...) -> (G, D)``.

* ``dcgan``: the released code's DCGAN, 16/32/64 pixels (kwargs ``ngf=64``, ``ndf=64``,
  ``spectral_norm=False``); z_dim default 100.
* ``sngan_resnet``: Miyato et al.'s 32×32 ResNet with a spectral-norm D (kwargs
  ``g_ch=256``, ``d_ch=128``); z_dim default 128.
* ``mlp``: MLPs for the 2-D mixtures (kwargs ``data_dim=2``, ``hidden=128``,
  ``depth=3``); z_dim default 16; ``image_size`` and ``channels`` are not used.

Every G has a ``z_dim`` attribute and maps N×z_dim noise to N×C×H×W images in [-1, 1]
(tanh) or N×data_dim points; every D returns raw logits of shape (N,).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from cggan.registry import DCGAN, MLP, MODEL_KWARGS, SNGAN_RESNET

__all__ = ["DEFAULT_Z_DIM", "MODELS", "build_models"]

DEFAULT_Z_DIM = {DCGAN: 100, SNGAN_RESNET: 128, MLP: 16}


def _check_kwargs(name: str, kwargs: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(
            f"Invalid model argument for {name}: {', '.join(unknown)} "
            f"(allowed: {', '.join(allowed)})"
        )


def _require(name: str, image_size: int | None, channels: int | None) -> None:
    if image_size is None or channels is None:
        raise ValueError(
            f"Invalid arguments for {name}: image_size and channels are required"
        )
    if channels < 1:
        raise ValueError(f"Invalid channels: {channels} (must be >= 1)")


def _build_dcgan(image_size, channels, z_dim, **kwargs):
    from cggan.models.dcgan import DCGANDiscriminator, DCGANGenerator

    _check_kwargs(DCGAN, kwargs, MODEL_KWARGS[DCGAN])
    _require(DCGAN, image_size, channels)
    g = DCGANGenerator(image_size, channels, z_dim, ngf=kwargs.get("ngf", 64))
    d = DCGANDiscriminator(
        image_size,
        channels,
        ndf=kwargs.get("ndf", 64),
        spectral_norm=bool(kwargs.get("spectral_norm", False)),
    )
    return g, d


def _build_sngan(image_size, channels, z_dim, **kwargs):
    from cggan.models.sngan_resnet import (
        SNGANDiscriminator,
        SNGANGenerator,
        check_image_size,
    )

    _check_kwargs(SNGAN_RESNET, kwargs, MODEL_KWARGS[SNGAN_RESNET])
    _require(SNGAN_RESNET, image_size, channels)
    check_image_size(image_size)
    g = SNGANGenerator(image_size, channels, z_dim, ch=kwargs.get("g_ch", 256))
    d = SNGANDiscriminator(image_size, channels, ch=kwargs.get("d_ch", 128))
    return g, d


def _build_mlp(image_size, channels, z_dim, **kwargs):
    from cggan.models.mlp import MLPDiscriminator, MLPGenerator

    _check_kwargs(MLP, kwargs, MODEL_KWARGS[MLP])
    data_dim = kwargs.get("data_dim", 2)
    hidden = kwargs.get("hidden", 128)
    depth = kwargs.get("depth", 3)
    return (
        MLPGenerator(z_dim, data_dim, hidden, depth),
        MLPDiscriminator(data_dim, hidden, depth),
    )


MODELS: dict[str, Callable[..., tuple[nn.Module, nn.Module]]] = {
    DCGAN: _build_dcgan,
    SNGAN_RESNET: _build_sngan,
    MLP: _build_mlp,
}


def build_models(
    name: str,
    *,
    image_size: int | None = None,
    channels: int | None = None,
    z_dim: int | None = None,
    **kwargs,
) -> tuple[nn.Module, nn.Module]:
    """Build a generator and discriminator pair.

    Args:
        name: one of ``MODELS``.
        image_size: image height = width (dcgan: 16/32/64;
            sngan_resnet: 32; mlp: unused).
        channels: image channels (unused by mlp).
        z_dim: noise dimension; None for the model's default (``DEFAULT_Z_DIM``).
        **kwargs: model-specific options (see module docstring).

    Returns:
        (G, D), freshly initialized from the current torch RNG state.

    Raises:
        ValueError: unknown model, unsupported image size, unknown or bad kwargs.
    """
    if name not in MODELS:
        raise ValueError(f"Invalid model: {name!r} (allowed: {', '.join(MODELS)})")
    if z_dim is None:
        z_dim = DEFAULT_Z_DIM[name]
    if z_dim < 1:
        raise ValueError(f"Invalid z_dim: {z_dim} (must be >= 1)")
    return MODELS[name](image_size, channels, z_dim, **kwargs)
