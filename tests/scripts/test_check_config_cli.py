"""scripts/check_config.py: every config that does not parse is one line naming the
file (and the line), exit 2, before Snakemake reads it."""

from __future__ import annotations

import pytest

from helpers import REPO, load_script

check_config = load_script(REPO / "scripts/check_config.py", "check_config_cli")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("study: a\nseeds: [1, 2\n", "line"),  # syntax error
        ("study: a\n\tseeds: [1]\n", "line 2"),  # a tab
        ("", "empty"),
        ("- 1\n- 2\n", "not a mapping"),
        ("study: a\nstudy: b\n", "study"),  # duplicated key
    ],
)
def test_a_config_that_does_not_parse_is_one_line(tmp_path, capsys, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert check_config.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: Invalid ")
    assert str(path) in err and expected in err


def test_a_missing_file_and_a_good_one(tmp_path, capsys):
    assert check_config.main([str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope.yaml" in err and "unreadable" in err
    assert check_config.main([str(REPO / "config/config.yaml")]) == 0
    assert check_config.main(["--help"]) == 0
