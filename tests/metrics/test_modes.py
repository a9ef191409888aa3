"""Tests for cggan.metrics.modes (hand-built samples)."""

import numpy as np
import pytest

from cggan.metrics.modes import mode_coverage

MEANS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
STD = 0.01


def test_all_modes_all_high_quality():
    samples = np.repeat(MEANS, 25, axis=0) + 0.5 * STD
    assert mode_coverage(samples, MEANS, STD) == {"modes": 4, "high_quality": 1.0}


def test_far_samples_are_low_quality_and_do_not_capture():
    good = np.repeat(MEANS[:2], 40, axis=0)  # 80 samples on modes 0 and 1
    far = np.full((20, 2), 0.5)  # 0.5·√2 from every mode: > 3σ
    res = mode_coverage(np.vstack([good, far]), MEANS, STD)
    assert res == {"modes": 2, "high_quality": 0.8}


def test_threshold_is_three_sigma_by_default():
    just_in = np.array([[2.9 * STD, 0.0]] * 10)
    just_out = np.array([[3.1 * STD, 0.0]] * 10)
    assert mode_coverage(just_in, MEANS, STD)["high_quality"] == 1.0
    assert mode_coverage(just_out, MEANS, STD)["high_quality"] == 0.0
    assert (
        mode_coverage(just_out, MEANS, STD, threshold_sigmas=4)["high_quality"] == 1.0
    )


def test_pacgan_share_rule_and_veegan_rule():
    # 100 samples, K=4: PacGAN needs 0.2·100/4 = 5 samples; mode 3 gets only 4.
    samples = np.vstack(
        [np.repeat(MEANS[:3], 32, axis=0), np.repeat(MEANS[3:], 4, axis=0)]
    )
    assert mode_coverage(samples, MEANS, STD)["modes"] == 3
    # VEEGAN: one high-quality sample suffices.
    assert mode_coverage(samples, MEANS, STD, min_fraction=0.0)["modes"] == 4


def test_nonfinite_samples_are_low_quality_and_inputs_checked():
    samples = np.vstack([np.repeat(MEANS, 5, axis=0), np.full((5, 2), np.nan)])
    assert mode_coverage(samples, MEANS, STD, min_fraction=0.0) == {
        "modes": 4,
        "high_quality": 0.8,
    }
    with pytest.raises(ValueError, match="Invalid samples"):
        mode_coverage(np.zeros((3, 3)), MEANS, STD)
    with pytest.raises(ValueError, match="Invalid std"):
        mode_coverage(np.zeros((3, 2)), MEANS, 0.0)
