"""Calibration rows: the real floor and noise reference of every FID experiment."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from tests.results.fake_runs import build_configured_study, row, study_config

from cggan.results.aggregate import aggregate_study
from cggan.results.tables.calibration import (
    FLOOR,
    NOISE_REF,
    NOT_MEASURED,
    read_calibration,
)
from cggan.study import Study

CALIBRATION = {"real_floor": 27.25, "noise_reference": 5538.0, "n": 200,
               "real_split": "test"}  # fmt: skip


@pytest.fixture
def configured(tmp_path):
    """``(results_root, selection_dir, config, calibration_path)``."""
    results, config = tmp_path / "results", study_config()
    sel = build_configured_study(results, config)
    path = Path(Study(config, results=str(results)).calibration_path("digits"))
    return results, sel, config, path


def write(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))


def test_measured_calibration_is_a_table_and_rows_of_every_fid_table(
    configured, tmp_path
):
    results, sel, config, path = configured
    write(path, CALIBRATION)
    out = tmp_path / "out"
    result = aggregate_study(Study(config, results=str(results)), sel, out, plots=False)
    csv = pd.read_csv(out / "tables" / "calibration.csv")
    assert list(csv.columns) == [
        "experiment",
        "metric",
        "real_floor",
        "noise_reference",
        "n",
        "untrained",
        "classifier_accuracy",
    ]
    assert csv.iloc[0].tolist()[:5] == ["digits", "fid", 27.25, 5538.0, 200]
    # the untrained generators: the median of the confirmation runs at iteration 0
    curves = pd.read_csv(out / "plots" / "data" / "curves_digits.csv")
    start = curves.loc[curves["iteration"] == 0, "value"]
    assert csv.iloc[0]["untrained"] == pytest.approx(start.median(), rel=1e-5)
    md = (out / "tables" / "calibration.md").read_text()
    assert "| digits | FID | 27.25 (test split) | 5538.00 |" in md
    for name in ("paper_table.md", "seeds.md", "summary.md", "paper_table.tex"):
        text = (out / "tables" / name).read_text()
        assert FLOOR in text and NOISE_REF in text and "27.25" in text, name
    paper = (out / "tables" / "paper_table.md").read_text()
    assert f"| {FLOOR} | — | 27.25 | 27.25 | n=200 images |" in paper
    seeds = (out / "tables" / "seeds.md").read_text()
    assert f"| {NOISE_REF} | — | — | — | — | 5538.00 | — | n=200 images |" in seeds
    for table in (result.paper, result.seeds, result.summary):
        r = row(table, "digits", "sgd", "constant")
        assert (r["real_floor"], r["noise_reference"]) == (27.25, 5538.0)
    entry = json.loads((out / "metrics.json").read_text())["digits"]["sgd"]
    assert entry["constant"]["real_floor"] == 27.25


def test_a_missing_calibration_says_not_measured(configured, tmp_path):
    results, sel, config, path = configured
    out = tmp_path / "out"
    aggregate_study(Study(config, results=str(results)), sel, out, plots=False)
    assert not path.exists()
    csv = (out / "tables" / "calibration.csv").read_text()
    header = (
        "experiment,metric,real_floor,noise_reference,n,untrained,classifier_accuracy"
    )
    assert csv.startswith(header + "\ndigits,fid,,,,")
    for name in ("calibration.md", "paper_table.md", "seeds.md", "summary.md"):
        assert NOT_MEASURED in (out / "tables" / name).read_text(), name
    seeds = pd.read_csv(out / "tables" / "seeds.csv")
    assert seeds["real_floor"].isna().all()
    entry = json.loads((out / "metrics.json").read_text())["digits"]["sgd"]
    assert entry["constant"]["noise_reference"] is None


@pytest.mark.parametrize(
    "data, reason",
    [
        ("{not json", "unreadable calibration (Expecting"),
        ("[1, 2]", "unreadable calibration (not a JSON object)"),
        ({**CALIBRATION, "real_floor": -1.0}, "invalid calibration (real_floor=-1.0"),
        ({**CALIBRATION, "noise_reference": "high"}, "invalid calibration (noise_ref"),
        ({**CALIBRATION, "noise_reference": None}, "invalid calibration (noise_ref"),
        ({**CALIBRATION, "n": 0}, "invalid calibration (n=0; allowed: an integer"),
        ({**CALIBRATION, "n": True}, "invalid calibration (n=True"),
        ({"real_floor": 1.0, "noise_reference": 2.0}, "invalid calibration (n=None"),
    ],
)
def test_an_unreadable_calibration_stops_in_one_line_naming_it(
    configured, tmp_path, data, reason
):
    results, sel, config, path = configured
    write(path, data)
    with pytest.raises(ValueError) as info:
        aggregate_study(Study(config, results=str(results)), sel, tmp_path / "out")
    message = str(info.value)
    assert message.startswith(f"{path}: {reason}") and "\n" not in message
    assert not (tmp_path / "out").exists()


def test_read_calibration_of_absent_and_binary_files(tmp_path):
    assert read_calibration(tmp_path / "absent.json") is None
    path = tmp_path / "bad.json"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match=f"^{path}: unreadable calibration"):
        read_calibration(path)
    write(path, {**CALIBRATION, "real_split": 3})
    assert read_calibration(path)["real_split"] is None


def test_mode_experiments_have_no_calibration_rows(study):
    tables = study[2] / "tables"
    csv = pd.read_csv(tables / "calibration.csv")
    assert csv["experiment"].tolist() == ["digits"]  # FID only: not ring8
    seeds = tables.joinpath("seeds.md").read_text()
    assert FLOOR not in seeds.split("## ring8")[1]
    assert FLOOR in seeds.split("## ring8")[0]
