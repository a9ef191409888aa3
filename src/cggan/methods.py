"""The method registry: a method is an update scheme plus one optimizer per player.

``build_method("cg_fr", params_g, params_d, lr_g=1e-3, lr_d=1e-3, beta_coeff=0.5)``
returns a :class:`Method` whose ``step(game)`` runs the scheme with the two optimizers.
The GAN trainer and the toy runner both resolve method names here, so a theory check on
a toy game exercises the same objects that train GANs. Adding a method is one
:data:`METHODS` entry (plus its optimizer class in :mod:`cggan.optim`).

``toy_only`` methods (``iu``) need an exact or fixed-point implicit solve; callers that
train networks must refuse them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.optim import Optimizer

from cggan.games import Game, UpdateScheme, build_scheme
from cggan.optim.graft import GRAFT_ADAM, GRAFT_SGD
from cggan.registry import (
    ADAM,
    BASELINE_MOMENTUM,
    CG_DEFAULT_BETA_COEFF,
    CG_RULES,
    CO,
    GRAFT_ADAM_SGD,
    GRAFT_SGD_ADAM,
    IU,
    MOMENTUM,
    NSGDA,
    OMD,
    PM,
    SGD,
    TOY_ONLY_METHODS,
    cg_method,
)
from cggan.registry import METHODS as REGISTRY_METHODS

__all__ = ["MethodSpec", "Method", "METHODS", "build_method", "method_hparams"]

# Sweepable hyperparameters (and defaults) a scheme contributes to a method.
SCHEME_HPARAMS: dict[str, dict[str, Any]] = {
    "alternating": {},
    "simultaneous": {},
    "extragradient": {"gamma": 1.0},
    "consensus": {"gamma": 1.0},
    "implicit": {},
}


@dataclass(frozen=True)
class MethodSpec:
    """One registry entry.

    Attributes:
        name: registry key.
        scheme: default update scheme (see :mod:`cggan.games.schemes`).
        scheme_defaults: the scheme's sweepable hyperparameters with
            defaults (``gamma``).
        optimizer: dotted path of the player optimizer class (resolved lazily).
        optimizer_defaults: the optimizer's sweepable hyperparameters with defaults.
        toy_only: True if the method only runs on toy games.
        reference: the paper(s) the method comes from.
        update: one-line update rule.
        optimizer_fixed: keyword arguments that define the method and are not swept
            (``beta_rule``, ``variant``, ``magnitude``/``direction``).
    """

    name: str
    scheme: str
    scheme_defaults: dict[str, Any]
    optimizer: str
    optimizer_defaults: dict[str, Any]
    toy_only: bool
    reference: str
    update: str
    optimizer_fixed: dict[str, Any] = field(default_factory=dict)

    def optimizer_class(self) -> type[Optimizer]:
        """Import and return the player optimizer class."""
        module, _, cls = self.optimizer.rpartition(".")
        return getattr(importlib.import_module(module), cls)


@dataclass
class Method:
    """A built method: a scheme and the two players' optimizers."""

    name: str
    scheme: UpdateScheme
    opt_g: Optimizer
    opt_d: Optimizer

    def step(self, game: Game, players=("d", "g")) -> dict[str, torch.Tensor]:
        """One step of the game (see :meth:`UpdateScheme.step`)."""
        return self.scheme.step(game, self.opt_g, self.opt_d, players=players)


_CG_PAPER = "Naganuma & Iiduka, AISTATS 2023 (arXiv 2203.14495)"
_LIANG_STOKES = "Liang & Stokes, AISTATS 2019 (arXiv 1802.06132)"
#: Per β rule of :data:`cggan.registry.CG_RULES`, in its order: where it comes from.
_CG_RULE_REFERENCES = (
    "Fletcher & Reeves 1964: β = ‖g‖²/‖g_prev‖²",
    "Polak & Ribière 1969, Polyak 1969: β = gᵀy/‖g_prev‖²",
    "Hestenes & Stiefel 1952: β = gᵀy/d_prevᵀy",
    "Dai & Yuan 1999: β = ‖g‖²/d_prevᵀy",
    "Dai & Yuan 2001 hybrid: β = max(0, min(HS, DY))",
    "Hu & Storey 1991 hybrid: β = max(0, min(FR, PRP))",
    "Hager & Zhang 2005: β = HS − 2‖y‖² gᵀd_prev/(d_prevᵀy)²",
)
_ADAM_BETAS = (0.5, 0.999)  # Radford et al. 2016's, as the CG paper's code


def _cg_specs() -> list[MethodSpec]:
    """Both variants of CG per β rule (the optimizer's ``beta_rule`` is the rule's
    name in capitals: ``hs_dy`` -> ``HS_DY``)."""
    specs = []
    for rule, rule_ref in zip(CG_RULES, _CG_RULE_REFERENCES, strict=True):
        beta_rule = rule.upper()
        specs.append(
            MethodSpec(
                cg_method(rule),
                "alternating",
                {},
                "cggan.optim.ConjugateGradient",
                {"beta_coeff": CG_DEFAULT_BETA_COEFF, "scope": "tensor"},
                False,
                f"{_CG_PAPER}; {rule_ref}",
                f"d ← −g + β d_prev, β = c·clip({beta_rule}, 0, β_max); p ← p + η d",
                {"beta_rule": beta_rule, "variant": "paper"},
            )
        )
        specs.append(
            MethodSpec(
                cg_method(rule, authors=True),
                "alternating",
                {},
                "cggan.optim.ConjugateGradient",
                {"beta_coeff": CG_DEFAULT_BETA_COEFF},
                False,
                f"{_CG_PAPER}, released ConjugateGradientOptimizer; {rule_ref}",
                f"released code's {beta_rule} update (first step ascent, direction "
                "buffer updated twice, β = c·min(β, ½), previous gradient kept by "
                "reference)",
                {"beta_rule": beta_rule, "variant": "authors"},
            )
        )
    return specs


def _registry() -> dict[str, MethodSpec]:
    sgd, adam = "torch.optim.SGD", "torch.optim.Adam"
    specs = [
        MethodSpec(
            SGD,
            "alternating",
            {},
            sgd,
            {},
            False,
            "Goodfellow et al. 2014 (alternating GDA); baseline of " + _CG_PAPER,
            "each player: p ← p − η g (D first, then G on a fresh gradient)",
        ),
        MethodSpec(
            MOMENTUM,
            "alternating",
            {},
            sgd,
            {"momentum": BASELINE_MOMENTUM},
            False,
            "Polyak 1964 (heavy ball, torch SGD form); baseline of " + _CG_PAPER,
            "m ← μ m + g; p ← p − η m  (μ = 0.9)",
        ),
        MethodSpec(
            ADAM,
            "alternating",
            {},
            adam,
            {"betas": _ADAM_BETAS},
            False,
            "Kingma & Ba 2015, betas (0.5, 0.999) as Radford et al. 2016; baseline of "
            + _CG_PAPER,
            "p ← p − η m̂/(√v̂ + ε)",
        ),
        *_cg_specs(),
        MethodSpec(
            NSGDA,
            "alternating",
            {},
            "cggan.optim.NormalizedSGD",
            {"momentum": 0.0, "scope": "tensor"},
            False,
            "Jelassi et al. 2022, Dissecting adaptive methods in GANs "
            "(arXiv 2210.04319)",
            "p ← p − η g/‖g‖  (norm per tensor or per player)",
        ),
        MethodSpec(
            GRAFT_ADAM_SGD,
            "alternating",
            {},
            "cggan.optim.Graft",
            {"betas": _ADAM_BETAS, "scope": "tensor"},
            False,
            "Agarwal et al. 2020 (grafting); Jelassi et al. 2022",
            "p ← p − ‖Δ_Adam‖ · g/‖g‖  (Adam's step length, SGD's direction)",
            {"magnitude": GRAFT_ADAM, "direction": GRAFT_SGD},
        ),
        MethodSpec(
            GRAFT_SGD_ADAM,
            "alternating",
            {},
            "cggan.optim.Graft",
            {"betas": _ADAM_BETAS, "scope": "tensor"},
            False,
            "Agarwal et al. 2020 (grafting); Jelassi et al. 2022",
            "p ← p − η‖g‖ · Δ_Adam/‖Δ_Adam‖  (SGD's step length, Adam's direction)",
            {"magnitude": GRAFT_SGD, "direction": GRAFT_ADAM},
        ),
        MethodSpec(
            OMD,
            "simultaneous",
            {},
            "cggan.optim.Optimistic",
            {},
            False,
            "Daskalakis et al. 2018 (optimistic mirror descent); "
            f"{_LIANG_STOKES}, Thm 3",
            "z ← z − 2η v(z_t) + η v(z_{t−1})  (first step: v(z_{−1}) = v(z_0))",
        ),
        MethodSpec(
            PM,
            "extragradient",
            {"gamma": 1.0},
            sgd,
            {},
            False,
            f"{_LIANG_STOKES}, eq. 7 / Thm 4 "
            "(predictive method; γ = η: Korpelevich 1976)",
            "z ← z − η v(z − γ v(z))",
        ),
        MethodSpec(
            CO,
            "consensus",
            {"gamma": 1.0},
            sgd,
            {},
            False,
            f"Mescheder et al. 2017; {_LIANG_STOKES}, eq. 8–9 / Thm 6",
            "z ← z − η (v + γ ∇R)(z),  R = ½‖v‖²",
        ),
        MethodSpec(
            IU,
            "implicit",
            {},
            sgd,
            {},
            IU in TOY_ONLY_METHODS,
            f"{_LIANG_STOKES}, Thm 5 (implicit updates, proximal point)",
            "z ← z − η v(z_next)  (exact linear solve, else fixed-point iteration)",
        ),
    ]
    # keyed, and ordered, by the registry's names (a test checks they cover it exactly)
    by_name = {spec.name: spec for spec in specs}
    return {name: by_name[name] for name in REGISTRY_METHODS}


METHODS: dict[str, MethodSpec] = _registry()


def _spec(name: str) -> MethodSpec:
    if name not in METHODS:
        raise ValueError(f"Invalid method: {name!r} (allowed: {', '.join(METHODS)})")
    return METHODS[name]


def method_hparams(name: str, scheme: str | None = None) -> dict[str, Any]:
    """The hyperparameters a config may sweep for ``name``, with their defaults.

    Args:
        name: registry key.
        scheme: a scheme overriding the method's default one (its hyperparameters then
            replace the default scheme's).
    """
    spec = _spec(name)
    if scheme is None or scheme == spec.scheme:
        scheme_hp = dict(spec.scheme_defaults)
    elif scheme in SCHEME_HPARAMS:
        scheme_hp = dict(SCHEME_HPARAMS[scheme])
    else:
        raise ValueError(
            f"Invalid scheme: {scheme!r} (allowed: {', '.join(SCHEME_HPARAMS)})"
        )
    return {**spec.optimizer_defaults, **scheme_hp}


def build_method(
    name: str,
    params_g,
    params_d,
    *,
    lr_g: float,
    lr_d: float,
    scheme: str | None = None,
    **hparams: Any,
) -> Method:
    """Build a registered method for the two players.

    Args:
        name: registry key (see :data:`METHODS`).
        params_g: G's parameters (θ).
        params_d: D's parameters (ω).
        lr_g: G's learning rate η_G (also its step size inside the scheme).
        lr_d: D's learning rate η_D.
        scheme: override the method's update scheme (e.g. ``"simultaneous"`` for SGA).
        **hparams: sweepable hyperparameters (:func:`method_hparams`).

    Raises:
        ValueError: unknown method, scheme or hyperparameter; negative learning rate;
            a bad hyperparameter value (γ ≤ 0, β bound outside [0, 1), ...).
    """
    spec = _spec(name)
    # the learning rates are the optimizers' to check (each, as torch.optim's, refuses
    # lr < 0): a run's spec has already refused lr <= 0 at planning
    allowed = method_hparams(name, scheme)
    unknown = sorted(set(hparams) - set(allowed))
    if unknown:
        raise ValueError(
            f"Invalid hyperparameter for method {name}: {', '.join(unknown)} "
            f"(allowed: {', '.join(allowed) or 'none'})"
        )
    values = {**allowed, **hparams}
    if "betas" in values:
        values["betas"] = tuple(values["betas"])  # configs give lists
    scheme_name = scheme or spec.scheme
    scheme_keys = set(SCHEME_HPARAMS[scheme_name])
    scheme_obj = build_scheme(
        scheme_name, **{k: v for k, v in values.items() if k in scheme_keys}
    )
    opt_kwargs = {
        **spec.optimizer_fixed,
        **{k: v for k, v in values.items() if k not in scheme_keys},
    }
    cls = spec.optimizer_class()
    opt_g = cls(list(params_g), lr=lr_g, **opt_kwargs)
    opt_d = cls(list(params_d), lr=lr_d, **opt_kwargs)
    return Method(name=name, scheme=scheme_obj, opt_g=opt_g, opt_d=opt_d)
