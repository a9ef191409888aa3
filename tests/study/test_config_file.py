"""cggan.study.config_file: a config file read as the workflow reads it, and the schema
as the one home of every config default (no planning or results module repeats one)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cggan.study.config_file import read_config_file, schema_defaults

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"
#: The packages that read a study's config (the training library below them takes
#: every value from the run spec that planning builds from the config).
CONFIG_READERS = ("study", "results", "toy")
#: Parameter names that stand for a config key of another name.
ALIASES = {"by": ("by", "rank_by")}
#: Equal to a schema default, and not a default: ``{module: (name, why)}``.
NOT_DEFAULTS = {
    "cggan/study/layout.py": (
        "study",
        "DEFAULT_STUDY names the one study whose outputs sit directly under results/ "
        "(a layout rule; the schema's default study is that study)",
    ),
}


def _leaves(defaults, path=()):
    for key, value in defaults.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, (*path, key))
        else:
            yield (*path, key), value


def _repeats(source: str) -> list[str]:
    """Each parameter default and ``DEFAULT_*`` constant equal to a schema default of
    the key it stands for."""
    leaves = list(_leaves(schema_defaults(SCHEMA)))
    meaningful = [
        (p, v) for p, v in leaves if v not in (None, True, False, 0, 1, [], {}, "")
    ]
    found = []
    for node in ast.walk(ast.parse(source)):
        pairs = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = [*node.args.args, *node.args.kwonlyargs]
            defaults = [None] * (len(node.args.args) - len(node.args.defaults))
            defaults += [*node.args.defaults, *node.args.kw_defaults]
            pairs = [(a.arg, d) for a, d in zip(args, defaults) if d is not None]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            pairs = [
                (t.id.removeprefix("DEFAULT_").lower(), node.value)
                for t in targets
                if isinstance(t, ast.Name)
                and t.id.startswith("DEFAULT_")
                and node.value
            ]
        for name, value_node in pairs:
            try:
                value = ast.literal_eval(value_node)
            except ValueError:
                continue
            for path, default in meaningful:
                if name in ALIASES.get(path[-1], (path[-1],)) and value == default:
                    found.append(f"{name}={value!r} repeats {'.'.join(path)}")
    return found


def test_the_repeat_finder_finds_a_parameter_and_a_constant():
    source = "DEFAULT_TOP_K = 10\ndef f(x, *, confidence=0.95, rank_by='final'): pass\n"
    assert _repeats(source) == [
        "top_k=10 repeats aggregate.top_k",
        "confidence=0.95 repeats aggregate.confidence",
        "rank_by='final' repeats selection.by",
    ]


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for package in CONFIG_READERS
        for p in (ROOT / "src/cggan" / package).rglob("*.py")
    ),
    ids=lambda p: str(p.relative_to(ROOT / "src")),
)
def test_no_config_reader_repeats_a_schema_default(path):
    found = _repeats(path.read_text(encoding="utf-8"))
    exempt = NOT_DEFAULTS.get(str(path.relative_to(ROOT / "src")))
    if exempt:
        found = [f for f in found if not f.startswith(f"{exempt[0]}=")]
    assert found == []


def test_schema_defaults_are_the_validated_config_s(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text((ROOT / "config/ci.yaml").read_text())
    resolved = read_config_file(config, SCHEMA)
    defaults = schema_defaults(SCHEMA)
    assert resolved["convergence"] == defaults["convergence"]
    assert resolved["stale_runs"] == defaults["stale_runs"] == "retrain"
    config.write_text("study: x\nstudy: y\n")
    with pytest.raises(ValueError, match="duplicated key 'study'"):
        read_config_file(config, SCHEMA)
