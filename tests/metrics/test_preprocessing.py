"""The FID image preprocessing on the statistics side: the protocol key, its values and
the batched application to a whole split (``cggan.metrics.preprocessing``)."""

from __future__ import annotations

import pytest
import torch

from cggan.fid_protocol import FIDProtocol
from cggan.metrics import fid
from cggan.metrics.preprocessing import PREPROCESSORS, minmax_per_image, preprocess
from cggan.registry import PREPROCESSINGS


def _protocol(**kw):
    ext = {"name": "classifier", "dims": 128}
    return fid.reference_protocol(
        dataset="digits",
        split="train",
        n=7,
        image_size=16,
        channels=1,
        extractor=ext,
        **kw,
    )


def test_every_preprocessing_of_the_registry_has_its_function():
    assert tuple(PREPROCESSORS) == PREPROCESSINGS == ("fixed", "minmax")


def test_the_protocol_records_the_preprocessing_at_its_top_level():
    assert _protocol()["preprocessing"] == "fixed"
    assert _protocol(preprocessing="minmax")["preprocessing"] == "minmax"
    with pytest.raises(
        ValueError,
        match=r"^Invalid preprocessing: 'clip' "
        r"\(allowed: fixed, minmax\)$",
    ):
        _protocol(preprocessing="clip")


def test_the_rebuild_command_and_the_file_name_name_minmax():
    protocol = FIDProtocol("digits", 16, "classifier", 128, 7, "train", "minmax")
    path = "results/fid_stats/" + protocol.stats_filename()
    assert path.endswith("-n7-minmax.npz")
    command = fid.rebuild_command(path, _protocol(preprocessing="minmax"))
    assert command.endswith(f" --preprocessing minmax --out {path}")
    assert "--preprocessing" not in fid.rebuild_command(path, _protocol())


def test_preprocess_in_batches_equals_all_at_once():
    x = torch.rand(7, 3, 8, 8, generator=torch.Generator().manual_seed(0)) * 0.4
    assert torch.equal(preprocess("minmax", x, batch_size=3), minmax_per_image(x))
    assert preprocess("fixed", x) is x
    with pytest.raises(ValueError, match=r"^Invalid preprocessing: 'clip' "):
        preprocess("clip", x)
