"""Aggregate training runs into the study's tables, plots and ``metrics.json``.

Input layout (written by ``cggan.train`` and the workflow)::

    <runs_dir>/<experiment>/<method>/<lr_rule>/<setting>/seed<k>/
        summary.json  metrics.csv  samples.png
    <selection_dir>/<experiment>.json
        {"metric", "by", "sweep_seed", "seeds", "selected": [{"method", "lr_rule", "setting"}]}

Two kinds of runs are summarised:

* the **sweep**: every setting of the grid at ``sweep_seed`` (one seed per setting, as in
  the paper). Its statistics are the paper's: **Top-1**, the single best run, and
  **Top-k**, the mean ± sample standard deviation of the k best runs, ranked by each run's
  *final* metric by default (the paper is believed to rank by end-of-training FID;
  ``shared/reference/cg_paper.md`` §4.2). Only finished runs with a finite value are
  ranked; diverged and failed runs are counted and shown, never dropped silently.
* the **confirmation**: the selected setting of each experiment × method × rule, re-run
  with all seeds. Its statistics are seed mean ± sample standard deviation and a Student-t
  confidence interval with n − 1 degrees of freedom.

Every file is written atomically (``cggan.io``), so a killed aggregation leaves no half table.
This module does not import torch.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: the workflow and CI have no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import transforms  # noqa: E402
from scipy import stats  # noqa: E402

from cggan.io import atomic_open, atomic_write_json, atomic_write_text  # noqa: E402

__all__ = [
    "PLOT_KINDS",
    "RANK_BY",
    "STATUSES",
    "AggregateResult",
    "aggregate",
    "confirmation_runs",
    "format_cell",
    "load_runs",
    "load_selections",
    "metrics_json",
    "paper_table",
    "seed_table",
    "summary_table",
    "sweep_runs",
    "t_interval",
    "top_k_stats",
]

RANK_BY = ("final", "best")
PLOT_KINDS = ("curves", "sweep", "samples")  # results/plots/<kind>_<experiment>.png
# "missing": a run the selection lists (or a run directory) without a readable summary.json;
# it is counted with the failed runs in every table.
STATUSES = ("finished", "diverged", "failed", "missing")
DASH = "—"
DPI = 120

# Display order: the paper's baselines, its CG family, then the related papers' methods.
_METHOD_ORDER = [
    "sgd", "momentum", "adam",
    "cg_fr", "cg_prp", "cg_hs", "cg_dy", "cg_hs_dy", "cg_fr_prp", "cg_hz",
    "cg_fr_authors", "cg_prp_authors", "cg_hs_authors", "cg_dy_authors",
    "cg_hs_dy_authors", "cg_fr_prp_authors", "cg_hz_authors",
    "nsgda", "graft_adam_sgd", "graft_sgd_adam", "omd", "pm", "co", "iu",
]  # fmt: skip
_RULE_ORDER = ["constant", "sqrt", "power", "step"]
_METRIC_LABELS = {"fid": "FID", "modes": "modes covered", "kid": "KID"}


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _order_key(order: list[str]):
    def key(name: str) -> tuple[int, str]:
        return (order.index(name), "") if name in order else (len(order), name)

    return key


def _sorted(names: Iterable[str], order: list[str]) -> list[str]:
    return sorted(set(names), key=_order_key(order))


def _finite_or_nan(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def _read_run(run_dir: Path, parts: Sequence[str]) -> dict[str, Any]:
    experiment, method, lr_rule, setting, seed_dir = parts
    row: dict[str, Any] = {
        "experiment": experiment,
        "method": method,
        "lr_rule": lr_rule,
        "setting": setting,
        "seed": int(seed_dir[len("seed") :]),
        "run_dir": str(run_dir),
        "status": "missing",
        "error": None,
        "diverged_at": None,
        "metric_name": None,
        "metric_mode": None,
        "best_metric": math.nan,
        "final_metric": math.nan,
        "best_iteration": None,
        "iterations": None,
        "wall_time_s": math.nan,
        "lr_g": math.nan,
        "lr_d": math.nan,
        "method_kwargs": "{}",
        "lr_rule_kwargs": "{}",
    }
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        row["error"] = "summary.json missing (run incomplete)"
        return row
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        row["error"] = f"summary.json unreadable: {exc}"
        return row
    status = summary.get("status")
    if status not in ("finished", "diverged", "failed"):
        raise ValueError(
            f"Invalid status: {status!r} in {summary_path} "
            "(allowed: finished, diverged, failed)"
        )
    spec = summary.get("spec") or {}
    # The directory says where a run belongs; a spec that disagrees means mixed-up results.
    for key, expected in (
        ("experiment", experiment),
        ("method", method),
        ("lr_rule", lr_rule),
    ):
        if key in spec and str(spec[key]) != expected:
            raise ValueError(
                f"Invalid run directory: {run_dir} holds a run with {key}={spec[key]!r}"
            )
    if "seed" in spec and int(spec["seed"]) != row["seed"]:
        raise ValueError(
            f"Invalid run directory: {run_dir} holds a run with seed={spec['seed']!r}"
        )
    metric_mode = summary.get("metric_mode") or "min"
    if metric_mode not in ("min", "max"):
        raise ValueError(
            f"Invalid metric_mode: {metric_mode!r} in {summary_path} (allowed: min, max)"
        )
    row.update(
        status=status,
        error=summary.get("error"),
        diverged_at=summary.get("diverged_at"),
        metric_name=summary.get("metric_name")
        or (spec.get("eval") or {}).get("metric"),
        metric_mode=metric_mode,
        best_metric=_finite_or_nan(summary.get("best_metric")),
        # A run that did not finish has no final metric, whatever the file says.
        final_metric=(
            _finite_or_nan(summary.get("final_metric"))
            if status == "finished"
            else math.nan
        ),
        best_iteration=summary.get("best_iteration"),
        iterations=summary.get("iterations"),
        wall_time_s=_finite_or_nan(summary.get("wall_time_s")),
        lr_g=_finite_or_nan(spec.get("lr_g")),
        lr_d=_finite_or_nan(spec.get("lr_d")),
        method_kwargs=json.dumps(spec.get("method_kwargs") or {}, sort_keys=True),
        lr_rule_kwargs=json.dumps(spec.get("lr_rule_kwargs") or {}, sort_keys=True),
    )
    return row


def load_runs(runs_dir: str | Path) -> pd.DataFrame:
    """Read every run directory of a study into one table (one row per run).

    Args:
        runs_dir: ``results/runs/<study>``; runs lie at
            ``<experiment>/<method>/<lr_rule>/<setting>/seed<k>/``.

    Returns:
        DataFrame with the path levels (experiment, method, lr_rule, setting, seed), status,
        metric name/mode, best and final metric (NaN when absent; always NaN for a run that did
        not finish), lr_g, lr_d, method_kwargs (JSON text) and run_dir. A directory without a
        readable ``summary.json`` is a run with status ``"missing"``.

    Raises:
        ValueError: if ``runs_dir`` is not a directory, holds no run directory, or a run's
            stored spec contradicts its directory.
    """
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise ValueError(f"Invalid runs_dir: {runs_dir} (not a directory)")
    rows = []
    for seed_dir in sorted(runs_dir.glob("*/*/*/*/seed*")):
        suffix = seed_dir.name[len("seed") :]
        if not seed_dir.is_dir() or not suffix.isdigit():
            continue
        rows.append(_read_run(seed_dir, seed_dir.relative_to(runs_dir).parts))
    if not rows:
        raise ValueError(
            f"Invalid runs_dir: {runs_dir} (no runs found under "
            "<experiment>/<method>/<lr_rule>/<setting>/seed<k>/)"
        )
    runs = pd.DataFrame(rows)
    for experiment, group in runs.groupby("experiment"):
        for column in ("metric_name", "metric_mode"):
            values = set(group[column].dropna())
            if len(values) > 1:
                raise ValueError(
                    f"Invalid runs of experiment {experiment!r}: "
                    f"mixed {column} {sorted(values)}"
                )
    return runs


def load_selections(selection_dir: str | Path | None) -> dict[str, dict[str, Any]]:
    """Read ``<selection_dir>/<experiment>.json`` files written by the workflow.

    Args:
        selection_dir: directory of selection files, or None (no selections: every experiment
            is then selected here, see ``sweep_runs``/``confirmation_runs``).

    Returns:
        ``{experiment: selection}``; extra keys are kept.

    Raises:
        ValueError: if the directory does not exist or a file is not a selection object.
    """
    if selection_dir is None:
        return {}
    selection_dir = Path(selection_dir)
    if not selection_dir.is_dir():
        raise ValueError(f"Invalid selection_dir: {selection_dir} (not a directory)")
    selections = {}
    for path in sorted(selection_dir.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"Invalid selection file: {path} ({exc})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("selected"), list):
            raise ValueError(
                f"Invalid selection file: {path} (needs a 'selected' list)"
            )
        selections[str(data.get("experiment", path.stem))] = data
    return selections


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def _metric_info(runs: pd.DataFrame, experiment: str) -> tuple[str, str]:
    group = runs[runs["experiment"] == experiment]
    names = group["metric_name"].dropna()
    modes = group["metric_mode"].dropna()
    return (names.iloc[0] if len(names) else "metric"), (
        modes.iloc[0] if len(modes) else "min"
    )


def _rank_column(rank_by: str) -> str:
    if rank_by not in RANK_BY:
        raise ValueError(
            f"Invalid rank_by: {rank_by!r} (allowed: {', '.join(RANK_BY)})"
        )
    return f"{rank_by}_metric"


def _ranked(values: Sequence[float], mode: str) -> np.ndarray:
    """Finite values sorted best first (ascending for "min", descending for "max")."""
    if mode not in ("min", "max"):
        raise ValueError(f"Invalid mode: {mode!r} (allowed: min, max)")
    arr = np.asarray(
        [v for v in values if v is not None and math.isfinite(v)], dtype=float
    )
    arr = np.sort(arr)
    return arr[::-1] if mode == "max" else arr


def top_k_stats(
    values: Sequence[float], k: int, mode: str = "min"
) -> dict[str, float | int]:
    """The paper's Top-1 and Top-k statistics of one pool of runs.

    Args:
        values: one metric value per run (NaN/None = no value; such runs are not ranked).
        k: how many of the best runs to average (fewer if fewer have a value).
        mode: ``"min"`` (lower is better, FID) or ``"max"`` (higher is better, modes).

    Returns:
        ``top1`` (the best value), ``topk_mean``, ``topk_std`` (sample std, ddof=1; NaN for one
        value) and ``k_used`` (how many values entered the mean).
    """
    if k < 1:
        raise ValueError(f"Invalid k: {k} (allowed: k >= 1)")
    ranked = _ranked(values, mode)[:k]
    if len(ranked) == 0:
        return {
            "top1": math.nan,
            "topk_mean": math.nan,
            "topk_std": math.nan,
            "k_used": 0,
        }
    return {
        "top1": float(ranked[0]),
        "topk_mean": float(np.mean(ranked)),
        "topk_std": float(np.std(ranked, ddof=1)) if len(ranked) > 1 else math.nan,
        "k_used": int(len(ranked)),
    }


def t_interval(
    values: Sequence[float], confidence: float = 0.95
) -> tuple[float, float]:
    """Student-t confidence interval of the mean: mean ± t_{(1+c)/2, n−1} · s/√n.

    Returns ``(nan, nan)`` for fewer than two finite values (no spread to estimate).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(
            f"Invalid confidence: {confidence} (allowed: 0 < confidence < 1)"
        )
    arr = np.asarray(
        [v for v in values if v is not None and math.isfinite(v)], dtype=float
    )
    if len(arr) < 2:
        return math.nan, math.nan
    mean = float(arr.mean())
    half = float(
        stats.t.ppf((1.0 + confidence) / 2.0, len(arr) - 1)
        * arr.std(ddof=1)
        / math.sqrt(len(arr))
    )
    return mean - half, mean + half


def _counts(group: pd.DataFrame) -> dict[str, int]:
    status = group["status"]
    return {
        "n_runs": int(len(group)),
        "n_finished": int((status == "finished").sum()),
        "n_diverged": int((status == "diverged").sum()),
        # missing runs (no summary.json) are failures from the study's point of view
        "n_failed": int(status.isin(["failed", "missing"]).sum()),
    }


def _selection_for(selections: dict[str, dict], experiment: str) -> dict | None:
    return selections.get(experiment)


def sweep_runs(
    runs: pd.DataFrame, selections: dict[str, dict] | None = None
) -> pd.DataFrame:
    """The sweep: every run at its experiment's ``sweep_seed`` (0 without a selection file)."""
    selections = selections or {}
    keep = pd.Series(False, index=runs.index)
    for experiment in runs["experiment"].unique():
        sweep_seed = int(
            (_selection_for(selections, experiment) or {}).get("sweep_seed", 0)
        )
        keep |= (runs["experiment"] == experiment) & (runs["seed"] == sweep_seed)
    return runs[keep].copy()


def _select_here(runs: pd.DataFrame, experiment: str, by: str) -> list[dict[str, Any]]:
    """Each method × rule's best sweep setting, for an experiment without a selection file."""
    _, mode = _metric_info(runs, experiment)
    column = _rank_column(by)
    sweep = sweep_runs(runs[runs["experiment"] == experiment])
    selected = []
    for (method, rule), group in sweep.groupby(["method", "lr_rule"]):
        ok = group[(group["status"] == "finished") & group[column].notna()]
        if ok.empty:
            continue
        best = ok.loc[ok[column].idxmax() if mode == "max" else ok[column].idxmin()]
        selected.append({"method": method, "lr_rule": rule, "setting": best["setting"]})
    return selected


def confirmation_runs(
    runs: pd.DataFrame, selections: dict[str, dict] | None = None, by: str = "final"
) -> pd.DataFrame:
    """The confirmation runs: all seeds of each experiment × method × rule's selected setting.

    Seeds a selection lists but that have no run directory are added with status
    ``"missing"``. An experiment without a selection file is selected here: the best finished
    sweep run by ``by`` (the workflow's rule), with every seed found on disk.
    """
    selections = selections or {}
    parts = []
    for experiment in runs["experiment"].unique():
        selection = _selection_for(selections, experiment)
        exp_runs = runs[runs["experiment"] == experiment]
        if selection is None:
            chosen, seeds = _select_here(runs, experiment, by), None
        else:
            chosen, seeds = selection["selected"], selection.get("seeds")
        for item in chosen:
            mask = (
                (exp_runs["method"] == item["method"])
                & (exp_runs["lr_rule"] == item["lr_rule"])
                & (exp_runs["setting"] == str(item["setting"]))
            )
            found = exp_runs[mask]
            if seeds is not None:
                found = found[found["seed"].isin([int(s) for s in seeds])]
                absent = sorted(set(int(s) for s in seeds) - set(found["seed"]))
                if absent:
                    filler = pd.DataFrame(
                        [
                            {
                                "experiment": experiment,
                                "method": item["method"],
                                "lr_rule": item["lr_rule"],
                                "setting": str(item["setting"]),
                                "seed": s,
                                "status": "missing",
                                "error": "run directory missing",
                                "best_metric": math.nan,
                                "final_metric": math.nan,
                            }
                            for s in absent
                        ]
                    )
                    found = pd.concat([found, filler], ignore_index=True)
            parts.append(found)
    if not parts:
        return runs.iloc[0:0].copy()
    out = pd.concat(parts, ignore_index=True)
    # settings metadata for the missing rows: copy from a sibling seed where there is one
    for column in ("lr_g", "lr_d", "method_kwargs", "metric_name", "metric_mode"):
        out[column] = out.groupby(["experiment", "method", "lr_rule", "setting"])[
            column
        ].transform(lambda s: s.ffill().bfill())
    return out


_COUNT_COLUMNS = ["n_runs", "n_finished", "n_diverged", "n_failed"]
_PAPER_COLUMNS = ["experiment", "metric", "mode", "rank_by", "method", "lr_rule", "top1",
                  "topk_mean", "topk_std", "k_used", "k", "top1_setting",
                  *_COUNT_COLUMNS]  # fmt: skip
_SEED_COLUMNS = ["experiment", "metric", "method", "lr_rule", "setting", "lr_d", "lr_g",
                 "hparams", "seeds", "final_mean", "final_std", "final_median", "ci_low",
                 "ci_high", "confidence", *_COUNT_COLUMNS]  # fmt: skip
_SUMMARY_COLUMNS = ["experiment", "metric", "method", "lr_rule", "setting", "best_mean",
                    "best_std", "final_mean", "final_std", *_COUNT_COLUMNS]  # fmt: skip


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A table with fixed columns, also when it has no rows (nothing was confirmed)."""
    return pd.DataFrame(rows, columns=columns)


def _groups(frame: pd.DataFrame):
    """Iterate (experiment, method, rule, group) in display order."""
    for experiment in sorted(frame["experiment"].unique()):
        exp = frame[frame["experiment"] == experiment]
        for method in _sorted(exp["method"], _METHOD_ORDER):
            for rule in _sorted(exp[exp["method"] == method]["lr_rule"], _RULE_ORDER):
                yield experiment, method, rule, exp[
                    (exp["method"] == method) & (exp["lr_rule"] == rule)
                ]


def _mean_std(values: pd.Series) -> tuple[float, float]:
    arr = values.dropna().to_numpy(dtype=float)
    if len(arr) == 0:
        return math.nan, math.nan
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else math.nan


def paper_table(
    runs: pd.DataFrame,
    selections: dict[str, dict] | None = None,
    *,
    top_k: int = 10,
    rank_by: str = "final",
) -> pd.DataFrame:
    """Top-1 and Top-k over the sweep, one row per experiment × method × rule (tidy)."""
    column = _rank_column(rank_by)
    sweep = sweep_runs(runs, selections)
    rows = []
    for experiment, method, rule, group in _groups(sweep):
        metric, mode = _metric_info(runs, experiment)
        finished = group[group["status"] == "finished"]
        top = top_k_stats(finished[column].tolist(), top_k, mode)
        best_setting = None
        if top["k_used"]:
            values = finished[column]
            best_setting = finished.loc[
                values.idxmax() if mode == "max" else values.idxmin(), "setting"
            ]
        rows.append(
            {
                "experiment": experiment,
                "metric": metric,
                "mode": mode,
                "rank_by": rank_by,
                "method": method,
                "lr_rule": rule,
                **top,
                "k": top_k,
                "top1_setting": best_setting,
                **_counts(group),
            }
        )
    return _frame(rows, _PAPER_COLUMNS)


def seed_table(confirmed: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """Seed statistics of the final metric of each confirmed setting (row: method × rule)."""
    rows = []
    for experiment, method, rule, group in _groups(confirmed):
        finished = group[group["status"] == "finished"]
        mean, std = _mean_std(finished["final_metric"])
        low, high = t_interval(finished["final_metric"].tolist(), confidence)
        first = group.iloc[0]
        rows.append(
            {
                "experiment": experiment,
                "metric": first.get("metric_name"),
                "method": method,
                "lr_rule": rule,
                "setting": first["setting"],
                "lr_d": first.get("lr_d"),
                "lr_g": first.get("lr_g"),
                "hparams": first.get("method_kwargs"),
                "seeds": " ".join(str(s) for s in sorted(group["seed"])),
                "final_mean": mean,
                "final_std": std,
                "final_median": (
                    float(finished["final_metric"].median())
                    if finished["final_metric"].notna().any()
                    else math.nan
                ),
                "ci_low": low,
                "ci_high": high,
                "confidence": confidence,
                **_counts(group),
            }
        )
    return _frame(rows, _SEED_COLUMNS)


def summary_table(confirmed: pd.DataFrame) -> pd.DataFrame:
    """Best and final metric, mean ± std over the confirmation seeds (row: method × rule)."""
    rows = []
    for experiment, method, rule, group in _groups(confirmed):
        finished = group[group["status"] == "finished"]
        best_mean, best_std = _mean_std(finished["best_metric"])
        final_mean, final_std = _mean_std(finished["final_metric"])
        rows.append(
            {
                "experiment": experiment,
                "metric": (
                    group["metric_name"].dropna().iloc[0]
                    if group["metric_name"].notna().any()
                    else None
                ),
                "method": method,
                "lr_rule": rule,
                "setting": group["setting"].iloc[0],
                "best_mean": best_mean,
                "best_std": best_std,
                "final_mean": final_mean,
                "final_std": final_std,
                **_counts(group),
            }
        )
    return _frame(rows, _SUMMARY_COLUMNS)


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def _num(value: Any, digits: int = 2) -> str:
    value = _finite_or_nan(value)
    return DASH if math.isnan(value) else f"{value:.{digits}f}"


def format_cell(mean: Any, std: Any = math.nan, digits: int = 2) -> str:
    """``"mean ± std"``, ``"mean"`` when std is undefined, ``"—"`` when there is no mean."""
    mean, std = _finite_or_nan(mean), _finite_or_nan(std)
    if math.isnan(mean):
        return DASH
    return (
        f"{mean:.{digits}f}"
        if math.isnan(std)
        else f"{mean:.{digits}f} ± {std:.{digits}f}"
    )


def _counts_text(row: Any) -> str:
    return f"n={int(row['n_runs'])}, {int(row['n_diverged'])} div, {int(row['n_failed'])} fail"


def _md_table(
    header: list[str], rows: list[list[str]], align: list[str] | None = None
) -> str:
    def esc(text: str) -> str:
        return str(text).replace("|", "\\|")

    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = [":---" if a == "l" else "---:" for a in align]
    lines = [
        "| " + " | ".join(esc(h) for h in header) + " |",
        "| " + " | ".join(sep) + " |",
    ]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


_TEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$",
                "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                "~": r"\textasciitilde{}", "^": r"\^{}"}  # fmt: skip


def _tex(text: Any) -> str:
    text = "".join(_TEX_ESCAPES.get(ch, ch) for ch in str(text))
    return text.replace("±", r"$\pm$").replace(DASH, "---")


def _direction(mode: str) -> str:
    return "higher is better" if mode == "max" else "lower is better"


def _metric_label(metric: Any) -> str:
    return _METRIC_LABELS.get(str(metric), str(metric))


def render_paper_table(table: pd.DataFrame) -> tuple[str, str]:
    """Markdown and LaTeX of the paper table: per experiment, rows methods, columns rules."""
    md_parts, tex_parts = ["# Top-1 and Top-k over the sweep\n"], []
    for experiment, block in table.groupby("experiment", sort=True):
        first = block.iloc[0]
        k, label = int(first["k"]), _metric_label(first["metric"])
        rules = _sorted(block["lr_rule"], _RULE_ORDER)
        methods = _sorted(block["method"], _METHOD_ORDER)
        caption = (
            f"{experiment}: {label} ({_direction(first['mode'])}). Top-1 = the best run, "
            f"Top-{k} = mean ± std of the {k} best runs (fewer where fewer finished: count in "
            f"brackets), each run ranked by its {first['rank_by']} {label}, one seed per "
            "setting; "
            "runs = settings in the sweep, diverged and failed runs are counted, not ranked."
        )
        header, md_rows, tex_rows = ["method"], [], []
        for rule in rules:
            header += [f"{rule}: Top-1", f"{rule}: Top-{k}", f"{rule}: runs"]
        for method in methods:
            md_row, tex_row = [method], [_tex(method)]
            for rule in rules:
                hit = block[(block["method"] == method) & (block["lr_rule"] == rule)]
                if hit.empty:
                    cells = [DASH, DASH, "n=0"]
                else:
                    row = hit.iloc[0]
                    topk = format_cell(row["topk_mean"], row["topk_std"])
                    if topk != DASH and int(row["k_used"]) < k:
                        topk += f" (k={int(row['k_used'])})"
                    cells = [_num(row["top1"]), topk, _counts_text(row)]
                md_row += cells
                tex_row += [_tex(c) for c in cells]
            md_rows.append(md_row)
            tex_rows.append(tex_row)
        md_parts.append(
            f"\n## {experiment}\n\n{caption}\n\n" + _md_table(header, md_rows)
        )
        colspec = "l" + "rrl" * len(rules)
        head1 = " & ".join(
            ["method"] + [rf"\multicolumn{{3}}{{c}}{{{_tex(rule)}}}" for rule in rules]
        )
        rules_mid = " ".join(
            rf"\cmidrule(lr){{{2 + 3 * i}-{4 + 3 * i}}}" for i in range(len(rules))
        )
        head2 = " & ".join([""] + ["Top-1", f"Top-{k}", "runs"] * len(rules))
        body = "\n".join(" & ".join(r) + r" \\" for r in tex_rows)
        tex_parts.append(
            "\\begin{table}[ht]\n\\centering\n\\small\n"
            f"\\caption{{{_tex(caption)}}}\n\\label{{tab:paper-{_tex(experiment)}}}\n"
            f"\\begin{{tabular}}{{{colspec}}}\n\\toprule\n"
            f"{head1} \\\\\n{rules_mid}\n{head2} \\\\\n"
            f"\\midrule\n{body}\n\\bottomrule\n\\end{{tabular}}\n\\end{{table}}\n"
        )
    tex = "% Generated by cggan.aggregate; needs \\usepackage{booktabs}.\n" + "\n".join(
        tex_parts
    )
    return "".join(md_parts), tex


def render_seed_table(table: pd.DataFrame) -> tuple[str, str]:
    """Markdown and LaTeX of the confirmed settings' seed statistics."""
    md_parts, tex_parts = [
        "# Confirmed settings: seed statistics of the final metric\n"
    ], []
    for experiment, block in table.groupby("experiment", sort=True):
        first = block.iloc[0]
        label = _metric_label(first["metric"])
        level = int(round(float(first["confidence"]) * 100))
        caption = (
            f"{experiment}: final {label} of the selected setting of each method × rule, over "
            f"the confirmation seeds: mean ± std (sample std), and the {level}% Student-t "
            "confidence interval of the mean (n − 1 degrees of freedom); diverged and failed "
            "seeds are counted, not averaged."
        )
        header = [
            "method",
            "rule",
            "lr_d",
            "lr_g",
            "hparams",
            f"final {label}",
            f"{level}% CI",
            "runs",
        ]
        rows = []
        for _, row in block.iterrows():
            ci = (
                DASH
                if math.isnan(_finite_or_nan(row["ci_low"]))
                else f"[{_num(row['ci_low'])}, {_num(row['ci_high'])}]"
            )
            hparams = _hparams_text(row["hparams"])
            rows.append(
                [
                    row["method"],
                    row["lr_rule"],
                    _lr(row["lr_d"]),
                    _lr(row["lr_g"]),
                    hparams,
                    format_cell(row["final_mean"], row["final_std"]),
                    ci,
                    _counts_text(row),
                ]
            )
        md_parts.append(
            f"\n## {experiment}\n\n{caption}\n\n"
            + _md_table(header, rows, ["l"] * 5 + ["r", "r", "l"])
        )
        body = "\n".join(" & ".join(_tex(c) for c in r) + r" \\" for r in rows)
        tex_parts.append(
            "\\begin{table}[ht]\n\\centering\n\\small\n"
            f"\\caption{{{_tex(caption)}}}\n\\label{{tab:seeds-{_tex(experiment)}}}\n"
            "\\begin{tabular}{lllllrrl}\n\\toprule\n"
            + " & ".join(_tex(h) for h in header)
            + " \\\\\n\\midrule\n"
            + body
            + "\n\\bottomrule\n\\end{tabular}\n\\end{table}\n"
        )
    tex = "% Generated by cggan.aggregate; needs \\usepackage{booktabs}.\n" + "\n".join(
        tex_parts
    )
    return "".join(md_parts), tex


def _hparams_text(value: Any) -> str:
    """``{"beta_coeff": 0.5}`` (JSON text) -> ``beta_coeff=0.5``; empty for none."""
    try:
        hparams = json.loads(value) if isinstance(value, str) else {}
    except json.JSONDecodeError:
        return str(value)
    return (
        ", ".join(f"{k}={v}" for k, v in sorted(hparams.items()))
        if isinstance(hparams, dict)
        else str(hparams)
    )


def _lr(value: Any) -> str:
    value = _finite_or_nan(value)
    return DASH if math.isnan(value) else f"{value:g}"


def render_summary(table: pd.DataFrame) -> str:
    """Markdown of the confirmation summary (issue 2's table)."""
    parts = ["# Summary over the confirmation seeds\n"]
    for experiment, block in table.groupby("experiment", sort=True):
        label = _metric_label(block.iloc[0]["metric"])
        header = [
            "method",
            "rule",
            "setting",
            f"best {label}",
            f"final {label}",
            "runs",
            "finished",
            "diverged",
            "failed",
        ]
        rows = [
            [
                r["method"],
                r["lr_rule"],
                str(r["setting"]),
                format_cell(r["best_mean"], r["best_std"]),
                format_cell(r["final_mean"], r["final_std"]),
                str(int(r["n_runs"])),
                str(int(r["n_finished"])),
                str(int(r["n_diverged"])),
                str(int(r["n_failed"])),
            ]
            for _, r in block.iterrows()
        ]
        parts.append(
            f"\n## {experiment}\n\nBest (over training) and final {label}, mean ± std "
            "over the seeds of the selected setting; diverged and failed runs are counted, "
            "not averaged.\n\n"
            + _md_table(header, rows, ["l", "l", "l", "r", "r", "r", "r", "r", "r"])
        )
    return "".join(parts)


def _write_csv(path: Path, table: pd.DataFrame) -> None:
    # empty cells, never "nan", for values that do not exist
    atomic_write_text(path, table.to_csv(index=False, na_rep="", float_format="%.6g"))


# --------------------------------------------------------------------------------------------
# metrics.json
# --------------------------------------------------------------------------------------------


def _json_number(value: Any) -> float | None:
    value = _finite_or_nan(value)
    return None if math.isnan(value) else value



def _rows_of(frame: pd.DataFrame, experiment: str, method: str, rule: str) -> pd.DataFrame:
    """The rows of one experiment × method × rule (an empty frame stays empty)."""
    if not len(frame):
        return frame
    return frame[
        (frame["experiment"] == experiment)
        & (frame["method"] == method)
        & (frame["lr_rule"] == rule)
    ]

def metrics_json(paper: pd.DataFrame, seeds: pd.DataFrame) -> dict[str, Any]:
    """``{experiment: {method: {lr_rule: {...}}}}`` for ``dvc metrics show``; None, never NaN.

    ``n_runs``/``n_diverged``/``n_failed`` count the sweep's runs; ``seed_n_*`` the
    confirmation's.
    """
    out: dict[str, Any] = {}
    keys = set(
        zip(
            paper.get("experiment", []),
            paper.get("method", []),
            paper.get("lr_rule", []),
        )
    )
    keys |= set(
        zip(
            seeds.get("experiment", []),
            seeds.get("method", []),
            seeds.get("lr_rule", []),
        )
    )
    for experiment, method, rule in sorted(keys):
        entry: dict[str, Any] = {}
        hit = _rows_of(paper, experiment, method, rule)
        if len(hit):
            row = hit.iloc[0]
            entry.update(
                top1=_json_number(row["top1"]),
                topk_mean=_json_number(row["topk_mean"]),
                topk_std=_json_number(row["topk_std"]),
                k_used=int(row["k_used"]),
                n_runs=int(row["n_runs"]),
                n_diverged=int(row["n_diverged"]),
                n_failed=int(row["n_failed"]),
            )
        hit = _rows_of(seeds, experiment, method, rule)
        if len(hit):
            row = hit.iloc[0]
            entry.update(
                seed_mean=_json_number(row["final_mean"]),
                seed_std=_json_number(row["final_std"]),
                seed_ci_low=_json_number(row["ci_low"]),
                seed_ci_high=_json_number(row["ci_high"]),
                seed_n_runs=int(row["n_runs"]),
                seed_n_diverged=int(row["n_diverged"]),
                seed_n_failed=int(row["n_failed"]),
            )
        out.setdefault(experiment, {}).setdefault(method, {})[rule] = entry
    return out


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------


def _save(fig: plt.Figure, path: Path) -> None:
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def _palette(methods: list[str]) -> dict[str, Any]:
    if len(methods) <= 10:
        colors = sns.color_palette("tab10", len(methods))
    else:
        # tab20 comes in dark/light pairs: use all dark shades first so neighbours differ
        tab20 = sns.color_palette("tab20", 20)
        colors = (
            tab20[0::2]
            + tab20[1::2]
            + sns.color_palette("husl", max(0, len(methods) - 20))
        )[: len(methods)]
    return dict(zip(methods, colors))


def _dashes(methods: list[str]) -> dict[str, Any]:
    """Solid lines for the first ten methods, dashed for the rest (tell apart like colours)."""
    return {m: "" if i < 10 else (4, 2) for i, m in enumerate(methods)}


def _use_log(values: np.ndarray, mode: str) -> bool:
    values = values[np.isfinite(values)]
    # FID spans orders of magnitude (hundreds early, tens late); modes counts do not
    return (
        mode == "min"
        and len(values) > 0
        and values.min() > 0
        and values.max() / values.min() > 20
    )


def read_curves(confirmed: pd.DataFrame) -> pd.DataFrame:
    """Long-format metric curves of the confirmation runs (rows with no evaluation dropped)."""
    frames = []
    for _, run in confirmed.iterrows():
        path = Path(str(run.get("run_dir"))) / "metrics.csv"
        metric = run.get("metric_name")
        if not isinstance(metric, str) or not path.is_file():
            continue
        try:
            csv = pd.read_csv(path)
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            continue
        if metric not in csv.columns or "iteration" not in csv.columns:
            continue
        values = pd.to_numeric(csv[metric], errors="coerce").replace(
            [np.inf, -np.inf], np.nan
        )
        frame = pd.DataFrame({"iteration": csv["iteration"], "value": values}).dropna()
        frame.insert(0, "metric", metric)
        for column in ("seed", "setting", "lr_rule", "method", "experiment"):
            frame.insert(0, column, run[column])
        frames.append(frame)
    columns = [
        "experiment",
        "method",
        "lr_rule",
        "setting",
        "seed",
        "metric",
        "iteration",
        "value",
    ]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def plot_curves(curves: pd.DataFrame, experiment: str, mode: str, path: Path) -> None:
    """Metric vs iteration, mean ± sd band over seeds, one panel per learning-rate rule."""
    data = curves[curves["experiment"] == experiment]
    rules = _sorted(data["lr_rule"], _RULE_ORDER) or ["(none)"]
    methods = _sorted(data["method"], _METHOD_ORDER)
    metric = data["metric"].iloc[0] if len(data) else "metric"
    fig, axes = plt.subplots(
        1, len(rules), figsize=(5.2 * len(rules) + 1.5, 4.6), sharey=True, squeeze=False
    )
    palette, dashes = _palette(methods), _dashes(methods)
    for ax, rule in zip(axes[0], rules):
        panel = data[data["lr_rule"] == rule]
        if panel.empty:
            ax.text(
                0.5,
                0.5,
                "no evaluated runs",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
        else:
            sns.lineplot(
                data=panel,
                x="iteration",
                y="value",
                hue="method",
                hue_order=[m for m in methods if m in set(panel["method"])],
                style="method",
                dashes=dashes,
                palette=palette,
                estimator="mean",
                errorbar="sd",
                linewidth=1.6,
                err_kws={"alpha": 0.2 if len(methods) <= 6 else 0.1},
                ax=ax,
                legend=False,
            )
        n_seeds = panel.groupby(["method"])["seed"].nunique().max() if len(panel) else 0
        ax.set_title(f"{rule} rule (≤{n_seeds} seeds per method)", fontsize=10)
        ax.set_xlabel("iteration")
        ax.set_ylabel(f"{_metric_label(metric)} ({_direction(mode)})")
    if _use_log(data["value"].to_numpy(dtype=float), mode):
        for ax in axes[0]:
            ax.set_yscale("log")
    handles = [
        plt.Line2D(
            [],
            [],
            color=palette[m],
            linewidth=1.6,
            dashes=dashes[m] or (None, None),
            label=m,
        )
        for m in methods
    ]
    if handles:
        fig.legend(
            handles=handles,
            title="method",
            loc="center left",
            bbox_to_anchor=(1.0, 0.5),
            frameon=False,
        )
    fig.suptitle(
        f"{experiment}: {_metric_label(metric)} during training, selected setting "
        "(line: seed mean, band: ± 1 sd)"
    )
    fig.tight_layout()
    _save(fig, path)


def plot_sweep(sweep: pd.DataFrame, experiment: str, rank_by: str, path: Path) -> None:
    """Each sweep run's metric per method × rule; diverged/failed counts above the panel."""
    column = _rank_column(rank_by)
    data = sweep[sweep["experiment"] == experiment].copy()
    metric, mode = _metric_info(sweep, experiment)
    methods = _sorted(data["method"], _METHOD_ORDER)
    rules = _sorted(data["lr_rule"], _RULE_ORDER)
    ok = data[(data["status"] == "finished") & data[column].notna()]
    width = max(6.0, 0.55 * len(methods) + 2.0)
    fig, axes = plt.subplots(
        len(rules),
        1,
        figsize=(width, 3.3 * len(rules) + 0.8),
        sharex=True,
        squeeze=False,
    )
    palette = _palette(methods)
    log = _use_log(ok[column].to_numpy(dtype=float), mode)
    for ax, rule in zip(axes[:, 0], rules):
        panel = ok[ok["lr_rule"] == rule]
        if len(panel):
            with (
                warnings.catch_warnings()
            ):  # seaborn 0.13 passes matplotlib's deprecated `vert`
                warnings.simplefilter("ignore", category=DeprecationWarning)
                sns.boxplot(
                    data=panel,
                    x="method",
                    y=column,
                    order=methods,
                    hue="method",
                    hue_order=methods,
                    palette=palette,
                    showfliers=False,
                    width=0.6,
                    boxprops={"alpha": 0.35},
                    legend=False,
                    ax=ax,
                )
            sns.stripplot(
                data=panel,
                x="method",
                y=column,
                order=methods,
                hue="method",
                hue_order=methods,
                palette=palette,
                size=5,
                jitter=0.15,
                edgecolor="black",
                linewidth=0.5,
                legend=False,
                ax=ax,
            )
        else:
            ax.set_xticks(range(len(methods)), methods)
        if log:
            ax.set_yscale("log")
        # counts go above the panel (x in data units, y in axes units) so they never hide points
        trans = transforms.blended_transform_factory(ax.transData, ax.transAxes)
        for i, method in enumerate(methods):
            runs = data[(data["method"] == method) & (data["lr_rule"] == rule)]
            n_div = int((runs["status"] == "diverged").sum())
            n_fail = int(runs["status"].isin(["failed", "missing"]).sum())
            n_nan = int(((runs["status"] == "finished") & runs[column].isna()).sum())
            marks = (
                [f"{n_div} div"] * bool(n_div)
                + [f"{n_fail} fail"] * bool(n_fail)
                + [f"{n_nan} no value"] * bool(n_nan)
            )
            if runs.empty:
                marks = ["no runs"]
            if marks:
                ax.text(
                    i,
                    1.02,
                    "\n".join(marks),
                    transform=trans,
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    color="firebrick",
                )
        ax.set_title(f"{rule} rule", fontsize=10, pad=26)
        ax.set_xlabel("")
        ax.set_ylabel(f"{rank_by} {_metric_label(metric)}")
    axes[-1, 0].set_xlabel("method")
    axes[-1, 0].tick_params(axis="x", labelrotation=45 if len(methods) > 5 else 0)
    for label in axes[-1, 0].get_xticklabels():
        label.set_ha("right" if len(methods) > 5 else "center")
    n_runs = len(data)
    fig.suptitle(
        f"{experiment}: {rank_by} {_metric_label(metric)} of every sweep run "
        f"({n_runs} runs, one seed per setting; "
        f"{_direction(mode)})\nred: diverged / failed runs, counted but not plotted",
        fontsize=11,
    )
    fig.tight_layout()
    _save(fig, path)


def _sample_points(run_dir: Path) -> np.ndarray | None:
    """2-D sample points stored beside a run, if any (samples.npy, or samples.csv with x, y)."""
    npy, csv = run_dir / "samples.npy", run_dir / "samples.csv"
    try:
        if npy.is_file():
            points = np.load(npy, allow_pickle=False)
        elif csv.is_file():
            frame = pd.read_csv(csv)
            points = (
                frame[["x", "y"]].to_numpy()
                if {"x", "y"} <= set(frame.columns)
                else frame.iloc[:, :2].to_numpy()
            )
        else:
            return None
    except (OSError, ValueError, KeyError):
        return None
    points = np.asarray(points, dtype=float)
    return points if points.ndim == 2 and points.shape[1] == 2 else None


def plot_samples(confirmed: pd.DataFrame, experiment: str, path: Path) -> None:
    """Mosaic of the best confirmed run per method (any rule), labelled with its metric."""
    data = confirmed[
        (confirmed["experiment"] == experiment) & (confirmed["status"] == "finished")
    ]
    data = data[data["final_metric"].notna()]
    metric, mode = _metric_info(confirmed, experiment)
    picks = []
    for method in _sorted(data["method"], _METHOD_ORDER):
        group = data[data["method"] == method]
        picks.append(
            group.loc[
                (
                    group["final_metric"].idxmax()
                    if mode == "max"
                    else group["final_metric"].idxmin()
                )
            ]
        )
    ncols = max(1, min(5, len(picks)))
    nrows = max(1, math.ceil(len(picks) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(2.8 * ncols, 3.4 * nrows), squeeze=False
    )
    for ax in axes.flat:
        ax.axis("off")
    for ax, run in zip(axes.flat, picks):
        run_dir = Path(run["run_dir"])
        points = _sample_points(run_dir)
        if points is not None:
            ax.axis("on")
            ax.scatter(
                points[:, 0],
                points[:, 1],
                s=3,
                alpha=0.5,
                color="tab:blue",
                linewidths=0,
            )
            ax.set_aspect("equal")
            # data lie in [-1, 1]; widen only for samples that left it
            extent = (
                max(1.15, 1.05 * float(np.nanmax(np.abs(points))))
                if np.isfinite(points).any()
                else 1.15
            )
            ax.set_xlim(-extent, extent)
            ax.set_ylim(-extent, extent)
            ax.tick_params(labelsize=6)
        elif (run_dir / "samples.png").is_file():
            ax.imshow(plt.imread(run_dir / "samples.png"), interpolation="nearest")
        else:
            ax.text(
                0.5,
                0.5,
                "no samples stored",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
        ax.set_title(
            f"{run['method']}\n{run['lr_rule']}, seed {int(run['seed'])}: "
            f"{_metric_label(metric)} {_num(run['final_metric'])}",
            fontsize=9,
        )
    if not picks:
        axes[0, 0].text(
            0.5,
            0.5,
            "no finished confirmation run",
            ha="center",
            va="center",
            transform=axes[0, 0].transAxes,
        )
    fig.suptitle(
        f"{experiment}: samples of the best confirmed run per method "
        f"(final {_metric_label(metric)})",
        fontsize=11,
    )
    fig.tight_layout()
    _save(fig, path)


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


@dataclass
class AggregateResult:
    """What ``aggregate`` wrote, and the tables it wrote them from."""

    paths: list[Path] = field(default_factory=list)
    paper: pd.DataFrame | None = None
    seeds: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    metrics: dict[str, Any] | None = None


def aggregate(
    runs_dir: str | Path,
    selection_dir: str | Path | None,
    out_dir: str | Path,
    *,
    top_k: int = 10,
    confidence: float = 0.95,
    rank_by: str = "final",
    plots: bool = True,
) -> AggregateResult:
    """Write every table, plot and ``metrics.json`` of one study.

    Args:
        runs_dir: ``results/runs/<study>``.
        selection_dir: ``results/selection/<study>`` (None: select here, see
            ``confirmation_runs``).
        out_dir: ``results``; writes ``tables/``, ``plots/``, ``plots/data/``, ``metrics.json``.
        top_k: the k of Top-k (the paper: 10).
        confidence: level of the Student-t interval of the seed mean.
        rank_by: ``"final"`` (default: end-of-training metric) or ``"best"`` (best seen
            during training).
        plots: draw the PNG figures (the CSV plot data is always written).

    Returns:
        The written paths and the tables.

    Raises:
        ValueError: on bad arguments, a missing or empty runs directory, or inconsistent runs.
    """
    _rank_column(rank_by)
    if top_k < 1:
        raise ValueError(f"Invalid top_k: {top_k} (allowed: top_k >= 1)")
    if not 0.0 < confidence < 1.0:
        raise ValueError(
            f"Invalid confidence: {confidence} (allowed: 0 < confidence < 1)"
        )
    runs = load_runs(runs_dir)
    selections = load_selections(selection_dir)
    for experiment, selection in selections.items():
        metric = selection.get("metric")
        stored, _ = (
            _metric_info(runs, experiment)
            if experiment in set(runs["experiment"])
            else (metric, None)
        )
        if metric is not None and stored != "metric" and metric != stored:
            raise ValueError(
                f"Invalid selection for {experiment!r}: metric {metric!r}, "
                f"but its runs store {stored!r}"
            )
    out_dir = Path(out_dir)
    tables, plot_dir = out_dir / "tables", out_dir / "plots"
    result = AggregateResult()

    def write(path: Path, text: str) -> None:
        atomic_write_text(path, text)
        result.paths.append(path)

    paper = paper_table(runs, selections, top_k=top_k, rank_by=rank_by)
    confirmed = confirmation_runs(runs, selections, by=rank_by)
    seeds = seed_table(confirmed, confidence=confidence)
    summary = summary_table(confirmed)

    md, tex = render_paper_table(paper)
    write(tables / "paper_table.md", md)
    write(tables / "paper_table.tex", tex)
    _write_csv(tables / "paper_table.csv", paper)
    result.paths.append(tables / "paper_table.csv")
    md, tex = render_seed_table(seeds)
    write(tables / "seeds.md", md)
    write(tables / "seeds.tex", tex)
    _write_csv(tables / "seeds.csv", seeds)
    result.paths.append(tables / "seeds.csv")
    write(tables / "summary.md", render_summary(summary))
    _write_csv(tables / "summary.csv", summary)
    result.paths.append(tables / "summary.csv")

    metrics = metrics_json(paper, seeds)
    atomic_write_json(out_dir / "metrics.json", metrics)
    result.paths.append(out_dir / "metrics.json")

    curves = read_curves(confirmed)
    sweep = sweep_runs(runs, selections)
    for experiment in sorted(runs["experiment"].unique()):
        _, mode = _metric_info(runs, experiment)
        data_path = plot_dir / "data" / f"curves_{experiment}.csv"
        _write_csv(data_path, curves[curves["experiment"] == experiment])
        result.paths.append(data_path)
        if not plots:
            continue
        paths = {kind: plot_dir / f"{kind}_{experiment}.png" for kind in PLOT_KINDS}
        plot_curves(curves, experiment, mode, paths["curves"])
        plot_sweep(sweep, experiment, rank_by, paths["sweep"])
        plot_samples(confirmed, experiment, paths["samples"])
        result.paths.extend(paths.values())
    result.paper, result.seeds, result.summary, result.metrics = (
        paper,
        seeds,
        summary,
        metrics,
    )
    return result
