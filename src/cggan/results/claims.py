"""The claims check: the seed papers' claims confronted with what the study measured.

Claims (CG: Naganuma & Iiduka, AISTATS 2023; nSGDA, grafting: Jelassi et al. 2022),
per experiment × lr rule (CG claims per arm, ``cg_<rule>`` or ``cg_<rule>_authors``)
where both sides have runs. A *pool*: the finished sweep runs of one method × rule ×
value of its swept hyperparameters (one lr grid each: pools of equal size), valued by
the paper table's ``rank_by`` metric; its *Top-k pool*: its k best values. A method's
best pool has the best Top-1 (ties: Top-k mean); "CG" is the arm's best CG pool. Tests
and verdict rules: :data:`CLAIMS`; ``holds`` when the claim's one-sided p < α,
``contradicted`` when the opposite one-sided p < α, else ``inconclusive`` — also with
< 3 finished runs (pairs) a side, or every compared value worse than or within 10 % of
the noise ceiling ("at noise level").
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cggan.results import pairs as cgp
from cggan.results.runs import ordered_rules
from cggan.results.stats import metric_info, rank_column, sweep_runs
from cggan.results.tables import DASH

__all__ = ["CLAIMS", "CLAIM_COLUMNS", "claims_table", "render_claims"]

CLAIM_COLUMNS = ["experiment", "claim", "compared", "statistic", "p_value", "verdict",
                 "reason"]  # fmt: skip
_MWU = "one-sided Mann–Whitney U"
#: Each claim and its exact test: ``{letter: (claim, test)}``.
CLAIMS = {
    "a": ("CG beats SGD in best metric",
          f"{_MWU} (scipy.stats.mannwhitneyu), CG's best pool vs SGD's"),
    "b": ("CG beats momentum SGD (0.9) in best metric",
          f"{_MWU}, CG's best pool vs momentum 0.9's best pool"),
    "c": ("CG beats Adam on average over the lr grid",
          (f"{_MWU} over all sweep runs of the arm's CG methods vs all of Adam's, "
          "diverged and failed runs ranked worst (missing runs left out)")),
    "d": ("CG is more robust to the lr than Adam (smaller Top-k spread)",
          ("Brown–Forsythe test (scipy.stats.levene, center='median') of the Top-k "
          "pools of CG and Adam (best pools), one-sided by the sign of the std "
          "difference (p/2 when CG's std is smaller, else 1 − p/2)")),
    "e": ("with a diminishing rule CG is best on Top-1 and Top-k",
          (f"{_MWU} of CG's Top-k pool vs that of the best non-CG pool by Top-k mean; "
          "holds only if CG's Top-1 and Top-k mean are also the best of all pools "
          "(rules sqrt, power, step, step_authors)")),
    "f": ("nSGDA matches Adam",
          ("holds if a two-sided Mann–Whitney U of the Top-k pools of nSGDA and Adam "
          "(best pools) does not reject and |Δ Top-k mean| ≤ 10 % of Adam's, else "
          "contradicted")),
    "g": ("Adam-magnitude grafting (graft_adam_sgd) matches Adam",
          "as f, for graft_adam_sgd"),
    "h": ("CG beats heavy-ball momentum at the matched cap",
          ("one-sided Wilcoxon signed-rank test (scipy.stats.wilcoxon) of the "
          "advantages of CG's best method over its momentum twins (momentum = "
          "c·β_max, same lr rule, lr_D, lr_G and seed; all seeds; pairs with an "
          "unfinished side left out; cggan.results.pairs)")),
}  # fmt: skip
MIN_RUNS = 3
TOLERANCE = 0.10
NOISE_BAND = 0.10
DIMINISHING = ("sqrt", "power", "step", "step_authors")
Pool = tuple[str, str, np.ndarray]  # (method, hyperparameters as JSON, values)


@dataclass
class _Ctx:
    experiment: str
    sign: float  # +1: higher is better ("max"), -1: lower is better ("min")
    column: str
    k: int
    sweep: pd.DataFrame
    seeds: pd.DataFrame
    pairs: pd.DataFrame
    alpha: float


def _fmt(value: float) -> str:
    return DASH if not math.isfinite(value) else f"{value:.4g}"


def _label(pool: Pool) -> str:
    return pool[0] + "".join(f" {k}={v}" for k, v in json.loads(pool[1]).items())


def _pools(ctx: _Ctx, methods, rule: str, *, worst: bool = False) -> list[Pool]:
    """Pools of ``methods`` × ``rule``; ``worst``: per method, unfinished = worst."""
    runs = ctx.sweep[ctx.sweep["method"].isin(list(methods))
                     & (ctx.sweep["lr_rule"] == rule)]  # fmt: skip
    keys = ["method"] if worst else ["method", "_pool"]
    out = []
    for key, group in runs.groupby(keys, sort=False):
        values = group[ctx.column].astype(float).where(group["status"] == "finished")
        if worst:
            values = values[group["status"] != "missing"].fillna(-ctx.sign * math.inf)
        else:
            values = values[np.isfinite(values)]
        out.append((key[0], "{}" if worst else key[1], values.to_numpy()))
    return out


def _top(ctx: _Ctx, values: np.ndarray) -> np.ndarray:
    return values[np.argsort(-ctx.sign * values, kind="stable")][: ctx.k]


def _best(ctx: _Ctx, pools: list[Pool], by: str = "top1") -> Pool | None:
    """The pool with the best Top-1 (ties: Top-k mean), or by ``"topk"`` mean."""

    def key(pool: Pool) -> tuple[float, float]:
        top = _top(ctx, pool[2])
        if not len(top):
            return (math.inf, math.inf)
        top1, mean = -ctx.sign * top[0], -ctx.sign * float(top.mean())
        return (top1, mean) if by == "top1" else (mean, top1)

    return min(pools, key=key) if pools else None


def _mwu(ctx: _Ctx, a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """``(U, p that a is better, p that b is better)``, one-sided Mann–Whitney U."""
    sa, sb = ctx.sign * a, ctx.sign * b
    test = stats.mannwhitneyu(sa, sb, alternative="greater")
    reverse = stats.mannwhitneyu(sa, sb, alternative="less").pvalue
    return float(test.statistic), float(test.pvalue), float(reverse)


def _row(ctx, claim, compared, statistic, p, verdict, reason=None, values=()):
    return {"experiment": ctx.experiment, "claim": f"{claim}. {CLAIMS[claim][0]}",
            "compared": compared, "statistic": statistic, "p_value": p,
            "verdict": verdict, "reason": reason, "_values": list(values)}  # fmt: skip


def _too_few(ctx, claim, compared, sizes: tuple[int, int], reason: str = ""):
    reason = reason or (f"too few finished runs: n={sizes[0]} vs {sizes[1]} "
                        f"(need ≥ {MIN_RUNS} per side)")  # fmt: skip
    return _row(ctx, claim, compared, DASH, math.nan, "inconclusive", reason)


def _decide(ctx: _Ctx, p: float, p_rev: float) -> tuple[str, str | None]:
    if p < ctx.alpha:
        return "holds", None
    if p_rev < ctx.alpha:
        return "contradicted", f"the opposite one-sided test rejects (p={p_rev:.3g})"
    return "inconclusive", f"no significant difference at α={ctx.alpha:g}"


def _confirmed(ctx: _Ctx, methods: list[str], rule: str) -> str:
    """The confirmed seed means of ``methods`` (seed table), as text."""
    rows = ctx.seeds[ctx.seeds["method"].isin(methods) & (ctx.seeds["lr_rule"] == rule)]
    text = [f"{r.method} {_fmt(float(r.final_mean))}" for r in rows.itertuples()]
    return f"; confirmed means: {', '.join(text)}" if text else ""


def _beats(ctx: _Ctx, claim: str, cg: Pool, base: str, rule: str) -> dict[str, Any]:
    """Claims a, b: Mann–Whitney U of CG's best pool vs the baseline's best pool
    (``momentum``: of its pools at 0.9 only)."""
    pools = [p for p in _pools(ctx, [base], rule) if base != "momentum"
             or math.isclose(json.loads(p[1]).get("momentum", 0.9), 0.9)]  # fmt: skip
    other = _best(ctx, pools) or (base, '{"momentum": 0.9}', np.empty(0))
    a, b = cg[2], other[2]
    compared = f"{_label(cg)} vs {_label(other)} ({rule}; sweep pools)"
    if min(len(a), len(b)) < MIN_RUNS:
        return _too_few(ctx, claim, compared, (len(a), len(b)))
    u, p, p_rev = _mwu(ctx, a, b)
    top1 = (_top(ctx, a)[0], _top(ctx, b)[0])
    text = (f"U={u:g}, n={len(a)} vs {len(b)}; Top-1 {_fmt(top1[0])} vs "
            f"{_fmt(top1[1])}{_confirmed(ctx, [cg[0], base], rule)}")  # fmt: skip
    return _row(ctx, claim, compared, text, p, *_decide(ctx, p, p_rev), values=top1)


def _on_average(ctx: _Ctx, rule: str, arm: str) -> dict[str, Any] | None:
    """Claim c: all sweep runs of the arm's CG methods vs Adam's, unfinished = worst."""
    cg = _pools(ctx, cgp.cg_methods(arm), rule, worst=True)
    a = np.concatenate([p[2] for p in cg]) if cg else np.empty(0)
    b = np.concatenate([p[2] for p in _pools(ctx, ["adam"], rule, worst=True)])
    compared = (f"{'cg_*' if arm == 'paper' else 'cg_*_authors'} ({len(cg)} CG "
                f"method(s)) vs adam ({rule}; all sweep runs)")  # fmt: skip
    n_fin = (int(np.isfinite(a).sum()), int(np.isfinite(b).sum()))
    if min(n_fin) < MIN_RUNS:
        return _too_few(ctx, "c", compared, n_fin)
    u, p, p_rev = _mwu(ctx, a, b)
    med = (float(np.median(a)), float(np.median(b)))
    text = (f"U={u:g}, n={len(a)} vs {len(b)} ({len(a) - n_fin[0]} vs "
            f"{len(b) - n_fin[1]} unfinished, ranked worst); medians {_fmt(med[0])} "
            f"vs {_fmt(med[1])}")  # fmt: skip
    return _row(ctx, "c", compared, text, p, *_decide(ctx, p, p_rev), values=med)


def _robust(ctx: _Ctx, cg: Pool, rule: str) -> dict[str, Any]:
    """Claim d: Brown–Forsythe test of the Top-k pools, one-sided by the sign."""
    adam = _best(ctx, _pools(ctx, ["adam"], rule))
    a, b = _top(ctx, cg[2]), _top(ctx, adam[2])
    compared = f"{_label(cg)} vs {_label(adam)} ({rule}; Top-{ctx.k} pools)"
    if min(len(a), len(b)) < MIN_RUNS:
        return _too_few(ctx, "d", compared, (len(a), len(b)))
    sd = (float(np.std(a, ddof=1)), float(np.std(b, ddof=1)))
    w, p2 = stats.levene(a, b, center="median") if max(sd) > 0 else (math.nan,) * 2
    text = f"W={w:.3g}; Top-{ctx.k} std {_fmt(sd[0])} vs {_fmt(sd[1])}"
    if not math.isfinite(p2):
        return _row(ctx, "d", compared, text, math.nan, "inconclusive",
                    "no spread in either pool: the test is undefined")  # fmt: skip
    p = p2 / 2 if sd[0] < sd[1] else 1 - p2 / 2
    values = (float(np.mean(a)), float(np.mean(b)))
    return _row(ctx, "d", compared, text, p, *_decide(ctx, p, 1 - p), values=values)


def _best_on_diminishing(ctx: _Ctx, cg: Pool, rule: str) -> dict[str, Any] | None:
    """Claim e: Mann–Whitney U vs the best other Top-k pool; CG's Top-1/Top-k best."""
    others = [m for m in ctx.sweep["method"].unique() if m not in cgp.cg_methods()]
    pools = [p for p in _pools(ctx, others, rule) if len(p[2])]
    if not pools:
        return None
    by_mean, by_top1 = _best(ctx, pools, "topk"), _best(ctx, pools)
    a, b = _top(ctx, cg[2]), _top(ctx, by_mean[2])
    compared = f"{_label(cg)} vs {_label(by_mean)} ({rule}; Top-{ctx.k} pools)"
    if min(len(a), len(b)) < MIN_RUNS:
        return _too_few(ctx, "e", compared, (len(a), len(b)))
    u, p, p_rev = _mwu(ctx, a, b)
    mine, theirs = (a[0], a.mean()), (_top(ctx, by_top1[2])[0], b.mean())
    text = (f"U={u:g}; Top-1 {_fmt(mine[0])} vs best other {_fmt(theirs[0])} "
            f"({_label(by_top1)}); Top-{ctx.k} mean {_fmt(mine[1])} vs "
            f"{_fmt(theirs[1])}")  # fmt: skip
    verdict, reason = _decide(ctx, p, p_rev)
    lost = [n for n, x, y in zip(("Top-1", "Top-k mean"), mine, theirs, strict=True)
            if ctx.sign * (x - y) < 0]  # fmt: skip
    if verdict == "holds" and lost:
        verdict, reason = "inconclusive", f"CG not best on {' and '.join(lost)}"
    return _row(ctx, "e", compared, text, p, verdict, reason, (*mine, theirs[1]))


def _matches(ctx: _Ctx, claim: str, method: str, rule: str) -> dict[str, Any]:
    """Claims f, g: two-sided Mann–Whitney U of the Top-k pools and a tolerance."""
    pool = _best(ctx, _pools(ctx, [method], rule))
    adam = _best(ctx, _pools(ctx, ["adam"], rule))
    a, b = _top(ctx, pool[2]), _top(ctx, adam[2])
    compared = f"{_label(pool)} vs {_label(adam)} ({rule}; Top-{ctx.k} pools)"
    if min(len(a), len(b)) < MIN_RUNS:
        return _too_few(ctx, claim, compared, (len(a), len(b)))
    test = stats.mannwhitneyu(a, b, alternative="two-sided")
    p, means = float(test.pvalue), (float(np.mean(a)), float(np.mean(b)))
    gap, allowed = abs(means[0] - means[1]), TOLERANCE * abs(means[1])
    better = "better" if ctx.sign * (means[0] - means[1]) > 0 else "worse"
    text = (f"U={test.statistic:g}; Top-{ctx.k} mean {_fmt(means[0])} vs "
            f"{_fmt(means[1])} (|Δ|={_fmt(gap)}, {better}; tolerance {TOLERANCE:.0%} "
            f"of Adam's = {_fmt(allowed)})")  # fmt: skip
    problems = [f"two-sided test rejects at α={ctx.alpha:g}"] * (p < ctx.alpha) + [
        "difference beyond the tolerance"] * (gap > allowed)  # fmt: skip
    verdict = "contradicted" if problems else "holds"
    return _row(ctx, claim, compared, text, p, verdict, "; ".join(problems) or None,
                means)  # fmt: skip


def _vs_matched(ctx: _Ctx, cg: Pool, rule: str) -> dict[str, Any]:
    """Claim h: one-sided Wilcoxon over the matched pairs of CG's best method."""
    pairs = ctx.pairs[(ctx.pairs["method"] == cg[0]) & (ctx.pairs["lr_rule"] == rule)]
    compared = f"{cg[0]} vs momentum c·β_max ({rule}; pairs of equal lr and seed)"
    both = pairs[pairs["outcome"] == "both"]
    if len(both) < MIN_RUNS:
        reason = (f"too few pairs with both finished: n={len(both)} (need ≥ {MIN_RUNS})"
                  if (pairs["outcome"] != "unmatched").any() else
                  "no momentum run at the matched cap, lr and seed")  # fmt: skip
        return _too_few(ctx, "h", compared, (0, 0), reason)
    diffs = both["advantage"].to_numpy(dtype=float)
    p, p_rev = cgp.wilcoxon_p(diffs, "greater"), cgp.wilcoxon_p(diffs, "less")
    text = (f"mean advantage {_fmt(float(diffs.mean()))} (positive = CG better), "
            f"CG wins {int((diffs > 0).sum())}/{len(diffs)} pairs")  # fmt: skip
    if not math.isfinite(p):
        return _row(ctx, "h", compared, text, p, "inconclusive", "all differences zero")
    values = (float(both["cg_final"].mean()), float(both["momentum_final"].mean()))
    return _row(ctx, "h", compared, text, p, *_decide(ctx, p, p_rev), values=values)


def _experiment_rows(ctx: _Ctx) -> list[dict[str, Any]]:
    has = set(zip(ctx.sweep["method"], ctx.sweep["lr_rule"], strict=True))
    rows: list[dict[str, Any] | None] = []
    for rule in ordered_rules(ctx.sweep["lr_rule"]):
        for arm in ("paper", "authors"):
            cg = _best(ctx, _pools(ctx, cgp.cg_methods(arm), rule))
            if cg is None:
                continue
            for claim, base in (("a", "sgd"), ("b", "momentum")):
                if (base, rule) in has:
                    rows.append(_beats(ctx, claim, cg, base, rule))
            if ("adam", rule) in has:
                rows += [_on_average(ctx, rule, arm), _robust(ctx, cg, rule)]
            if rule in DIMINISHING:
                rows.append(_best_on_diminishing(ctx, cg, rule))
            rows.append(_vs_matched(ctx, cg, rule))
        for claim, method in (("f", "nsgda"), ("g", "graft_adam_sgd")):
            if (method, rule) in has and ("adam", rule) in has:
                rows.append(_matches(ctx, claim, method, rule))
    return [r for r in rows if r is not None]


def _apply_noise(rows, calibration: pd.DataFrame | None, experiment: str, sign: float):
    """Inconclusive where every compared value is worse than, or within 10 % of, the
    noise ceiling (``sign``: +1 for "max" metrics, −1 for "min")."""
    hit = [] if calibration is None else calibration["experiment"] == experiment
    ceiling = float(calibration["noise_ceiling"][hit].iloc[0]) if any(hit) else math.nan
    if not math.isfinite(ceiling):
        return rows
    for row in rows:
        gaps = [sign * (v - ceiling) for v in row["_values"]]
        if gaps and all(g <= NOISE_BAND * abs(ceiling) for g in gaps):
            row["reason"] = (f"at noise level: every compared value within "
                             f"{NOISE_BAND:.0%} of the noise ceiling {_fmt(ceiling)} "
                             f"or worse (test alone: {row['verdict']})")  # fmt: skip
            row["verdict"] = "inconclusive"
    return rows


def _check(paper: pd.DataFrame, calibration: pd.DataFrame | None, alpha: float):
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"Invalid alpha: {alpha} (allowed: 0 < alpha < 1)")
    if missing := {"experiment", "k", "rank_by"} - set(paper.columns):
        raise ValueError(f"Invalid paper table: missing columns {sorted(missing)}")
    cols = {"experiment", "noise_ceiling"} if calibration is None else calibration
    if missing := {"experiment", "noise_ceiling"} - set(cols):
        raise ValueError(f"Invalid calibration: missing columns {sorted(missing)}")


def claims_table(
    runs: pd.DataFrame,
    paper: pd.DataFrame,
    seeds: pd.DataFrame | None,
    calibration: pd.DataFrame | None = None,
    *,
    alpha: float = 0.05,
    selections: Mapping[str, Mapping[str, Any]] | None = None,
    beta_max: float = 0.5,
) -> pd.DataFrame:
    """The claims check, one row per claim × experiment (× lr rule × CG arm).

    Args:
        runs: :func:`cggan.results.runs.load_runs` rows; pools come from its sweep
            (``sweep_runs(runs, selections)``), claim h's pairs from every seed.
        paper: ``paper_table`` of the runs (its k and ``rank_by``; an experiment
            without rows is skipped).
        seeds: ``seed_table`` (confirmed means shown for claims a, b) or None.
        calibration: rows ``experiment, real_floor, noise_ceiling`` or None.
        alpha: significance level. selections: the workflow's (``sweep_seed``).
        beta_max: the CG cap (claim h's twin has momentum ``c · beta_max``).

    Returns:
        :data:`CLAIM_COLUMNS` (the six asked for, then ``reason``); verdict ∈
        {holds, contradicted, inconclusive}; tests: :data:`CLAIMS`.
    """
    _check(paper, calibration, alpha)
    if seeds is None or "final_mean" not in seeds:
        seeds = pd.DataFrame(columns=["experiment", "method", "lr_rule", "final_mean"])
    seeds = seeds[np.isfinite(seeds["final_mean"].astype(float))]
    pairs = cgp.match_pairs(runs, beta_max=beta_max)
    sweep = sweep_runs(runs, selections)
    sweep["_pool"] = [json.dumps(cgp.parse_kwargs(v), sort_keys=True)
                      for v in sweep["method_kwargs"]]  # fmt: skip
    out: list[dict[str, Any]] = []
    for experiment in sorted(sweep["experiment"].unique()):
        exp_paper = paper[paper["experiment"] == experiment]
        if exp_paper.empty:
            continue
        sign = 1.0 if metric_info(runs, experiment)[1] == "max" else -1.0
        of = {n: f[f["experiment"] == experiment] for n, f in
              (("sweep", sweep), ("seeds", seeds), ("pairs", pairs))}  # fmt: skip
        ctx = _Ctx(experiment, sign, rank_column(str(exp_paper["rank_by"].iloc[0])),
                   int(exp_paper["k"].iloc[0]), alpha=alpha, **of)  # fmt: skip
        rows = _apply_noise(_experiment_rows(ctx), calibration, experiment, sign)
        out += sorted(rows, key=lambda r: r["claim"][0])
    return pd.DataFrame(out, columns=CLAIM_COLUMNS)


def render_claims(table: pd.DataFrame, *, alpha: float = 0.05) -> str:
    """The claims table as Markdown with a caption stating the tests and α."""
    tests = "; ".join(f"{k} — {t}" for k, (_, t) in CLAIMS.items())
    caption = (
        f"**Claims check** (α = {alpha:g}; a claim *holds* when its test's p < α, is "
        "*contradicted* when the opposite one-sided p < α, else *inconclusive*; a "
        "pool is one method's finished sweep runs at one hyperparameter value over "
        f"the lr grid, CG's the best by Top-1). Tests: {tests}. Fewer than "
        f"{MIN_RUNS} finished runs (pairs) a side, or every compared value within "
        f"{NOISE_BAND:.0%} of the noise ceiling or worse: inconclusive, with the "
        "reason.\n\n"
    )
    if table.empty:
        return caption + "_No claim applies to the runs of this study._\n"
    header = ["experiment", "claim", "compared", "statistic", "p", "verdict", "reason"]
    rows = [
        [r["experiment"], r["claim"], r["compared"], r["statistic"],
         DASH if not math.isfinite(float(r["p_value"])) else f"{r['p_value']:.3g}",
         f"**{r['verdict']}**", r["reason"] if isinstance(r["reason"], str) else ""]
        for _, r in table.iterrows()
    ]  # fmt: skip
    return caption + cgp.md_table(header, rows, left=len(header))
