"""Publishing a study's outputs: tables, plots and metrics.json, never run
directories."""

from __future__ import annotations

import hashlib
import json

from cggan.provenance import provenance, publish_outputs


def test_publish_copies_outputs_but_not_runs(tmp_path):
    out = tmp_path / "results"
    (out / "tables").mkdir(parents=True)
    (out / "tables" / "claims.md").write_text("claims")
    (out / "plots" / "data").mkdir(parents=True)
    (out / "plots" / "data" / "curves_x.csv").write_text("a,b\n")
    (out / "runs" / "s").mkdir(parents=True)
    (out / "runs" / "s" / "summary.json").write_text("{}")
    (out / "metrics.json").write_text(json.dumps({"x": 1}))
    dest = tmp_path / "docs" / "results"
    (dest / "tables").mkdir(parents=True)
    (dest / "tables" / "stale.md").write_text("from an older run")
    copied = publish_outputs(out, dest)
    assert sorted(copied) == [
        "metrics.json",
        "plots/data/curves_x.csv",
        "tables/claims.md",
    ]
    assert not (dest / "runs").exists() and not (dest / "tables" / "stale.md").exists()


def test_provenance_records_config_hash_machine_and_time(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("study: x\n")
    record = provenance(config, cores=2, wall_time_s=12.34, command="make laptop")
    assert record["config_sha256"] == hashlib.sha256(b"study: x\n").hexdigest()
    assert record["cores_used"] == 2 and record["wall_time_s"] == 12.3
    assert record["cpu"] and record["versions"]["torch"]


def test_published_provenance_records_the_code_and_the_stale_run_policy(
    tmp_path, monkeypatch
):
    from pathlib import Path

    from cggan.fingerprint import code_fingerprint
    from helpers import REPO, load_script

    publish_study = load_script(
        REPO / "scripts/publish_results.py", "publish_results_cli"
    ).publish_study
    repo = Path(__file__).resolve().parents[1]
    config = tmp_path / "ci.yaml"
    config.write_text((repo / "config/ci.yaml").read_text() + "\nstale_runs: keep\n")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results/studies/ci").mkdir(parents=True)
    (tmp_path / "results/studies/ci/metrics.json").write_text("{}")
    publish_study(
        config, tmp_path / "dest", started=0.0, finished=1.0, cores=1, command="test"
    )
    record = json.loads((tmp_path / "dest/provenance.json").read_text())
    assert record["stale_runs"] == "keep"
    assert record["code_fingerprint"] == code_fingerprint()["fingerprint"]
    assert record["code_modules"] == code_fingerprint()["modules"]
    assert record["alongside"] == "not recorded"


def test_publishing_refuses_runs_of_mixed_training_code(tmp_path, monkeypatch):
    from pathlib import Path

    import pytest

    from helpers import REPO, load_script

    publish_study = load_script(
        REPO / "scripts/publish_results.py", "publish_results_cli"
    ).publish_study
    repo = Path(__file__).resolve().parents[1]
    config = tmp_path / "ci.yaml"
    config.write_text((repo / "config/ci.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    tables = tmp_path / "results/studies/ci/tables"
    tables.mkdir(parents=True)
    (tables / "runs.csv").write_text("experiment,code\ndigits,aaaa\ndigits,bbbb\n")
    with pytest.raises(ValueError, match="2 training codes"):
        publish_study(
            config, tmp_path / "dest", started=0, finished=1, cores=1, command="t"
        )
    assert not (tmp_path / "dest").exists()
