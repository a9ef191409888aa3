"""build_models (cggan.models.__init__): names, defaults, bad input."""

from __future__ import annotations

import pytest
import torch

from cggan.models import MODELS, build_models

torch.set_num_threads(1)  # shared 2-core machine: keep tests single-threaded


def test_names_and_default_z_dims():
    assert set(MODELS) == {"dcgan", "sngan_resnet", "mlp"}
    assert (
        build_models("dcgan", image_size=16, channels=1, ngf=4, ndf=4)[0].z_dim == 100
    )
    assert build_models("mlp", image_size=None, channels=None)[0].z_dim == 16
    assert (
        build_models("dcgan", image_size=16, channels=1, z_dim=7, ngf=4, ndf=4)[0].z_dim
        == 7
    )


@pytest.mark.parametrize(
    ("name", "kwargs", "pattern"),
    [
        ("vae", {}, r"Invalid model: 'vae' \(allowed: dcgan, sngan_resnet, mlp\)"),
        (
            "dcgan",
            {"image_size": 32, "channels": 3, "nfg": 4},
            r"Invalid model argument for dcgan: nfg",
        ),
        ("dcgan", {"channels": 3}, r"image_size and channels are required"),
        ("dcgan", {"image_size": 32, "channels": 3, "z_dim": 0}, r"Invalid z_dim: 0"),
        (
            "sngan_resnet",
            {"image_size": 32, "channels": 3, "ngf": 4},
            r"Invalid model argument",
        ),
    ],
)
def test_bad_input(name, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        build_models(name, **kwargs)
