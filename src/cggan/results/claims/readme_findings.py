"""The README's findings table, generated from a published study's ``claims.csv``.

The README shows a published study's verdicts between two markers (one block per
study, its begin marker naming the claims file); ``make laptop``
(``scripts/publish_results.py --readme``) rewrites that study's block from the published
``claims.csv``, and a test checks that the committed README's block equals what this
module makes of the committed ``claims.csv``: the findings are never typed by hand.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from cggan.results.claims.render import budget_label

__all__ = [
    "BEGIN",
    "END",
    "findings_markdown",
    "readme_block",
    "replace_block",
    "update_readme",
]

BEGIN = "<!-- findings:begin (generated from {path} by scripts/publish_results.py) -->"
END = "<!-- findings:end -->"


def _num(value) -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return "—"
    return "—" if not math.isfinite(value) else f"{value:.3g}"


def findings_markdown(claims: pd.DataFrame) -> str:
    """The primary claims as a Markdown table: claim, sides, n, the effect at the run
    length T with its interval, Holm-adjusted p, the verdict of record, both pools'
    convergence, the verdicts at the shorter budgets, and the reason."""
    primary = claims[claims["role"] == "primary"]
    if "budget" not in primary.columns:  # a claims.csv written before budgets
        primary = primary.assign(budget=1.0)
    lines = [
        "| claim | a vs b | n | effect (a − b) at T [95 % CI] | p (Holm) | verdict "
        "at T | pools at T (a; b) | at shorter budgets | why |",
        "| :--- | :--- | :--- | :--- | ---: | :--- | :--- | :--- | :--- |",
    ]
    record = primary[primary["budget"] == 1.0]
    for _, r in record.iterrows():
        reason = r["reason"] if isinstance(r["reason"], str) else ""
        same = (
            (primary["claim"] == r["claim"])
            & (primary["side_a"] == r["side_a"])
            & (primary["side_b"] == r["side_b"])
            & (primary["experiment"] == r["experiment"])
            & (primary["lr_rule"] == r["lr_rule"])
            & (primary["budget"] != 1.0)
        )
        shorter = " · ".join(
            f"{budget_label(o['budget'])}: {o['verdict']} ({_num(o['effect'])})"
            for _, o in primary[same].sort_values("budget").iterrows()
        )
        pools = "; ".join(_state(r.get(k)) for k in ("convergence_a", "convergence_b"))
        lines.append(
            f"| {r['claim']}. {r['statement']} ({r['lr_rule']}) "
            f"| {r['side_a']} vs {r['side_b']} | {int(r['n_a'])}, {int(r['n_b'])} "
            f"| {_num(r['effect'])} [{_num(r['ci_low'])}, {_num(r['ci_high'])}] "
            f"| {_num(r['p_adjusted'])} | **{r['verdict']}** | {pools} "
            f"| {shorter or '—'} | {reason} |"
        )
    return "\n".join(lines) + "\n"


def _state(value) -> str:
    """A pool's convergence state without its interval (``improving``)."""
    return value.split(" ", 1)[0] if isinstance(value, str) and value else "—"


def readme_block(claims_csv: str | os.PathLike, shown_as: str) -> str:
    """The whole block (markers included) for the claims file ``claims_csv``."""
    claims = pd.read_csv(claims_csv, keep_default_na=False, na_values=[""])
    return f"{BEGIN.format(path=shown_as)}\n{findings_markdown(claims)}{END}"


def replace_block(text: str, block: str) -> str:
    """``text`` with the findings block of the same claims file replaced by ``block``.

    A README may show several studies' findings: each block is found by its first line
    (the begin marker, which names the claims file it was generated from).

    Raises:
        ValueError: the text has no (or a broken) findings block of that file.
    """
    begin = block.split("\n", 1)[0]
    start = text.find(begin)
    end = text.find(END, start)
    if start < 0 or end < start:
        raise ValueError(f"Invalid README: no block '{begin}' ... '{END}'")
    return text[:start] + block + text[end + len(END) :]


def update_readme(
    readme: str | os.PathLike, claims_csv: str | os.PathLike, shown_as: str
) -> None:
    """Rewrite the findings block of ``readme`` from ``claims_csv``."""
    from cggan.io import atomic_write_text

    path = Path(readme)
    block = readme_block(claims_csv, shown_as)
    atomic_write_text(path, replace_block(path.read_text(encoding="utf-8"), block))
