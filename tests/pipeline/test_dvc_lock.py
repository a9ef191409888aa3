"""dvc.yaml takes every path from the study (dvc-study.yaml), and the committed
dvc.lock is the default study's, made by HEAD's training code: `dvc status` in a fresh
clone reports missing data only, and `dvc repro --dry --allow-missing` runs there.

Fast: no stage runs (the ci study through `dvc repro`, and what an edit of the
training code does to `dvc status`: tests/pipeline/test_dvc.py)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from cggan.fingerprint import changed_modules, code_fingerprint
from helpers import load_script

from .conftest import BIN, copy_repo, run

ROOT = Path(__file__).resolve().parents[2]
DVC = str(BIN / "dvc")
#: The only literal paths of dvc.yaml: the `code` stage's deps (the code it hashes).
CODE_DIRS = ("scripts", "src/cggan", "workflow")
#: What a study shares with the others (keyed by content, not by study).
SHARED = ("data", "fid_stats", "calibration")
dvc_study = load_script(ROOT / "scripts" / "dvc_study.py", "dvc_study")


def _dvc_yaml() -> dict:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))


def _paths(stage: dict) -> list[str]:
    """Every path of a stage: deps, outs, metrics, plots and params files."""
    paths = []
    for key in ("deps", "outs", "metrics", "plots", "params"):
        for entry in stage.get(key, []):
            if isinstance(entry, dict):
                paths.extend(entry)
            elif key != "params":  # a bare param is a key of params.yaml, not a path
                paths.append(entry)
    return paths


def _resolve(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)


def _lock() -> dict:
    return yaml.safe_load((ROOT / "dvc.lock").read_text(encoding="utf-8"))


def test_every_path_of_dvc_yaml_comes_from_the_study():
    spec = _dvc_yaml()
    assert spec["vars"] == ["dvc-study.yaml"]
    for name, stage in spec["stages"].items():
        for path in _paths(stage):
            literal = name == "code" and path in CODE_DIRS
            assert literal or path.startswith("${"), f"{name}: {path}"
        assert "results" not in stage["cmd"] and "config/" not in stage["cmd"], name
        assert "--configfile ${config}" in stage["cmd"] or name == "code"
    for entry in spec["plots"]:
        assert all(path.startswith("${out}/") for path in entry), entry


def _outs(values: dict[str, str]) -> set[str]:
    """Every output path of dvc.yaml for a study's vars."""
    return {
        _resolve(path, values)
        for stage in _dvc_yaml()["stages"].values()
        for key in ("outs", "metrics")
        for entry in stage.get(key, [])
        for path in ([entry] if isinstance(entry, str) else entry)
    }


@pytest.mark.parametrize(
    ("config", "runs", "out"),
    [
        ("config/config.yaml", "default", "results"),
        ("config/ci.yaml", "ci", "results/studies/ci"),
    ],
)
def test_a_study_writes_its_own_directories_and_the_shared_ones(config, runs, out):
    values = dvc_study.study_vars(config)
    shared = {"results/data", "results/fid_stats", "results/calibration"}
    assert {values[key] for key in SHARED} == shared
    own = {f"results/runs/{runs}", f"results/selection/{runs}"} | {
        f"{out}/{name}"
        for name in (
            "code_fingerprint.json",
            "toy",
            "tables",
            "plots",
            "metrics.json",
            "report.html",
        )
    }
    assert _outs(values) == shared | own


def test_dvc_study_yaml_is_the_default_studys():
    assert dvc_study.main(["--check", str(ROOT / "config/config.yaml")]) == 0
    values = yaml.safe_load((ROOT / "dvc-study.yaml").read_text(encoding="utf-8"))
    assert values["study"] == "default" and values["out"] == "results"


def test_the_committed_lock_is_the_default_studys_and_heads_training_code():
    values = dvc_study.study_vars("config/config.yaml")
    lock = _lock()["stages"]
    spec = _dvc_yaml()["stages"]
    assert set(lock) == set(spec)
    for name, stage in spec.items():
        assert lock[name]["cmd"] == _resolve(stage["cmd"], values).strip(), name
    fingerprints = f"{values['out']}/code_fingerprint.json"
    current = code_fingerprint(ROOT / "src" / "cggan")
    committed = json.loads((ROOT / fingerprints).read_text(encoding="utf-8"))
    for name in ("study", "fid_stats", "data"):
        recorded = lock[name]["params"][fingerprints]["training"]
        stored = {
            "fingerprint": recorded,
            "modules": committed["training_modules"],
            "versions": committed["versions"],
        }
        assert recorded == current["fingerprint"], (
            f"dvc.lock's {name} stage was made by other training code (changed: "
            f"{changed_modules(stored, current)}): rerun the default study (make run), "
            "then `dvc repro` and commit dvc.lock and results/code_fingerprint.json"
        )
    assert committed["training"] == current["fingerprint"]
    # the `code` stage's output is the committed file (one `dvc repro code` wrote both)
    (out,) = lock["code"]["outs"]
    assert out["path"] == fingerprints
    assert out["md5"] == hashlib.md5((ROOT / fingerprints).read_bytes()).hexdigest()
    # the config values the lock records are config/config.yaml's
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
    for name, stage in lock.items():
        for key, value in stage.get("params", {}).get("config/config.yaml", {}).items():
            assert config[key] == value, f"dvc.lock's {name}: {key}"


def _fresh_clone(dst: Path) -> Path:
    """The files a clone of HEAD has that DVC reads (no results but the committed
    ones), in a new git repository."""
    root = copy_repo(dst, with_src=True)
    shutil.copy2(ROOT / "dvc.lock", root / "dvc.lock")
    for path in ("results/code_fingerprint.json", "results/metrics.json"):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, root / path)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def test_a_fresh_clone_lacks_data_only_and_its_dry_run_works(tmp_path):
    root = _fresh_clone(tmp_path / "clone")
    status = json.loads(run([DVC, "status", "--json"], root).stdout)
    assert {"data", "study", "aggregate", "report"} <= set(status)
    for name, changes in status.items():
        if name == "code":  # its deps are bytes: any edit since the lock shows here
            continue
        for change in changes:
            assert isinstance(change, dict), (name, change)  # no "changed command"
            for kind, paths in change.items():
                assert kind in ("changed deps", "changed outs"), (name, kind)
                for path, state in paths.items():
                    # a params file's dict of changed keys is a change of code
                    assert state in ("deleted", "not in cache"), (
                        f"{name}: {path} {state}: dvc.lock does not describe this "
                        "checkout's config, code fingerprints or metrics: run the "
                        "default study through `dvc repro` and commit dvc.lock with "
                        "results/code_fingerprint.json and results/metrics.json"
                    )
    dry = run([DVC, "repro", "--dry", "--allow-missing"], root)
    ran = re.findall(r"Running stage '(\w+)'", dry.stdout)
    assert set(ran) <= {"code"}, dry.stdout
