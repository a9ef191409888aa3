"""The FID image preprocessing of generated images (``eval.preprocessing``): ``fixed``
(x + 1) / 2, or ``minmax``, each image stretched by its own min and max as torchvision's
``save_image(normalize=True)`` writes it; it must match the statistics' protocol."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch

from cggan.metrics.features import quantize_png8
from cggan.metrics.preprocessing import minmax_per_image
from cggan.train import run

from .conftest import digits_spec, read_rows, write_stats


def _images() -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(6, 1, 16, 16, generator=gen) * 2 - 1
    x[1] = x[1] * 0.01 + 0.3  # low contrast: stretched to the full range
    x[2] = 0.25  # constant: max - min = 0, divided by 1e-5
    x[3] = torch.tanh(x[3] * 3)
    x[4, 0, 0, 0] = -1.0
    return x


def _saved_one_by_one(x: torch.Tensor) -> torch.Tensor:
    """Each image through save_image(normalize=True) to a PNG and back (ToTensor)."""
    from PIL import Image
    from torchvision.utils import save_image

    out = []
    for image in x:
        buf = io.BytesIO()
        save_image(image, buf, format="png", normalize=True)
        with Image.open(io.BytesIO(buf.getvalue())) as png:
            data = np.asarray(png.convert("RGB"), dtype=np.uint8)
        channels = data[..., : x.shape[1]].copy()  # gray is saved as 3 equal channels
        out.append(torch.from_numpy(channels).permute(2, 0, 1))
    return torch.stack(out).float() / 255


@pytest.mark.parametrize("shape", [(1, 16, 16), (3, 8, 8)])
def test_minmax_equals_save_image_normalize_per_image(shape):
    x = _images() if shape[0] == 1 else torch.rand(3, *shape) * 0.5
    scored = quantize_png8(minmax_per_image(x))  # what the extractor receives
    assert torch.equal(scored, _saved_one_by_one(x))
    assert scored[1].min() == 0 and scored[1].max() == 1


def test_minmax_per_image_is_still_importable_from_train_evaluation():
    from cggan.train import evaluation

    assert evaluation.minmax_per_image is minmax_per_image


def test_minmax_leaves_non_finite_images_to_the_evaluator():
    x = _images()
    x[0, 0, 0, 0] = float("nan")
    assert minmax_per_image(x) is x


@pytest.fixture(scope="module")
def minmax_stats(data_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("minmax") / "digits16-minmax.npz"
    return write_stats(data_root, out, preprocessing="minmax")


def _spec(data_root, preprocessing):
    return digits_spec(
        data_root,
        iterations=2,
        eval={
            "metric": "fid",
            "every": 2,
            "n_samples": 64,
            "batch_size": 32,
            "preprocessing": preprocessing,
        },
    )


def test_minmax_run_against_minmax_statistics(
    tmp_path, data_root, fid_stats, minmax_stats
):
    summary = run(
        _spec(data_root, "minmax"), tmp_path / "minmax", fid_stats=minmax_stats
    )
    assert summary["status"] == "finished"
    assert summary["spec"]["eval"]["preprocessing"] == "minmax"
    fixed = run(_spec(data_root, "fixed"), tmp_path / "fixed", fid_stats=fid_stats)
    assert fixed["spec"]["eval"]["preprocessing"] == "fixed"
    a, b = read_rows(tmp_path / "minmax"), read_rows(tmp_path / "fixed")
    assert all(r["fid_status"] == "ok" for r in a)
    # same generator and noise, other images scored: other FIDs, same losses
    assert [r["fid"] for r in a] != [r["fid"] for r in b]
    assert [r["loss_g"] for r in a] == [r["loss_g"] for r in b]


def test_fixed_run_accepts_statistics_that_record_fixed(tmp_path, data_root):
    path = write_stats(data_root, tmp_path / "fixed.npz", preprocessing="fixed")
    protocol = json.loads(path.with_suffix(".json").read_text())["protocol"]
    assert protocol["preprocessing"] == "fixed"
    summary = run(_spec(data_root, "fixed"), tmp_path / "run", fid_stats=path)
    assert summary["status"] == "finished"


@pytest.mark.parametrize(
    ("preprocessing", "stats", "found"),
    [("minmax", "fid_stats", "fixed"), ("fixed", "minmax_stats", "minmax")],
)
def test_statistics_of_the_other_preprocessing_are_refused(
    request, tmp_path, data_root, preprocessing, stats, found
):
    path = request.getfixturevalue(stats)
    with pytest.raises(ValueError) as info:
        run(_spec(data_root, preprocessing), tmp_path / "run", fid_stats=path)
    assert str(info.value) == (
        f"Reference statistics protocol mismatch in {path.with_suffix('.json')}: key "
        f"'preprocessing' expected {preprocessing!r}, found {found!r}"
    )
    assert not (tmp_path / "run").exists()


def test_unknown_preprocessing_is_one_line(tmp_path, data_root, fid_stats):
    with pytest.raises(
        ValueError,
        match=r"^Invalid eval\.preprocessing: 'clip' "
        r"\(allowed: fixed, minmax\)$",
    ):
        run(_spec(data_root, "clip"), tmp_path / "run", fid_stats=fid_stats)
    assert not (tmp_path / "run").exists()
