"""Every ```python block of docs/api.md runs (in a fresh namespace, in an empty
directory), so the API page cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[1] / "docs" / "api.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def _blocks() -> list[tuple[str, str]]:
    """(heading above the block, code) for each python block of the page."""
    text = API.read_text(encoding="utf-8")
    out = []
    for match in _BLOCK.finditer(text):
        headings = re.findall(r"^#+ (.+)$", text[: match.start()], re.M)
        out.append((headings[-1] if headings else "top", match.group(1)))
    return out


BLOCKS = _blocks()


def test_the_page_documents_the_public_api():
    text = API.read_text(encoding="utf-8")
    for name in (
        "ConjugateGradient",
        "NormalizedSGD",
        "Graft",
        "Optimistic",
        "build_scheduler",
        "frechet_distance",
        "FIDEvaluator",
        "cggan.train.run",
        "tests/optim/test_schedulers.py",
        "test_state_dict_round_trip_mid_run",
    ):
        assert name in text, name
    assert len(BLOCKS) >= 9


@pytest.mark.parametrize(
    "code",
    [code for _, code in BLOCKS],
    ids=[f"{i}-{h}" for i, (h, _) in enumerate(BLOCKS)],
)
def test_example_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(API), "exec"), {"__name__": "__main__"})
