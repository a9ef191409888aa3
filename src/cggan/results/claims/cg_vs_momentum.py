"""CG against heavy-ball momentum at the matched cap: paired differences per seed.

With β at its cap most of the time (β = c·β_max, Naganuma & Iiduka 2023, Eq. 7), a CG
run moves like heavy-ball momentum with coefficient c·β_max. The control is a
``momentum`` run with hyperparameter ``momentum`` = c·β_max at the same experiment, lr
rule, lr_D, lr_G and seed: its *twin*. Each CG run with a twin is one **pair**.

Definitions (one row of :func:`cg_vs_momentum_table` per experiment × CG method × lr
rule × coefficient c; ``cg_<rule>`` and ``cg_<rule>_authors`` are separate methods,
labelled by ``variant`` "paper" and "authors"):

* **advantage** of a pair = ``momentum − CG`` of the final metric for "min" metrics
  (FID) and ``CG − momentum`` for "max" metrics (modes covered): **positive always means
  CG better**.
* A side *finished* when its status is ``"finished"`` with a finite final metric;
  diverged, failed and missing runs did not. A pair where exactly one side finished is
  a **win for the side that finished** (it enters ``win_share``) but has no difference,
  so it is **excluded from the difference statistics**. A pair where neither finished
  is excluded from everything (counted in ``n_both_failed``). Missing runs (listed,
  never run: no ``summary.json``) are left out on both sides.
* ``n_pairs``: pairs with at least one finished side; ``n_compared``: pairs where both
  finished (the n of ``mean_diff``, its interval and the test).
* ``mean_diff``: mean advantage over the compared pairs; ``ci_low``/``ci_high``: 95 %
  percentile bootstrap of that mean (10,000 resamples of the pairs with replacement,
  ``numpy.random.default_rng(0)``); none for ``n_compared`` < 2.
* ``win_share``: share of the ``n_pairs`` pairs that CG wins (CG strictly better, or
  only CG finished); ties are not wins.
* ``p_value``: two-sided Wilcoxon signed-rank test of the advantages
  (``scipy.stats.wilcoxon``, zero differences dropped); none for ``n_compared`` < 2 or
  when every difference is zero.

A CG group without any twin is one row with ``n_pairs`` 0 and a ``reason``.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cggan.registry import CG_RULES
from cggan.results.runs.load import metric_info, ordered_methods, ordered_rules
from cggan.results.tables.formatting import DASH, md_table, metric_label, num

__all__ = [
    "MATCH_COLUMNS",
    "PAIR_COLUMNS",
    "bootstrap_mean_interval",
    "cg_methods",
    "cg_vs_momentum_table",
    "match_pairs",
    "parse_kwargs",
    "render_cg_vs_momentum",
    "wilcoxon_p",
]

#: ``momentum``'s coefficient when its run does not sweep one (``cggan.methods``).
DEFAULT_MOMENTUM = 0.9
#: CG's coefficient c when its run does not sweep it (``cggan.methods``).
DEFAULT_BETA_COEFF = 1.0
BOOTSTRAP_RESAMPLES = 10_000
PAIR_COLUMNS = ["experiment", "metric", "mode", "method", "variant", "lr_rule",
                "beta_coeff", "cap", "cg_hparams", "n_cg_runs", "n_pairs",
                "n_compared", "n_cg_only", "n_momentum_only", "n_both_failed",
                "cg_mean", "momentum_mean", "mean_diff", "ci_low", "ci_high",
                "win_share", "p_value", "reason"]  # fmt: skip
MATCH_COLUMNS = ["experiment", "method", "variant", "lr_rule", "beta_coeff", "cap",
                 "cg_hparams", "lr_d", "lr_g", "seed", "cg_setting", "cg_status",
                 "cg_final", "momentum_setting", "momentum_status", "momentum_final",
                 "outcome", "advantage"]  # fmt: skip
_GROUP = ["experiment", "method", "lr_rule", "beta_coeff", "cg_hparams"]


def cg_methods(variant: str | None = None) -> dict[str, tuple[str, str]]:
    """``{method: (beta rule, variant)}`` of the registry's CG methods (of one
    ``variant``, "paper" or "authors", if given)."""
    out = {f"cg_{r}": (r, "paper") for r in CG_RULES}
    out.update({f"cg_{r}_authors": (r, "authors") for r in CG_RULES})
    return {m: v for m, v in out.items() if variant in (None, v[1])}


def parse_kwargs(value: Any) -> dict[str, Any]:
    """A run's ``method_kwargs`` (JSON text, a dict, or NaN/None for none) as a dict."""
    if isinstance(value, dict):
        return dict(value)
    if not isinstance(value, str) or not value.strip():
        return {}
    parsed = json.loads(value)
    return parsed if isinstance(parsed, dict) else {}


def _key(run: Any, momentum: float) -> tuple[str, ...]:
    """A run's pairing key: (experiment, rule, lr_d, lr_g, seed, momentum or matched
    cap), hashable; floats to 12 significant digits (lr 1e-3 == 0.001)."""
    values = (
        run["experiment"],
        run["lr_rule"],
        float(run["lr_d"]),
        float(run["lr_g"]),
        int(run["seed"]),
        momentum,
    )
    return tuple(f"{v:.12g}" if isinstance(v, float) else str(v) for v in values)


def _final(row: Any) -> float:
    """The final metric if the run finished with a finite value, else NaN."""
    value = float(row["final_metric"]) if row["status"] == "finished" else math.nan
    return value if math.isfinite(value) else math.nan


def _twins(runs: pd.DataFrame) -> dict[tuple[str, ...], pd.Series]:
    """Momentum runs by (experiment, rule, lr_d, lr_g, seed, momentum); first wins."""
    index: dict[tuple[str, ...], pd.Series] = {}
    momentum = runs[(runs["method"] == "momentum") & (runs["status"] != "missing")]
    momentum = momentum.sort_values("setting", kind="stable")
    for _, run in momentum.iterrows():
        mu = float(parse_kwargs(run["method_kwargs"]).get("momentum", DEFAULT_MOMENTUM))
        index.setdefault(_key(run, mu), run)
    return index


def _coeff_cap(kwargs: dict[str, Any], beta_max: float) -> tuple[float, float]:
    """``(c, c · β_max)`` of a CG run (its own ``beta_max`` if it names one)."""
    coeff = float(kwargs.get("beta_coeff", DEFAULT_BETA_COEFF))
    return coeff, coeff * float(kwargs.get("beta_max", beta_max))


def _pair_row(run: pd.Series, twin: pd.Series | None, beta_max: float, mode: str):
    kwargs = parse_kwargs(run["method_kwargs"])
    coeff, cap = _coeff_cap(kwargs, beta_max)
    kwargs.pop("beta_coeff", None)
    kwargs.pop("beta_max", None)
    cg = _final(run)
    mom = math.nan if twin is None else _final(twin)
    if twin is None:
        outcome = "unmatched"
    else:
        outcome = {
            (True, True): "both",
            (True, False): "cg_only",
            (False, True): "momentum_only",
            (False, False): "neither",
        }[(not math.isnan(cg), not math.isnan(mom))]
    sign = 1.0 if mode == "max" else -1.0
    return {
        "experiment": run["experiment"],
        "method": run["method"],
        "variant": cg_methods()[run["method"]][1],
        "lr_rule": run["lr_rule"],
        "beta_coeff": coeff,
        "cap": cap,
        "cg_hparams": json.dumps(kwargs, sort_keys=True),
        "lr_d": run["lr_d"],
        "lr_g": run["lr_g"],
        "seed": run["seed"],
        "cg_setting": run["setting"],
        "cg_status": run["status"],
        "cg_final": cg,
        "momentum_setting": None if twin is None else twin["setting"],
        "momentum_status": None if twin is None else twin["status"],
        "momentum_final": mom,
        "outcome": outcome,
        "advantage": sign * (cg - mom),
    }


def match_pairs(runs: pd.DataFrame, *, beta_max: float = 0.5) -> pd.DataFrame:
    """Each CG run beside its momentum twin (see the module docstring).

    Args:
        runs: :func:`cggan.results.runs.load.load_runs` rows (any seeds).
        beta_max: the cap β̂ of the CG rules, unless a run's ``method_kwargs`` names
            its own ``beta_max``.

    Returns:
        One row per CG run: its group keys (experiment, method, variant, lr_rule,
        beta_coeff, cap, cg_hparams = its other hyperparameters as JSON), lr_d, lr_g,
        seed, both sides' setting, status and final metric (NaN unless finished),
        ``outcome`` (``both``, ``cg_only``, ``momentum_only``, ``neither``,
        ``unmatched``) and ``advantage`` (positive = CG better; NaN unless both).
    """
    if not 0.0 <= beta_max < 1.0:
        raise ValueError(f"Invalid beta_max: {beta_max} (allowed: 0 <= beta_max < 1)")
    twins = _twins(runs)
    cg = runs[runs["method"].isin(list(cg_methods())) & (runs["status"] != "missing")]
    modes = {e: metric_info(runs, e)[1] for e in cg["experiment"].unique()}
    rows = []
    for _, run in cg.iterrows():
        _, cap = _coeff_cap(parse_kwargs(run["method_kwargs"]), beta_max)
        twin = twins.get(_key(run, cap))
        rows.append(_pair_row(run, twin, beta_max, modes[run["experiment"]]))
    return pd.DataFrame(rows, columns=MATCH_COLUMNS)


def bootstrap_mean_interval(
    values: Sequence[float], confidence: float, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean; ``(nan, nan)`` for n < 2."""
    arr = np.asarray(values, dtype=float)
    if len(arr) < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, len(arr), (BOOTSTRAP_RESAMPLES, len(arr)))].mean(1)
    low, high = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(low), float(high)


def wilcoxon_p(diffs: Sequence[float], alternative: str = "two-sided") -> float:
    """Wilcoxon signed-rank p-value; NaN for n < 2 or all differences zero."""
    arr = np.asarray(diffs, dtype=float)
    if len(arr) < 2 or not np.any(arr != 0):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "exact p-value with zeros": normal approx.
        return float(stats.wilcoxon(arr, alternative=alternative).pvalue)


def _reason(n_matched: int, n_pairs: int, diffs: np.ndarray, cap: float) -> str | None:
    if n_matched == 0:
        return f"no momentum run with momentum={cap:g} at the same lr_d, lr_g and seed"
    if n_pairs == 0:
        return "every matched pair failed on both sides"
    if len(diffs) < 2:
        return f"n_compared={len(diffs)} < 2: no interval, no test"
    if not np.any(diffs != 0):
        return "all differences zero: no test"
    return None


def _group_row(
    group: pd.DataFrame, runs: pd.DataFrame, confidence: float
) -> dict[str, Any]:
    first = group.iloc[0]
    metric, mode = metric_info(runs, first["experiment"])
    outcome = group["outcome"]
    both = group[outcome == "both"]
    diffs = both["advantage"].to_numpy(dtype=float)
    n_pairs = int(outcome.isin(["both", "cg_only", "momentum_only"]).sum())
    wins = int((diffs > 0).sum() + (outcome == "cg_only").sum())
    low, high = bootstrap_mean_interval(diffs, confidence)
    return {
        **{k: first[k] for k in _GROUP},
        "metric": metric,
        "mode": mode,
        "variant": first["variant"],
        "cap": first["cap"],
        "n_cg_runs": len(group),
        "n_pairs": n_pairs,
        "n_compared": len(diffs),
        "n_cg_only": int((outcome == "cg_only").sum()),
        "n_momentum_only": int((outcome == "momentum_only").sum()),
        "n_both_failed": int((outcome == "neither").sum()),
        "cg_mean": float(both["cg_final"].mean()) if len(both) else math.nan,
        "momentum_mean": float(both["momentum_final"].mean())
        if len(both)
        else math.nan,
        "mean_diff": float(diffs.mean()) if len(diffs) else math.nan,
        "ci_low": low,
        "ci_high": high,
        "win_share": wins / n_pairs if n_pairs else math.nan,
        "p_value": wilcoxon_p(diffs),
        "reason": _reason(
            int((outcome != "unmatched").sum()), n_pairs, diffs, float(first["cap"])
        ),
    }


def cg_vs_momentum_table(
    runs: pd.DataFrame, *, confidence: float, beta_max: float = 0.5
) -> pd.DataFrame:
    """CG vs momentum at the matched cap, one row per experiment × CG method × lr
    rule × coefficient (and other CG hyperparameters, ``cg_hparams``).

    Args:
        runs: :func:`cggan.results.runs.load.load_runs` rows (sweep and confirmation
            runs: pairs are matched by seed, so every seed with both runs counts).
        confidence: of the bootstrap interval of the mean advantage (the study's
            ``aggregate.confidence``).
        beta_max: the CG cap β̂ (the twin's momentum is ``beta_coeff · beta_max``).

    Returns:
        :data:`PAIR_COLUMNS`, defined in the module docstring; rows in registry order.
    """
    pairs = match_pairs(runs, beta_max=beta_max)
    if pairs.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    rows = [
        _group_row(g, runs, confidence) for _, g in pairs.groupby(_GROUP, sort=False)
    ]
    table = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    order = {m: i for i, m in enumerate(ordered_methods(table["method"]))}
    rules = {r: i for i, r in enumerate(ordered_rules(table["lr_rule"]))}
    table = table.assign(_m=table["method"].map(order), _r=table["lr_rule"].map(rules))
    table = table.sort_values(["experiment", "_m", "_r", "beta_coeff", "cg_hparams"])
    return table.drop(columns=["_m", "_r"]).reset_index(drop=True)


def _pct(value: Any) -> str:
    return DASH if not math.isfinite(float(value)) else f"{100 * float(value):.0f} %"


def _p(value: Any) -> str:
    value = float(value)
    return DASH if not math.isfinite(value) else f"{value:.3g}"


def _cells(row: pd.Series) -> list[str]:
    interval = (
        DASH
        if not math.isfinite(float(row["ci_low"]))
        else f"[{num(row['ci_low'])}, {num(row['ci_high'])}]"
    )
    hparams = "" if row["cg_hparams"] in ("{}", "", None) else f" {row['cg_hparams']}"
    return [
        f"{row['method']}{hparams}",
        row["variant"],
        row["lr_rule"],
        f"{float(row['beta_coeff']):g}",
        f"{float(row['cap']):g}",
        str(int(row["n_pairs"])),
        str(int(row["n_compared"])),
        f"{int(row['n_cg_only'])}/{int(row['n_momentum_only'])}",
        num(row["cg_mean"]),
        num(row["momentum_mean"]),
        num(row["mean_diff"]),
        interval,
        _pct(row["win_share"]),
        _p(row["p_value"]),
        row["reason"] if isinstance(row["reason"], str) else "",
    ]


def render_cg_vs_momentum(table: pd.DataFrame) -> str:
    """The table as Markdown, one section per experiment, each with its caption."""
    header = [
        "CG method",
        "variant",
        "lr rule",
        "c",
        "momentum",
        "pairs",
        "compared",
        "only CG/only mom. finished",
        "CG mean",
        "momentum mean",
        "advantage",
        "95 % CI",
        "CG wins",
        "Wilcoxon p",
        "note",
    ]
    if table.empty:
        return "_No CG runs: no CG vs matched-momentum comparison._\n"
    parts = []
    for experiment, block in table.groupby("experiment", sort=False):
        metric, mode = block["metric"].iloc[0], block["mode"].iloc[0]
        better = "lower" if mode == "min" else "higher"
        diff = "momentum − CG" if mode == "min" else "CG − momentum"
        parts.append(
            f"**{experiment}: CG vs heavy-ball momentum at the matched cap** "
            f"(final {metric_label(metric)}, {better} is better). Each CG run is "
            "paired "
            "with the `momentum` run of momentum = c·β_max at the same lr rule, lr_D, "
            f"lr_G and seed. Advantage = {diff} of the final metric: **positive means "
            "CG better**; mean over the pairs where both finished, 95 % percentile "
            "bootstrap interval over pairs (10,000 resamples, seed 0; none for n < 2), "
            "two-sided Wilcoxon signed-rank p. A pair where only one side finished "
            "(the other diverged or failed) counts as a win for the finished side in "
            "'CG wins' but not in the advantage; pairs where neither finished are "
            "left out.\n\n" + md_table(header, [_cells(r) for _, r in block.iterrows()])
        )
    return "\n".join(parts)
