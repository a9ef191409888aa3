"""Grid extension (cggan.study.grid_extension): edges, one step past them, never
inside."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cggan.study.grid_extension import (
    edges,
    extend,
    extension_settings,
    read_extension,
    round_lr,
)
from cggan.study.layout import Setting, StudyPaths
from cggan.study.study import Study

from .builders import make_config


def product(lr_d, lr_g, **kwargs):
    return [Setting(d, g, kwargs) for d in lr_d for g in lr_g]


def paired(lrs, **kwargs):
    return [Setting(v, v, kwargs) for v in lrs]


def best_of(settings, optimum_d, optimum_g):
    """The setting nearest (in log space) to a bowl's optimum: the sweep's winner."""
    return min(
        settings,
        key=lambda s: (
            math.log(s.lr_d / optimum_d) ** 2 + math.log(s.lr_g / optimum_g) ** 2
        ),
    )


def test_round_lr_names_a_stepped_value_as_written():
    assert round_lr(0.02 * 0.02 / 0.008) == 0.05
    assert round_lr(1e-3 * 1e-3 / 2e-3) == 5e-4


def test_inside_a_product_grid_is_no_edge_and_adds_nothing():
    grid = product([1e-3, 1e-2, 1e-1], [1e-3, 1e-2, 1e-1])
    chosen = Setting(1e-2, 1e-2)
    assert edges(grid, chosen, "product") == []
    assert extend(grid, chosen, "product") == []


def test_top_corner_of_a_product_grid_adds_a_row_a_column_and_the_corner():
    grid = product([1e-3, 1e-2], [1e-3, 1e-2])
    chosen = Setting(1e-2, 1e-2)
    assert edges(grid, chosen, "product") == ["lr_d max", "lr_g max"]
    added = {(s.lr_d, s.lr_g) for s in extend(grid, chosen, "product")}
    assert added == {(0.1, 1e-3), (0.1, 1e-2), (0.1, 0.1), (1e-3, 0.1), (1e-2, 0.1)}


def test_lower_edge_of_one_axis_steps_down_at_that_ends_ratio():
    grid = product([1e-3, 4e-3, 1e-2], [1e-3, 1e-2, 1e-1])
    chosen = Setting(1e-3, 1e-2)
    assert edges(grid, chosen, "product") == ["lr_d min"]
    added = extend(grid, chosen, "product")
    assert {(s.lr_d, s.lr_g) for s in added} == {(2.5e-4, g) for g in (1e-3, 1e-2, 0.1)}


def test_a_single_value_axis_is_an_edge_that_cannot_be_stepped():
    grid = product([1e-3], [1e-3, 1e-2, 1e-1])
    chosen = Setting(1e-3, 1e-2)
    assert edges(grid, chosen, "product") == ["lr_d max", "lr_d min"]
    assert extend(grid, chosen, "product") == []


def test_paired_grid_extends_along_its_line_keeping_hyperparameters():
    grid = paired([1e-3, 3e-3, 1e-2], momentum=0.9)
    chosen = Setting(1e-2, 1e-2, {"momentum": 0.9})
    assert edges(grid, chosen, "paired") == ["line max"]
    (added,) = extend(grid, chosen, "paired")
    assert (added.lr_d, added.lr_g) == (round_lr(1e-2 * 1e-2 / 3e-3),) * 2
    assert added.method_kwargs == {"momentum": 0.9}
    low = extend(grid, Setting(1e-3, 1e-3, {"momentum": 0.9}), "paired")
    assert [(s.lr_d, s.lr_g) for s in low] == [(round_lr(1e-3 / 3),) * 2]
    assert extend(grid, Setting(3e-3, 3e-3, {"momentum": 0.9}), "paired") == []


@pytest.mark.parametrize("shape", ["product", "paired"])
@pytest.mark.parametrize("optimum", [3e-5, 2e-3, 0.8])
def test_repeated_rounds_bracket_a_bowls_optimum_then_stop(shape, optimum):
    """A grid cut off below or above the optimum of a bowl-shaped landscape grows one
    step a round until the winner is inside; one that brackets it never grows."""
    lrs = [1e-4, 1e-3, 1e-2, 1e-1]
    grid = product(lrs, lrs) if shape == "product" else paired(lrs)
    inside = lrs[0] < optimum < lrs[-1]
    for _ in range(6):
        chosen = best_of(grid, optimum, optimum)
        new = extend(grid, chosen, shape)
        if not new:
            break
        assert not inside, "a bracketed grid must not extend"
        assert not {s.id for s in new} & {s.id for s in grid}
        grid += new
    chosen = best_of(grid, optimum, optimum)
    assert edges(grid, chosen, shape) == []
    assert min(s.lr_d for s in grid) < optimum < max(s.lr_d for s in grid)


def test_read_extension_refuses_an_edited_entry(tmp_path):
    good = {
        "method": "sgd",
        "lr_rule": "constant",
        "lr_d": 0.1,
        "lr_g": 0.1,
        "method_kwargs": {},
    }
    path = tmp_path / "extension1.json"
    path.write_text(json.dumps({"added": [good]}))
    assert read_extension(path) == [good]
    path.write_text(json.dumps({"added": [{**good, "lr_d": -1}]}))
    with pytest.raises(ValueError, match="invalid grid extension entry"):
        read_extension(path)
    path.write_text("{")
    with pytest.raises(ValueError, match="unreadable grid extension"):
        read_extension(path)


# --- the rounds on disk -------------------------------------------------------
def _write_round(paths, exp, round_, *items):
    path = Path(paths.extension(exp, round_))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"added": list(items)}))


def _item(method, lr_d, lr_g, rule="constant", **kwargs):
    return {
        "method": method,
        "lr_rule": rule,
        "lr_d": lr_d,
        "lr_g": lr_g,
        "method_kwargs": kwargs,
    }


def test_extension_settings_reads_the_rounds_in_order_up_to_the_first_missing(tmp_path):
    paths = StudyPaths("t", str(tmp_path / "results"))
    assert extension_settings(paths, "digits", 3) == {}  # no round run yet
    _write_round(paths, "digits", 1, _item("sgd", 0.1, 0.1), _item("sgd", 0.1, 1.0))
    _write_round(paths, "digits", 2, _item("momentum", 1.0, 1.0, momentum=0.9))
    _write_round(paths, "digits", 4, _item("adam", 1.0, 1.0))  # after a gap: not read
    _write_round(paths, "ring8", 1, _item("adam", 5.0, 5.0))  # another experiment
    added = extension_settings(paths, "digits", 4)
    momentum = Setting(1.0, 1.0, {"momentum": 0.9})
    assert added == {
        ("sgd", "constant"): {
            Setting(0.1, 0.1).id: (1, Setting(0.1, 0.1)),
            Setting(0.1, 1.0).id: (1, Setting(0.1, 1.0)),
        },
        ("momentum", "constant"): {momentum.id: (2, momentum)},
    }
    assert list(extension_settings(paths, "digits", 1)) == [("sgd", "constant")]
    assert extension_settings(paths, "digits", 0) == {}
    _write_round(paths, "digits", 1, {"method": "sgd"})
    with pytest.raises(ValueError, match="invalid grid extension entry"):
        extension_settings(paths, "digits", 1)


def test_a_study_s_grid_takes_the_rounds_on_disk_up_to_its_configured_limit(tmp_path):
    config = make_config()
    config["selection"] = {**config["selection"], "max_grid_extensions": 1}
    study = Study(config, results=str(tmp_path / "results"))
    configured = study.settings("digits", "sgd", "constant")
    new, later = Setting(0.5, 0.5), Setting(5.0, 5.0)
    _write_round(study.paths, "digits", 1, _item("sgd", 0.5, 0.5))
    _write_round(study.paths, "digits", 2, _item("sgd", 5.0, 5.0))  # beyond the limit
    grid = study.settings("digits", "sgd", "constant")
    assert grid == {**configured, new.id: new}
    assert study.settings("digits", "sgd", "constant", rounds=0) == configured
    assert study.has_setting("digits", "sgd", "constant", new.id)
    assert not study.has_setting("digits", "sgd", "constant", later.id)
    assert study.setting_round("digits", "sgd", "constant", new.id) == 1
    assert study.setting_round("digits", "sgd", "constant", next(iter(configured))) == 0
    assert study.setting_round("digits", "sgd", "constant", later.id) == -1
