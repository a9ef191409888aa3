"""scripts/compare_results.py (`make verify`): a fresh study's tables against the
published ones, byte for byte but for the columns that name the code."""

from __future__ import annotations

from helpers import REPO, load_script

compare_results = load_script(
    REPO / "scripts/compare_results.py", "compare_results_cli"
)


def _study(root, runs_csv: str, seeds: str = "a,b\n1,2\n"):
    (root / "tables").mkdir(parents=True)
    (root / "plots" / "data").mkdir(parents=True)
    (root / "tables" / "runs.csv").write_text(runs_csv)
    (root / "tables" / "seeds.csv").write_text(seeds)
    (root / "plots" / "data" / "curves_x.csv").write_text("iteration,fid\n0,1\n")
    (root / "metrics.json").write_text('{"x": 1}\n')
    return root


def test_identical_outputs_but_for_the_code_column_pass(tmp_path, capsys):
    published = _study(tmp_path / "p", "seed,fid,code,stale\n1,9.5,aaaa,False\n")
    fresh = _study(tmp_path / "f", "seed,fid,code,stale\n1,9.5,bbbb,\n")
    assert (
        compare_results.main(["--published", str(published), "--fresh", str(fresh)])
        == 0
    )
    assert "equals" in capsys.readouterr().out


def test_a_changed_number_is_named_with_its_file_line_and_column(tmp_path, capsys):
    published = _study(tmp_path / "p", "seed,fid,code\n1,9.5,aaaa\n")
    fresh = _study(tmp_path / "f", "seed,fid,code\n1,9.6,aaaa\n", seeds="a,b\n1,3\n")
    (fresh / "metrics.json").unlink()
    code = compare_results.main(["--published", str(published), "--fresh", str(fresh)])
    out = capsys.readouterr().out
    assert code == 1
    assert "runs.csv: line 2, column fid: '9.5' published, '9.6' fresh" in out
    assert "seeds.csv: line 2 differs" in out
    assert "metrics.json: missing" in out
    assert "3 files differ" in out
