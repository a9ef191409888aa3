"""Setting selection: per experiment x method x rule x pool, the best finished sweep
setting (a pool: one value of the method's swept hyperparameters, with the whole
learning-rate grid; :func:`cggan.study.layout.pool_id`). Every pool is confirmed with
fresh seeds, so that e.g. momentum 0.9 (the paper's baseline) and momentum 0.5 (CG's
matched control) each have their own confirmed setting.

One selection algorithm for the workflow (``scripts/select_settings.py``) and the tables
(:mod:`cggan.results`). Torch-free.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cggan.checks import invalid as _invalid
from cggan.convergence import final_quarter_mean
from cggan.registry import METRIC_DIRECTION
from cggan.study.existing_runs import first_difference, read_summary
from cggan.study.grid_extension import edges, extend
from cggan.study.layout import Setting, parse_run_dir
from cggan.study.ranking import select_settings

if TYPE_CHECKING:
    from cggan.study.study import Study

__all__ = [
    "sweep_seeds_of",
    "extension_round",
    "select_experiment",
    "selection_record",
    "edited_selections",
]


def sweep_seeds_of(selection: Mapping[str, Any]) -> list[int]:
    """The sweep seeds a selection record was made from ([0] for none)."""
    return [int(s) for s in selection.get("sweep_seeds", [0])]


def selection_record(
    *,
    study: str,
    experiment: str,
    metric: str,
    groups: list[dict[str, Any]],
    by: str,
    direction: str,
    sweep_seeds: list[int],
    seeds: list[int],
) -> dict[str, Any]:
    """The selection file of one experiment (read back by the DAG and
    by cggan.aggregate).

    ``selected`` lists the chosen setting of every method x rule that has one;
    ``groups`` keeps every method x rule with its run counts (a group whose runs all
    diverged or failed has ``selected: null`` there and no confirmation runs).
    """
    return {
        "study": study,
        "experiment": experiment,
        "metric": metric,
        "direction": direction,
        "by": by,
        "sweep_seeds": [int(s) for s in sweep_seeds],
        "seeds": [int(s) for s in seeds],
        "selected": [
            {
                "method": g["method"],
                "lr_rule": g["lr_rule"],
                "pool": g["pool"],
                **g["selected"],
            }
            for g in groups
            if g["selected"]
        ],
        "groups": groups,
    }


def _sweep_records(study: Study, exp: str, rounds: int | None) -> list[dict[str, Any]]:
    """The sweep runs of an experiment through extension round ``rounds``, each with
    its summary (read through :func:`read_summary`: verified against its metrics)."""
    records = []
    for run_dir in study.sweep_run_dirs(exp, rounds=rounds):
        path = Path(run_dir) / "summary.json"
        if not path.is_file():
            raise ValueError(f"{path}: missing run summary (run the sweep first)")
        summary = read_summary(path)  # metrics.csv verified against its checksum
        summary["final_quarter_metric"] = _final_quarter(path.parent, summary)
        records.append({**parse_run_dir(run_dir), "summary": summary})
    return records


def _final_quarter(run_dir: Path, summary: Mapping[str, Any]) -> float | None:
    """The run's final-quarter mean (:func:`cggan.convergence.final_quarter_mean`)."""
    metric = summary.get("metric_name")
    path = run_dir / "metrics.csv"
    if not metric or not path.is_file():
        return None
    with open(path, encoding="utf-8", newline="") as fh:
        return final_quarter_mean(list(csv.DictReader(fh)), metric)


def _pool_grid(study: Study, exp: str, group: Mapping[str, Any], rounds: int | None):
    """The settings of a selection group's pool, and its selected setting."""
    settings = [
        s
        for s in study.settings(exp, group["method"], group["lr_rule"], rounds).values()
        if s.pool == group["pool"]
    ]
    sel = group["selected"]
    chosen = Setting(float(sel["lr_d"]), float(sel["lr_g"]), sel["method_kwargs"])
    return settings, chosen


def select_experiment(study: Study, exp: str) -> dict[str, Any]:
    """The selection record of one experiment, from its sweep runs (the configured
    grid and every extension round).

    Reads exactly the sweep runs the study names (never a glob of the directory), each
    through :func:`read_summary`. Each selected setting records ``edges``: the edges of
    its pool's final grid it lies on (empty = bracketed; see
    :mod:`cggan.study.grid_extension`), and ``round``: the extension round that added
    it.

    Raises:
        ValueError: one line naming a missing or unreadable summary.json.
    """
    records = _sweep_records(study, exp, None)
    metric = study.metric(exp)
    direction = METRIC_DIRECTION[metric]
    by = study.config["selection"]["by"]
    groups = select_settings(records, by=by, direction=direction)
    for g in groups:
        if g["selected"]:
            settings, chosen = _pool_grid(study, exp, g, None)
            shape = study.grid_shape(exp, g["lr_rule"])
            g["selected"]["edges"] = edges(settings, chosen, shape)
            g["selected"]["round"] = study.setting_round(
                exp, g["method"], g["lr_rule"], g["selected"]["setting"]
            )
    record = selection_record(
        study=study.name,
        experiment=exp,
        metric=metric,
        groups=groups,
        by=by,
        direction=direction,
        sweep_seeds=study.sweep_seeds,
        seeds=study.seeds,
    )
    record["max_grid_extensions"] = study.max_grid_extensions
    return record


def extension_round(study: Study, exp: str, round_: int) -> dict[str, Any]:
    """Extension round ``round_`` (1, 2, ...) of an experiment's grids: the settings
    that step one past the edge each pool's current selection lies on.

    The selection is made over the sweep runs through round ``round_ - 1`` (configured
    grid = round 0) exactly as :func:`select_experiment` makes it; a pool whose
    selection is inside its grid, that has no finished run, or whose best value is
    shared by another setting (``tied``: no sign the optimum lies past the edge) adds
    nothing.

    Returns:
        ``{"study", "experiment", "round", "added": [{method, lr_rule, pool, setting,
        lr_d, lr_g, method_kwargs}], "pools": [{method, lr_rule, pool, selected,
        edges}]}``.
    """
    if round_ < 1 or round_ > study.max_grid_extensions:
        raise _invalid(
            "extension round",
            round_,
            f"1..{study.max_grid_extensions} (config selection.max_grid_extensions)",
        )
    records = _sweep_records(study, exp, round_ - 1)
    direction = METRIC_DIRECTION[study.metric(exp)]
    by = study.config["selection"]["by"]
    added, pools = [], []
    for g in select_settings(records, by=by, direction=direction):
        entry = {k: g[k] for k in ("method", "lr_rule", "pool")}
        if not g["selected"]:
            pools.append({**entry, "selected": None, "edges": []})
            continue
        settings, chosen = _pool_grid(study, exp, g, round_ - 1)
        shape = study.grid_shape(exp, g["lr_rule"])
        on = edges(settings, chosen, shape)
        pools.append({**entry, "selected": chosen.id, "edges": on})
        if g["tied"]:
            # another setting scores the same: no sign that the optimum lies past
            # this edge (e.g. every run of a short study at 0 modes)
            pools[-1]["tied"] = True
            continue
        added += [
            {
                **entry,
                "setting": s.id,
                "lr_d": s.lr_d,
                "lr_g": s.lr_g,
                "method_kwargs": dict(s.method_kwargs),
            }
            for s in extend(settings, chosen, shape)
        ]
    return {
        "study": study.name,
        "experiment": exp,
        "round": round_,
        "added": added,
        "pools": pools,
    }


def edited_selections(study: Study) -> list[tuple[str, str, str]]:
    """The existing selection files of the study that are not the selection
    recomputed from the sweep runs they are made of. Reads only.

    Snakemake reruns ``select_settings`` only when a sweep run is newer than the
    selection file, so a hand-edited file (a setting pinned that is not the best) would
    otherwise be confirmed and reported as "the selected setting". The workflow sets
    such a file aside as ``<file>.<digest>.edited`` before the checkpoint runs again
    (:mod:`cggan.study.set_asides`).

    A selection that cannot be recomputed yet (a sweep run missing or unreadable) is
    not judged: its inputs will be newer than it once they are trained, and Snakemake
    redoes it then.

    Returns:
        ``(experiment, path, difference)`` per edited file: the first differing key.
    """
    found = []
    for exp in study.experiments:
        path = Path(study.paths.selection(exp))
        if not path.is_file():
            continue
        try:
            recomputed = json.loads(json.dumps(select_experiment(study, exp)))
        except (ValueError, OSError):
            continue
        try:
            stored = json.loads(path.read_text())
        except (ValueError, OSError):
            stored = None
        if stored == recomputed:
            continue
        if isinstance(stored, Mapping):
            difference = first_difference(
                stored, recomputed, against="recomputed", into_lists=True
            )
        else:
            difference = "not a JSON object"
        found.append((exp, str(path), difference))
    return found
