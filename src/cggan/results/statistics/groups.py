"""The groups a study's statistics summarise, and their runs counted by status.

A group is one experiment × method × learning-rate rule (:func:`groups`, in the
registry's display order), or one confirmed setting of it (:func:`setting_groups`: each
pool confirms its own); :func:`counts` counts its runs by status, a missing run (no
``summary.json``) with the failed ones (:data:`COUNT_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from cggan.results.runs.load import ordered_methods, ordered_rules

__all__ = ["COUNT_COLUMNS", "counts", "groups", "setting_groups"]

COUNT_COLUMNS = ["n_runs", "n_finished", "n_diverged", "n_failed"]


def counts(group: pd.DataFrame) -> dict[str, int]:
    """Runs by status; missing runs (no summary.json) count as failed."""
    status = group["status"]
    return {
        "n_runs": len(group),
        "n_finished": int((status == "finished").sum()),
        "n_diverged": int((status == "diverged").sum()),
        "n_failed": int(status.isin(["failed", "missing"]).sum()),
    }


def groups(frame: pd.DataFrame) -> Iterator[tuple[str, str, str, pd.DataFrame]]:
    """``(experiment, method, rule, rows)`` in display order."""
    for experiment in sorted(frame["experiment"].unique()):
        exp = frame[frame["experiment"] == experiment]
        for method in ordered_methods(exp["method"]):
            of_method = exp[exp["method"] == method]
            for rule in ordered_rules(of_method["lr_rule"]):
                yield experiment, method, rule, of_method[of_method["lr_rule"] == rule]


def setting_groups(frame: pd.DataFrame) -> Iterator[tuple[str, str, str, pd.DataFrame]]:
    """As :func:`groups`, one group per setting (each pool confirms its own)."""
    for experiment, method, rule, group in groups(frame):
        for _, rows in group.groupby("setting", sort=True):
            yield experiment, method, rule, rows
