"""dvc.yaml's params name config keys of the study's config (``${config}``, from
dvc-study.yaml); DVC refuses a stage whose config file lacks one ("Parameters ... are
missing"), and reads no schema default. So every config either declares every tracked
key, or scripts/dvc_study.py refuses to point dvc.yaml at it, naming the keys."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpers import load_script

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p.name for p in (ROOT / "config").glob("*.yaml"))
dvc_study = load_script(ROOT / "scripts" / "dvc_study.py", "dvc_study")


def tracked_params() -> dict[str, list[str]]:
    """{stage: [config key, ...]}: the `${config}` params of dvc.yaml."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    tracked = {}
    for name, stage in stages.items():
        for entry in stage.get("params", []):
            if isinstance(entry, dict) and "${config}" in entry:
                tracked[name] = list(entry["${config}"])
    return tracked


def test_dvc_yaml_tracks_config_keys():
    tracked = tracked_params()
    assert {"data", "study", "aggregate"} <= set(tracked)
    assert "analysis" in tracked["aggregate"]
    keys = sorted({k for params in tracked.values() for k in params})
    assert dvc_study.tracked_keys() == keys


@pytest.mark.parametrize("config", ["config.yaml", "ci.yaml"])
def test_the_studies_run_through_dvc_declare_every_tracked_key(config):
    keys = set(yaml.safe_load((ROOT / "config" / config).read_text()))
    missing = {
        stage: sorted(set(params) - keys)
        for stage, params in tracked_params().items()
        if set(params) - keys
    }
    assert not missing, f"config/{config} lacks keys dvc.yaml tracks: {missing}"


@pytest.mark.parametrize("config", CONFIGS)
def test_a_config_is_run_through_dvc_or_refused_naming_the_keys(config):
    keys = set(yaml.safe_load((ROOT / "config" / config).read_text()))
    missing = sorted({k for p in tracked_params().values() for k in p} - keys)
    if not missing:
        values = dvc_study.study_vars(f"config/{config}")
        assert values["config"] == f"config/{config}"
        return
    with pytest.raises(ValueError, match="lacks keys dvc.yaml tracks") as err:
        dvc_study.study_vars(f"config/{config}")
    assert all(key in str(err.value) for key in missing)
