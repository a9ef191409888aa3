"""Torch-free name tables: the one place that lists what a study may name.

Every other module reads these tables: the config schema's enums are checked against
them (``tests/test_registry.py``), :mod:`cggan.study` validates configs with them, the
method factory (:mod:`cggan.methods`) and the learning-rate rules
(:mod:`cggan.lr_rules`) build exactly these names, and the tables order their rows by
them. Importing this module costs nothing (no torch), so planning a study
(``snakemake -n``) stays fast.
"""

from __future__ import annotations

from cggan.data import DATASETS as _DATASET_SPECS

__all__ = [
    "BASELINE_MOMENTUM",
    "CG_BETA_MAX",
    "CG_DEFAULT_BETA_COEFF",
    "CG_RULES",
    "DATASETS",
    "IMAGE_DATASETS",
    "LR_RULES",
    "LR_RULE_KWARGS",
    "LOSSES",
    "METHODS",
    "METHOD_HPARAMS",
    "METRIC_DIRECTION",
    "MODELS",
    "MODEL_KWARGS",
    "TOY_ONLY_METHODS",
]

#: The β rules of the conjugate-gradient family (Naganuma & Iiduka 2023, Sec. 3, Eq. 7).
CG_RULES: tuple[str, ...] = ("fr", "prp", "hs", "dy", "hs_dy", "fr_prp", "hz")
_CG_METHODS = tuple(f"cg_{r}" for r in CG_RULES) + tuple(
    f"cg_{r}_authors" for r in CG_RULES
)

#: Every method, in the order tables list them (baselines, CG, game optimizers).
METHODS: tuple[str, ...] = (
    ("sgd", "momentum", "adam")
    + _CG_METHODS
    + ("nsgda", "graft_adam_sgd", "graft_sgd_adam", "omd", "pm", "co", "iu")
)

#: Methods that only make sense on the toy games (implicit updates need a linear solve).
TOY_ONLY_METHODS: frozenset[str] = frozenset({"iu"})

#: The hyperparameters a config may sweep, per method (besides lr_d and lr_g).
METHOD_HPARAMS: dict[str, frozenset[str]] = {
    "sgd": frozenset(),
    "momentum": frozenset({"momentum"}),
    "adam": frozenset({"betas"}),
    **{f"cg_{r}": frozenset({"beta_coeff", "scope"}) for r in CG_RULES},
    **{f"cg_{r}_authors": frozenset({"beta_coeff"}) for r in CG_RULES},
    "nsgda": frozenset({"momentum", "scope"}),
    "graft_adam_sgd": frozenset({"betas", "scope"}),
    "graft_sgd_adam": frozenset({"betas", "scope"}),
    "omd": frozenset(),
    "pm": frozenset({"gamma"}),
    "co": frozenset({"gamma"}),
    "iu": frozenset(),
}

#: CG's β cap before the coefficient (``beta_max``, the released code's ½) and the
#: default coefficient: a CG run with coefficient c is heavy-ball momentum at most
#: c·β_max, so every study that runs CG also runs momentum at those values (the
#: matched-momentum control).
CG_BETA_MAX: float = 0.5
CG_DEFAULT_BETA_COEFF: float = 1.0
#: The momentum of the baseline "momentum SGD" (the paper's), run
#: besides the matched caps.
BASELINE_MOMENTUM: float = 0.9

#: Learning-rate rules and the kwargs a study config must state for each (the protocol
#: is then in the config, the run spec and summary.json, not in a library default).
LR_RULE_KWARGS: dict[str, tuple[str, ...]] = {
    "constant": (),
    "sqrt": (),
    "power": ("eta_g", "eta_d"),
    "step": ("step_size", "gamma"),
    "step_authors": ("step_size", "gamma"),
}
LR_RULES: tuple[str, ...] = tuple(LR_RULE_KWARGS)

#: Datasets (facts such as sizes and image sizes live in :data:`cggan.data.DATASETS`).
DATASETS: tuple[str, ...] = tuple(_DATASET_SPECS)
IMAGE_DATASETS: frozenset[str] = frozenset(
    name for name, spec in _DATASET_SPECS.items() if spec.channels is not None
)

#: Models and the keyword arguments each accepts (``experiments.<name>.model_kwargs``).
MODEL_KWARGS: dict[str, tuple[str, ...]] = {
    "dcgan": ("ngf", "ndf", "spectral_norm"),
    "sngan_resnet": ("g_ch", "d_ch"),
    "mlp": ("data_dim", "hidden", "depth"),
}
MODELS: tuple[str, ...] = tuple(MODEL_KWARGS)

LOSSES: tuple[str, ...] = ("bce", "nonsaturating", "hinge")

#: Whether a larger value of a metric is better ("max") or worse ("min").
METRIC_DIRECTION: dict[str, str] = {
    "fid": "min",
    "kid": "min",
    "modes": "max",
    "high_quality": "max",
}


# --- FID and evaluation names ---------------------------------------------------------
# (the FID protocol that combines them: cggan.fid_protocol.FIDProtocol)

#: What a run's ``eval.metric`` may be: FID/KID for image datasets, mode coverage for
#: the 2-D mixtures.
EVAL_METRICS: tuple[str, ...] = ("fid", "modes")

#: FID feature extractors: a domain classifier that ``fid_stats`` trains per dataset
#: (128-d, offline) and pytorch-fid's Inception network.
CLASSIFIER_EXTRACTOR = "classifier"
INCEPTION_EXTRACTOR = "inception"
FID_EXTRACTORS: tuple[str, ...] = (CLASSIFIER_EXTRACTOR, INCEPTION_EXTRACTOR)

#: How generated images in [-1, 1] become the extractor's [0, 1] input: ``fixed`` maps
#: (x + 1) / 2; ``minmax`` first rescales each image by its own min and max
#: (torchvision's ``save_image(normalize=True)`` on one image, as the released code
#: saved its FID images). Both then quantize to 8 bits (cggan.metrics.preprocessing).
FIXED_PREPROCESSING = "fixed"
MINMAX_PREPROCESSING = "minmax"
PREPROCESSINGS: tuple[str, ...] = (FIXED_PREPROCESSING, MINMAX_PREPROCESSING)
#: The config schema's default, and what statistics files without the key were made
#: with (the key was added to their protocol later).
DEFAULT_PREPROCESSING = FIXED_PREPROCESSING

#: The dataset splits reference statistics may describe (cggan.data's splits); the
#: calibration's real floor scores the other one.
REFERENCE_SPLITS: tuple[str, ...] = ("train", "test")
DEFAULT_REFERENCE_SPLIT = REFERENCE_SPLITS[0]

__all__ += [
    "CLASSIFIER_EXTRACTOR",
    "DEFAULT_PREPROCESSING",
    "DEFAULT_REFERENCE_SPLIT",
    "EVAL_METRICS",
    "FID_EXTRACTORS",
    "FIXED_PREPROCESSING",
    "INCEPTION_EXTRACTOR",
    "MINMAX_PREPROCESSING",
    "PREPROCESSINGS",
    "REFERENCE_SPLITS",
]
