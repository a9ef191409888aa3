"""cggan.results.figures.claims_by_budget: each claim's effect against the budget."""

from __future__ import annotations

import math

import pandas as pd

from cggan.results.claims.check import CLAIM_COLUMNS
from cggan.results.figures.claims_by_budget import plot_claims_by_budget


def _claims(budgets) -> pd.DataFrame:
    rows = []
    for claim, side_b in (("a", "sgd"), ("h", "momentum (momentum~0.5)")):
        for b in budgets:
            row = dict.fromkeys(CLAIM_COLUMNS, math.nan)
            row.update(
                experiment="mnist", lr_rule="constant", budget=b, claim=claim,
                role="primary", side_a="cg_fr", side_b=side_b, effect=-10.0 * b,
                ci_low=-30.0, ci_high=10.0, verdict="inconclusive",
                margin=30.0 if claim == "h" else math.nan,
            )  # fmt: skip
            rows.append(row)
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def test_one_panel_per_claim_and_a_point_per_budget(tmp_path):
    path = tmp_path / "claims_budget_mnist.png"
    fig = plot_claims_by_budget(_claims([0.125, 0.25, 0.5, 1.0]), "mnist", path)
    assert path.is_file() and path.stat().st_size > 0
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2
    assert [t.get_text() for t in visible[0].get_xticklabels()] == [
        "T/8",
        "T/4",
        "T/2",
        "T",
    ]


def test_no_figure_for_one_budget(tmp_path):
    path = tmp_path / "x.png"
    assert plot_claims_by_budget(_claims([1.0]), "mnist", path) is None
    assert not path.exists()
