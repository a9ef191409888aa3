"""Published results: the numbers, as transcribed, and where they come from.

:data:`PUBLISHED` holds the only published numbers this project compares with, as data:
``{name: {rule kind: {statistic: {method: value}}}}``, rule kinds ``constant`` and
``diminishing``, statistics ``top1``, ``top10_mean`` and ``top10_std``, methods under
this project's names. :data:`SOURCES` says where each set comes from, which of our
learning-rate rules each rule kind is, and what a reader must know before comparing.

An experiment is set beside a published set only when its config says so
(``experiments.<exp>.published``, null by default; ``config/paper.yaml`` sets it on the
replication arm ``cifar10_released`` only): :func:`published_experiments` reads which.
:func:`published_frame` is one set as a tidy table;
:mod:`cggan.results.tables.published_vs_reproduced` sets it beside the reproduced
numbers. This module does not import torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cggan.checks import invalid

__all__ = [
    "PUBLISHED",
    "SOURCES",
    "STATISTICS",
    "PublishedSource",
    "published_experiments",
    "published_frame",
    "published_source",
]

NAGANUMA2023 = "naganuma2023_cifar10_sngan"
#: The statistics of each published set, as :func:`published_frame` names its columns.
STATISTICS = ("top1", "top10_mean", "top10_std")
# The README's column order (Adam, SGD, Mom-SGD, CG_DY, CG_FR, CG_FR_PRP, CG_HS,
# CG_HS_DY, CG_HZ, CG_PRP), under this project's method names.
_METHODS = ("adam", "sgd", "momentum", "cg_dy_authors", "cg_fr_authors",
            "cg_fr_prp_authors", "cg_hs_authors", "cg_hs_dy_authors",
            "cg_hz_authors", "cg_prp_authors")  # fmt: skip


def _row(*values: float) -> dict[str, float]:
    return dict(zip(_METHODS, values, strict=True))


#: name -> rule kind -> statistic -> method -> FID (lower is better), as published.
PUBLISHED: dict[str, dict[str, dict[str, dict[str, float]]]] = {
    NAGANUMA2023: {
        "constant": {
            "top1": _row(
                19.38, 30.34, 34.42, 30.13, 26.02, 30.31, 29.29, 29.54, 29.41, 28.94
            ),
            "top10_mean": _row(
                51.16, 41.09, 82.15, 33.70, 29.63, 34.78, 34.82, 34.12, 34.28, 34.53
            ),
            "top10_std": _row(
                33.71, 8.13, 51.82, 2.04, 2.26, 2.17, 1.07, 1.31, 0.96, 2.01
            ),
        },
        "diminishing": {
            "top1": _row(
                51.96, 40.55, 73.66, 35.29, 32.17, 31.06, 30.03, 29.09, 29.64, 30.47
            ),
            "top10_mean": _row(
                135.86, 51.80, 205.29, 42.39, 38.20, 37.39, 36.96, 39.90, 38.24, 37.94
            ),
            "top10_std": _row(
                32.65, 7.84, 59.333, 12.89, 8.82, 2.74, 2.77, 3.06, 2.97, 3.62
            ),
        },
    },
}


@dataclass(frozen=True)
class PublishedSource:
    """Where a published set comes from and how to read it.

    Attributes:
        citation: the paper and the exact source of the numbers.
        metric: the metric (this project's name) the numbers are.
        k: the k of the published Top-k.
        rules: rule kind -> this project's learning-rate rule that ran it.
        labels: method -> the published column name.
        pools: method -> the one pool (hyperparameter value) the released sweep ran,
            where an arm may sweep more values; other methods use the pooled columns.
        caveats: sentences every rendering states.
    """

    citation: str
    metric: str
    k: int
    rules: Mapping[str, str]
    labels: Mapping[str, str]
    pools: Mapping[str, str]
    caveats: tuple[str, ...]


SOURCES: dict[str, PublishedSource] = {
    NAGANUMA2023: PublishedSource(
        citation=(
            "Naganuma & Iiduka, Conjugate Gradient Method for Generative Adversarial "
            "Networks, AISTATS 2023: README of the authors' code "
            "(github.com/Hiroki11x/ConjugateGradient_GAN, commit b757483 = 7c4ced1), "
            "'Additional Experimental Results': CIFAR-10, SNGAN with ResNet, FID, "
            "lower is better. The paper's own tables were not retrieved"
        ),
        metric="fid",
        k=10,
        rules={"constant": "constant", "diminishing": "step_authors"},
        labels=dict(
            zip(
                _METHODS,
                (
                    "Adam",
                    "SGD",
                    "Mom-SGD",
                    "CG_DY",
                    "CG_FR",
                    "CG_FR_PRP",
                    "CG_HS",
                    "CG_HS_DY",
                    "CG_HZ",
                    "CG_PRP",
                ),
                strict=True,
            )
        ),  # fmt: skip
        pools={"momentum": "momentum~0.9"},
        caveats=(
            "'Diminishing LR' is the released step decay of D only (×0.9 twice per "
            "10K iterations, G never decayed): our rule step_authors.",
            "The CG numbers come from the released CG class (our cg_<rule>_authors): "
            "its stored previous gradient aliases p.grad, so β ≡ 0 for PRP, HS, DY, "
            "HS_DY, FR_PRP and HZ (SGD steps) and β ≡ coeff/2 for FR.",
            "CG pools are 3× the baselines' (3 β coefficients pooled; the released "
            "sweeps: 75 against 25 runs at constant rates, 48 against 16 diminishing), "
            "so a CG Top-10 is a smaller share of its pool.",
            "Mom-SGD ran momentum 0.9 only: its reproduced cells use the momentum~0.9 "
            "pool where the arm sweeps more values.",
            "Which FID is ranked is not stated; Top-10 is believed ranked by "
            "end-of-training FID (it matches the end of the authors' best-10 curves).",
            "In the final README table two diminishing Top-10 means changed without "
            "their ± changing (CG_DY 53.11 → 42.39, CG_FR 47.56 → 38.20).",
            "FID depends on the evaluation (samples, image preprocessing, the "
            "unreleased model code): compare orders and gaps, not digits.",
        ),
    ),
}


def published_source(name: Any, key: str = "published") -> PublishedSource:
    """The source of published set ``name``; ValueError naming ``key`` if unknown."""
    if name not in PUBLISHED:
        raise invalid(key, name, ", ".join(["null", *sorted(PUBLISHED)]))
    return SOURCES[name]


def published_experiments(config: Mapping[str, Any]) -> dict[str, str]:
    """``{experiment: published set}`` of a resolved study config (empty: none).

    Raises:
        ValueError: an unknown set, or an experiment whose metric is not the set's
            (one line naming the key), before anything is written.
    """
    chosen = {}
    for experiment, exp_cfg in (config.get("experiments") or {}).items():
        name = (exp_cfg or {}).get("published")
        if name is None:
            continue
        key = f"experiments.{experiment}"
        wanted = published_source(name, f"{key}.published").metric
        chosen[experiment] = name
        metric = (exp_cfg.get("eval") or {}).get("metric")
        if metric != wanted:
            raise invalid(f"{key}.eval.metric", metric, f"{wanted} (published: {name})")
    return chosen


def published_frame(name: str) -> pd.DataFrame:
    """One published set, tidy: ``rule_kind, lr_rule, method, label`` + statistics."""
    source = published_source(name)
    rows = []
    for kind, by_stat in PUBLISHED[name].items():
        for method in by_stat["top1"]:
            rows.append(
                {
                    "rule_kind": kind,
                    "lr_rule": source.rules[kind],
                    "method": method,
                    "label": source.labels[method],
                    **{s: by_stat[s][method] for s in STATISTICS},
                }
            )
    return pd.DataFrame(rows)
