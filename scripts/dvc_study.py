"""Point dvc.yaml at a study: ``python scripts/dvc_study.py CONFIG`` (dvc-study.yaml).

dvc.yaml reads every path from dvc-study.yaml (its ``vars``): the study's config, its
runs, selection and out dir (tables, plots, toy games, metrics.json, report: ``results``
for the study named ``default``, ``results/studies/<study>`` otherwise), and the data,
FID statistics and calibration directories the studies share, all as
:class:`cggan.study.Study` names them for CONFIG. The committed dvc-study.yaml (and
dvc.lock) are the default study's (``config/config.yaml``); after
``python scripts/dvc_study.py config/ci.yaml`` the next ``dvc repro`` runs, and records
in dvc.lock, the ci study instead (``git checkout dvc-study.yaml dvc.lock`` goes back).

DVC reads a stage's params from the config file as written (no schema default), so a
config that lacks a key dvc.yaml tracks is refused, naming the keys; so are an
unreadable or invalid config and a file outside the repository (one ``error:`` line,
exit 2, dvc-study.yaml unchanged). ``--check`` writes nothing and exits 1 when
dvc-study.yaml is not what it would write for CONFIG.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
DVC_YAML = ROOT / "dvc.yaml"
VARS = ROOT / "dvc-study.yaml"
HEADER = (
    "# The study dvc.yaml runs: every path of its stages comes from here.\n"
    "# Written by `python scripts/dvc_study.py {config}` (cggan.study.Study's\n"
    "# paths); do not edit.\n"
)


def tracked_keys(dvc_yaml: str | Path = DVC_YAML) -> list[str]:
    """The config keys dvc.yaml's stages track as params (``${config}``'s keys)."""
    from cggan.io import load_yaml

    keys: set[str] = set()
    for stage in load_yaml(dvc_yaml)["stages"].values():
        for entry in stage.get("params", []):
            if isinstance(entry, dict):
                keys.update(entry.get("${config}", []))
    return sorted(keys)


def study_vars(config: str, dvc_yaml: str | Path = DVC_YAML) -> dict[str, str]:
    """dvc-study.yaml's vars for the study of ``config`` (a path relative to the
    repository root, as dvc.yaml names it). Raises ValueError (one line)."""
    import os

    from cggan.io import load_yaml
    from cggan.study.config_file import read_config_file
    from cggan.study.study import Study

    data = load_yaml(ROOT / config)
    if not isinstance(data, dict):
        raise ValueError(f"{config}: not a mapping of config keys")
    missing = [k for k in tracked_keys(dvc_yaml) if k not in data]
    if missing:
        raise ValueError(
            f"{config} lacks keys dvc.yaml tracks as params: {', '.join(missing)} "
            "(DVC reads no schema default: write them into the config)"
        )
    try:
        resolved = read_config_file(
            ROOT / config, SCHEMA
        )  # fills the schema's defaults
    except ValueError as exc:
        raise ValueError(f"{config}: {exc}") from None
    paths = Study(resolved).paths
    return {
        "config": config,
        "study": paths.study,
        "data": resolved["data_root"],
        "fid_stats": os.path.dirname(paths.fid_stats("x")),
        "calibration": os.path.dirname(paths.calibration("x")),
        "runs": paths.runs_root,
        "selection": paths.selection_dir,
        "out": paths.out_dir,
    }


def render(values: dict[str, str]) -> str:
    import yaml

    body = yaml.safe_dump(values, sort_keys=False, default_flow_style=False)
    return HEADER.format(config=values["config"]) + body


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args in (["-h"], ["--help"]):
        print(__doc__.split("\n\n")[0])
        return 0
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    if len(args) != 1:
        print("usage: python scripts/dvc_study.py [--check] CONFIG", file=sys.stderr)
        return 2
    try:
        path = Path(args[0]).resolve()
        if not path.is_relative_to(ROOT):
            raise ValueError(f"{args[0]}: not a file of this repository ({ROOT})")
        values = study_vars(path.relative_to(ROOT).as_posix())
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = render(values)
    if check:
        current = VARS.read_text(encoding="utf-8") if VARS.is_file() else ""
        if current != text:
            print(f"{VARS.name} is not written for {values['config']}", file=sys.stderr)
            return 1
        return 0
    from cggan.io import atomic_write_text

    atomic_write_text(VARS, text)
    print(f"{VARS.name}: the study {values['study']!r} of {values['config']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
