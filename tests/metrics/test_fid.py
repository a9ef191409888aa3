"""Tests for cggan.metrics.fid: distance, statistics files, quantization, evaluator."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms.functional import to_tensor
from torchvision.utils import save_image

from cggan.metrics import features as feat
from cggan.metrics import fid

torch.set_num_threads(1)


# ----------------------------------------------------------------------- distance


def test_equal_covariances_give_squared_mean_distance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(6, 6))
    sigma = a @ a.T + np.eye(6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    value, status = fid.frechet_distance(mu1, sigma, mu2, sigma)
    assert status == "ok"
    assert value == pytest.approx(float(np.sum((mu1 - mu2) ** 2)), rel=1e-6, abs=1e-8)


def test_identical_statistics_give_zero():
    rng = np.random.default_rng(1)
    mu, sigma = fid.compute_statistics(rng.normal(size=(50, 5)))
    value, status = fid.frechet_distance(mu, sigma, mu, sigma)
    assert status == "ok" and abs(value) < 1e-8


def test_diagonal_covariances_by_hand():
    # FID of N(0, diag(1,4)) and N(0, diag(4,1)): tr = 5 + 5 - 2(2 + 2) = 2.
    value, status = fid.frechet_distance(
        np.zeros(2), np.diag([1.0, 4.0]), np.zeros(2), np.diag([4.0, 1.0])
    )
    # a 2x2 diagonal problem: LAPACK's eigenvalues are exact to ~1e-15 on any build;
    # 1e-6 leaves nine orders of magnitude for other BLAS/CPUs, and a wrong formula is
    # off by O(1)
    assert status == "ok" and value == pytest.approx(2.0, rel=1e-6)


def test_nonfinite_and_complex_are_reported_not_numbers():
    eye = np.eye(2)
    value, status = fid.frechet_distance(np.array([np.nan, 0.0]), eye, np.zeros(2), eye)
    assert math.isnan(value) and status == "nonfinite"
    # A "covariance" with a negative eigenvalue makes sqrtm complex; pytorch-fid raises
    # "Imaginary component", which must come back as a status.
    bad = np.diag([1.0, -4.0])
    value, status = fid.frechet_distance(np.zeros(2), eye, np.zeros(2), bad)
    assert math.isnan(value) and status == "complex"


def test_compute_statistics_matches_numpy():
    x = np.random.default_rng(2).normal(size=(20, 3))
    mu, sigma = fid.compute_statistics(x)
    np.testing.assert_allclose(mu, x.mean(0))
    np.testing.assert_allclose(sigma, np.cov(x.T))
    with pytest.raises(ValueError, match="Invalid features"):
        fid.compute_statistics(x[:1])


# ----------------------------------------------------------------------- quantization


def test_quantization_equals_png_round_trip(tmp_path):
    torch.manual_seed(0)
    x = torch.rand(6, 3, 8, 8) * 2.2 - 1.1  # includes values outside [-1, 1]: clamped
    x[0, 0, 0, :4] = torch.tensor([-1.0, 1.0, 0.0, 1 / 255 - 1])
    q = fid.quantize_png8(x)
    for i in range(len(x)):
        path = tmp_path / f"{i}.png"
        save_image((x[i] + 1) / 2, path)
        back = to_tensor(Image.open(path).convert("RGB"))
        assert torch.equal(q[i], back), i


def test_quantization_grey_png(tmp_path):
    x = torch.linspace(-1, 1, 64).reshape(1, 1, 8, 8)
    save_image((x[0] + 1) / 2, tmp_path / "g.png")
    back = to_tensor(Image.open(tmp_path / "g.png").convert("RGB"))
    assert torch.equal(fid.quantize_png8(x)[0].expand(3, 8, 8), back)


# ----------------------------------------------------------------------- files


def _protocol(n=100, sha="ab" * 32):
    return fid.reference_protocol(
        dataset="digits",
        split="train",
        n=n,
        image_size=16,
        channels=1,
        extractor={
            "name": "classifier",
            "dims": 3,
            "weights_sha256": sha,
            "input": "x",
        },
    )


def test_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    mu, sigma, kid = rng.normal(size=3), np.eye(3), rng.normal(size=(7, 3))
    path = tmp_path / "s.npz"
    fid.save_reference_stats(
        path, mu, sigma, _protocol(), kid_features=kid, extra={"acc": 0.99}
    )
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["npz_sha256"] == feat.sha256_file(path)
    ref = fid.load_reference_stats(path, expected_protocol=_protocol())
    np.testing.assert_array_equal(ref.mu, mu)
    np.testing.assert_array_equal(ref.sigma, sigma)
    np.testing.assert_array_equal(ref.kid_features, kid)
    assert ref.protocol == _protocol() and ref.extra == {"acc": 0.99}


def test_corrupted_and_truncated_npz_detected(tmp_path):
    path = tmp_path / "s.npz"
    fid.save_reference_stats(path, np.zeros(3), np.eye(3), _protocol())
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="s.npz.*corrupted or truncated"):
        fid.load_reference_stats(path)
    path.write_bytes(bytes(data[:100]))
    with pytest.raises(ValueError, match="corrupted or truncated"):
        fid.load_reference_stats(path)


def test_missing_json_is_an_error(tmp_path):
    path = tmp_path / "s.npz"
    fid.save_reference_stats(path, np.zeros(3), np.eye(3), _protocol())
    path.with_suffix(".json").unlink()
    with pytest.raises(FileNotFoundError, match="s.json"):
        fid.load_reference_stats(path)


def test_protocol_mismatch_names_the_key(tmp_path):
    path = tmp_path / "s.npz"
    fid.save_reference_stats(path, np.zeros(3), np.eye(3), _protocol(n=100))
    with pytest.raises(ValueError, match=r"key 'n' expected 500, found 100"):
        fid.load_reference_stats(path, expected_protocol=_protocol(n=500))
    with pytest.raises(
        ValueError, match=r"key 'extractor.weights_sha256' expected 'cdcd"
    ):
        fid.load_reference_stats(path, expected_protocol=_protocol(sha="cd" * 32))
    # A partial expectation checks only the keys it names.
    fid.load_reference_stats(
        path, expected_protocol={"dataset": "digits", "image_size": 16}
    )


def test_square_root_is_cached_and_tied_to_sigma(tmp_path):
    x = np.random.default_rng(4).normal(size=(50, 4))
    mu, sigma = fid.compute_statistics(x)
    path = tmp_path / "s.npz"
    fid.save_reference_stats(path, mu, sigma, _protocol())
    ref = fid.load_reference_stats(path)
    np.testing.assert_array_equal(ref.sqrt_sigma, fid.sqrt_psd(sigma))
    with np.load(path) as npz:
        assert str(npz["sqrt_sigma_of"]) == fid.sigma_sha256(sigma)


def _rewrite_npz(path, **arrays):
    """Replace the npz's arrays and re-record its sha256 (consistent but wrong)."""
    with np.load(path) as npz:
        data = {k: npz[k] for k in npz.files}
    data.update(arrays)
    data = {k: v for k, v in data.items() if v is not None}
    np.savez(path, **data)
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta["npz_sha256"] = feat.sha256_file(path)
    meta_path.write_text(json.dumps(meta))


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"sqrt_sigma": np.eye(2)}, r"shape \(2, 2\), sigma \(3, 3\)"),
        ({"sqrt_sigma_of": np.array("ab" * 32)}, "computed from a sigma"),
        ({"sqrt_sigma_of": None}, "computed from a sigma with sha256 None"),
    ],
)
def test_square_root_not_matching_sigma_is_refused(tmp_path, change, problem):
    path = tmp_path / "s.npz"
    fid.save_reference_stats(path, np.zeros(3), np.eye(3) * 2, _protocol(n=100))
    _rewrite_npz(path, **change)
    with pytest.raises(ValueError) as info:
        fid.load_reference_stats(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    assert re.search(problem, message), message
    assert "rebuild: python scripts/fid_stats.py --dataset digits" in message
    assert "--n 100" in message and f"--out {path}" in message


def test_file_without_square_root_loads_and_evaluates(tmp_path, reference, classifier):
    # Files written before R was cached: loaded as they are, R computed in memory.
    ref, real = reference
    old = tmp_path / "old.npz"
    fid.save_reference_stats(
        old, ref.mu, ref.sigma, ref.protocol, kid_features=ref.kid_features
    )
    _rewrite_npz(old, sqrt_sigma=None, sqrt_sigma_of=None)
    before = old.read_bytes()
    loaded = fid.load_reference_stats(old)
    assert loaded.sqrt_sigma is None
    args = dict(n_samples=50, batch_size=25, kid_subsets=5, kid_subset_size=50)
    got = fid.FIDEvaluator(loaded, classifier, **args)(_pool_sampler(real[:50]))
    want = fid.FIDEvaluator(ref, classifier, **args)(_pool_sampler(real[:50]))
    # the same root computed by the same function in this process (save vs load): only
    # rounding noise of a thread-parallel sqrtm is allowed; a missing or wrong root
    # changes FID by whole per cent
    assert got["fid"] == pytest.approx(want["fid"], rel=1e-8)
    assert old.read_bytes() == before  # never written back


def test_sigma_without_real_root_is_saved_without_it(tmp_path):
    path = tmp_path / "s.npz"
    with pytest.warns(RuntimeWarning, match="no cached square root"):
        fid.save_reference_stats(path, np.zeros(2), np.diag([1.0, -1.0]), _protocol())
    assert fid.load_reference_stats(path).sqrt_sigma is None


def test_rebuild_command_spells_the_protocol():
    command = fid.rebuild_command("results/fid_stats/x.npz", _protocol(n=7))
    assert command == (
        "python scripts/fid_stats.py --dataset digits --data-root results/data "
        "--image-size 16 --split train --extractor classifier --dims 3 --n 7 "
        "--seed 0 --out results/fid_stats/x.npz"
    )
    assert "--dataset DATASET" in fid.rebuild_command("x.npz", None)


def test_classifier_path():
    name = "digits16-train-classifier128-n1437.npz"
    assert fid.classifier_path_for(f"results/fid_stats/{name}").name == (
        "digits16-train-classifier128-n1437-classifier.pt"
    )


# ----------------------------------------------------------------------- evaluator


@pytest.fixture
def classifier(tmp_path):
    torch.manual_seed(0)
    model = feat.DigitClassifier(image_size=8, feature_dim=6, widths=(4, 8))
    path = tmp_path / "s-classifier.pt"
    feat.save_classifier(path, model)
    return feat.build_extractor("classifier", weights=path)


@pytest.fixture
def reference(tmp_path, classifier):
    torch.manual_seed(1)
    real = torch.rand(200, 1, 8, 8) * 2 - 1
    feats = feat.extract_features(classifier, real, 200, batch_size=64)
    mu, sigma = fid.compute_statistics(feats)
    proto = fid.reference_protocol(
        dataset="toy",
        split="train",
        n=200,
        image_size=8,
        channels=1,
        extractor=classifier,
    )
    path = tmp_path / "s.npz"
    fid.save_reference_stats(path, mu, sigma, proto, kid_features=feats[:150])
    return fid.load_reference_stats(path), real


def _pool_sampler(pool):
    state = {"i": 0}

    def sample_fn(b):
        out = pool[state["i"] : state["i"] + b]
        state["i"] += b
        return out

    return sample_fn


def test_evaluator_batch_size_independent(reference, classifier):
    ref, _ = reference
    torch.manual_seed(2)
    fakes = torch.tanh(torch.randn(120, 1, 8, 8))
    results = [
        fid.FIDEvaluator(
            ref, classifier, 120, batch_size=bs, kid_subsets=10, kid_subset_size=50
        )(_pool_sampler(fakes))
        for bs in (7, 50, 120)
    ]
    assert all(r["fid_status"] == "ok" for r in results)
    for r in results[1:]:
        assert r["fid"] == pytest.approx(results[0]["fid"], rel=1e-5)
        assert r["kid"] == pytest.approx(results[0]["kid"], rel=1e-5, abs=1e-9)


def test_evaluator_equals_direct_computation(reference, classifier):
    ref, real = reference
    fakes = real[:100] * 0.5  # same domain, different distribution
    out = fid.FIDEvaluator(
        ref, classifier, 100, batch_size=30, kid_subsets=5, kid_subset_size=50
    )(_pool_sampler(fakes))
    feats = classifier.features_from_unit(fid.quantize_png8(fakes))
    mu, sigma = fid.compute_statistics(feats)
    # The evaluator takes the fast path with the cached R; pytorch-fid's own path
    # (no R) agrees to the parity tolerance.
    assert ref.sqrt_sigma is not None
    fast, _ = fid.frechet_distance(
        ref.mu, ref.sigma, mu, sigma, sqrt_sigma1=ref.sqrt_sigma
    )
    slow, _ = fid.frechet_distance(mu, sigma, ref.mu, ref.sigma)
    # the evaluator extracts float32 features in batches of 30, this check in one
    # batch of 100: another BLAS may split the reductions differently (~1e-7 relative
    # in a feature), so the two FIDs agree to the parity tolerance, not to the digit
    assert out["fid"] == pytest.approx(fast, rel=1e-6) and out["fid"] > 0
    assert out["fid"] == pytest.approx(slow, rel=1e-6)
    assert set(out) == {
        "fid",
        "fid_status",
        "kid",
        "kid_std",
        "confident",
        "class_entropy",
    }
    # the classifier's numbers come from its head on the same features
    from cggan.metrics.classifier import sample_quality

    expected = sample_quality(classifier.class_probabilities(feats))
    assert out["confident"] == pytest.approx(expected["confident"])
    assert out["class_entropy"] == pytest.approx(expected["class_entropy"])


def test_sample_quality_by_hand():
    """confident: the share with a top probability >= 0.9; class_entropy: the entropy
    (bits) of the histogram of predicted classes."""
    import numpy as np

    from cggan.metrics.classifier import sample_quality

    p = np.array(
        [[0.95, 0.05, 0.0], [0.5, 0.5, 0.0], [0.0, 0.05, 0.95], [0.0, 0.1, 0.9]]
    )
    out = sample_quality(p)
    assert out["confident"] == pytest.approx(3 / 4)
    # predicted classes 0, 0, 2, 2: two classes equally often = 1 bit
    assert out["class_entropy"] == pytest.approx(1.0)
    assert sample_quality(np.eye(10))["class_entropy"] == pytest.approx(np.log2(10))
    assert math.isnan(sample_quality(np.full((2, 3), np.nan))["confident"])


def test_evaluator_real_vs_real_is_smaller_than_real_vs_noise(reference, classifier):
    ref, real = reference
    ev = fid.FIDEvaluator(
        ref, classifier, 100, batch_size=50, kid_subsets=10, kid_subset_size=100
    )
    same = ev(_pool_sampler(real[100:]))
    noise = ev(_pool_sampler(torch.sign(torch.randn(100, 1, 8, 8))))
    assert same["fid"] < noise["fid"] and same["kid"] < noise["kid"]


def test_evaluator_bad_inputs(reference, classifier, tmp_path):
    ref, _ = reference
    with pytest.raises(ValueError, match=r"n_samples: 500 .*has 200 images"):
        fid.FIDEvaluator(ref, classifier, 500)
    ev = fid.FIDEvaluator(ref, classifier, 10, batch_size=10)
    with pytest.raises(ValueError, match="expected 10×1×8×8"):
        ev(lambda b: torch.zeros(b, 3, 8, 8))
    with pytest.raises(ValueError, match=r"expected range \[-1, 1\]"):
        ev(lambda b: torch.full((b, 1, 8, 8), 3.0))
    out = ev(lambda b: torch.full((b, 1, 8, 8), float("nan")))
    assert (
        out["fid_status"] == "nonfinite"
        and math.isnan(out["fid"])
        and math.isnan(out["kid"])
    )
    # An extractor with other weights is refused, naming the key.
    torch.manual_seed(5)
    other_path = tmp_path / "other.pt"
    feat.save_classifier(
        other_path, feat.DigitClassifier(image_size=8, feature_dim=6, widths=(4, 8))
    )
    other = feat.build_extractor("classifier", weights=other_path)
    with pytest.raises(ValueError, match="extractor.weights_sha256"):
        fid.FIDEvaluator(ref, other, 10)


def test_from_stats_builds_the_classifier_beside_the_npz(reference):
    ref, real = reference
    ev = fid.FIDEvaluator.from_stats(
        ref.path,
        n_samples=50,
        batch_size=25,
        expected_protocol={"dataset": "toy", "image_size": 8},
    )
    assert ev(_pool_sampler(real[:50]))["fid_status"] == "ok"
    with pytest.raises(ValueError, match="key 'image_size' expected 16, found 8"):
        fid.FIDEvaluator.from_stats(
            ref.path, n_samples=50, expected_protocol={"image_size": 16}
        )
