"""Crash windows of the aggregation closed (issue 17, item 6): a study's tables and
plots are written as one set (cggan.io.atomic_file_set), a killed write leaves nothing
that survives the next run, and two runs give byte-identical files, PNGs included."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.results.fake_runs import build_configured_study, study_config

from cggan.io import atomic_file_set
from cggan.results import aggregate as agg
from cggan.results import output_files
from cggan.study.study import Study


def _files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def test_a_set_is_renamed_into_place_only_when_complete(tmp_path):
    out = tmp_path / "out"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "a.csv").write_text("old a\n")
    (out / "tables" / "b.csv").write_text("old b\n")
    with pytest.raises(RuntimeError), atomic_file_set(out) as staged:
        (staged.dir / "tables").mkdir()
        (staged.dir / "tables" / "a.csv").write_text("new a\n")
        raise RuntimeError("killed half-way")
    assert _files(out) == {"tables/a.csv": b"old a\n", "tables/b.csv": b"old b\n"}
    # what a kill -9 leaves: a staging directory and an atomic_open temporary
    (out / ".set.dead.tmp" / "tables").mkdir(parents=True)
    (out / ".set.dead.tmp" / "tables" / "a.csv").write_text("half")
    (out / "tables" / ".b.csv.dead.tmp").write_text("half")
    with atomic_file_set(out) as staged:
        (staged.dir / "tables").mkdir()
        (staged.dir / "tables" / "a.csv").write_text("new a\n")
        (staged.dir / "tables" / "b.csv").write_text("new b\n")
        assert staged.final(staged.dir / "tables" / "a.csv") == out / "tables" / "a.csv"
    assert _files(out) == {"tables/a.csv": b"new a\n", "tables/b.csv": b"new b\n"}


def _study(tmp_path: Path):
    """A configured fake study; returns aggregate(out_dir, **kw) over it."""
    results, config = tmp_path / "results", study_config()
    sel = build_configured_study(results, config)

    def run(out: Path, confidence: float | None = None, **kw):
        # a study's options are its config's: another confidence, another config
        chosen = json.loads(json.dumps(config))
        if confidence is not None:
            chosen["aggregate"]["confidence"] = confidence
        return agg.aggregate_study(Study(chosen, results=str(results)), sel, out, **kw)

    return run


def test_a_failing_aggregation_leaves_the_old_tables_whole(tmp_path, monkeypatch):
    aggregate = _study(tmp_path)
    out = tmp_path / "out"
    aggregate(out, plots=False, confidence=0.5)
    before = _files(out)
    (out / "tables" / ".seeds.csv.stray.tmp").write_text("left by a crash")

    def boom(*args, **kwargs):
        raise OSError("disk full while drawing")

    monkeypatch.setattr(output_files, "plot_sweep", boom)
    with pytest.raises(OSError):  # new tables (other intervals) staged, half the plots
        aggregate(out)
    after = _files(out)
    assert after.pop("tables/.seeds.csv.stray.tmp") == b"left by a crash"
    assert after == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.undo()
    aggregate(out, plots=False, confidence=0.5)
    assert _files(out) == before  # the stray temporary is gone


def test_two_aggregations_draw_byte_identical_pngs(tmp_path):
    aggregate = _study(tmp_path)
    np.random.seed(123)
    state = np.random.get_state()
    first = aggregate(tmp_path / "one")
    # the jitter is seeded locally: the caller's global RNG state is left as it was
    assert all(
        np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
        for a, b in zip(np.random.get_state(), state, strict=True)
    )
    np.random.seed(7)  # another global state must not change a byte
    aggregate(tmp_path / "two")
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    pngs = [name for name in one if name.endswith(".png")]
    assert any(name.startswith("plots/sweep_") for name in pngs)
    assert one == two
    assert all(b"Matplotlib" not in one[name] for name in pngs)
    assert {Path(p) for p in first.paths} == {tmp_path / "one" / n for n in one}
