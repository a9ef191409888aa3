"""dvc.yaml's params name config keys; DVC refuses a stage whose config file lacks
one ("Parameters ... are missing"), so every config run through `dvc repro`
(config/config.yaml, and config/ci.yaml, which the DVC tests install as
config/config.yaml) must declare every tracked key (DVC reads no schema default)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def tracked_params() -> dict[str, list[str]]:
    """{stage: [config key, ...]}: the `config/config.yaml` params of dvc.yaml."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    tracked = {}
    for name, stage in stages.items():
        for entry in stage.get("params", []):
            if isinstance(entry, dict) and "config/config.yaml" in entry:
                tracked[name] = list(entry["config/config.yaml"])
    return tracked


def test_dvc_yaml_tracks_config_keys():
    tracked = tracked_params()
    assert {"data", "study", "aggregate"} <= set(tracked)
    assert "analysis" in tracked["aggregate"]


@pytest.mark.parametrize("config", ["config/config.yaml", "config/ci.yaml"])
def test_config_run_through_dvc_declares_every_tracked_key(config):
    keys = set(yaml.safe_load((ROOT / config).read_text()))
    missing = {
        stage: sorted(set(params) - keys)
        for stage, params in tracked_params().items()
        if set(params) - keys
    }
    assert not missing, f"{config} lacks keys dvc.yaml tracks: {missing}"
