"""Torch-free name tables: the one place that spells what a study may name.

Every name a config, a run spec or a table may hold (methods, β rules, lr rules,
models, losses, datasets, selection modes, metrics) is written as a string here and
nowhere else in ``src/`` and ``scripts/`` (``tests/test_registry.py`` scans for
strays); other modules import the tables or the constants below. The config schema's
enums and defaults are checked against these tables (``tests/test_registry.py``),
:mod:`cggan.study` validates configs with them, the method factory
(:mod:`cggan.methods`) and the learning-rate rules (:mod:`cggan.lr_rules`) build
exactly these names, and the tables order their rows by them. Importing this module
costs nothing (no torch, no other ``cggan`` module), so planning a study
(``snakemake -n``) stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ADAM",
    "BASELINE_METHODS",
    "BASELINE_MOMENTUM",
    "BCE",
    "BEST",
    "CG_BETA_MAX",
    "CG_DEFAULT_BETA_COEFF",
    "CG_METHODS",
    "CELEBA",
    "CG_RULES",
    "CIFAR10",
    "CO",
    "DATASETS",
    "DATASET_FACTS",
    "DCGAN",
    "DEFAULT_LOSS",
    "DIGITS",
    "DatasetFacts",
    "FID",
    "FINAL",
    "FINAL_QUARTER",
    "GAME_METHODS",
    "GRAFT_ADAM_SGD",
    "GRID25",
    "GRAFT_SGD_ADAM",
    "HIGH_QUALITY",
    "HINGE",
    "IMAGE_DATASETS",
    "IU",
    "KID",
    "LOSSES",
    "LR_CONSTANT",
    "LR_POWER",
    "LR_RULES",
    "LR_RULE_KWARGS",
    "LR_SQRT",
    "LR_STEP",
    "LR_STEP_AUTHORS",
    "MAXIMIZE",
    "METHODS",
    "METHOD_HPARAMS",
    "METRIC_DIRECTION",
    "MINIMIZE",
    "MLP",
    "MNIST",
    "MNIST5K",
    "MODELS",
    "MODEL_KWARGS",
    "MODES",
    "MOMENTUM",
    "NONSATURATING",
    "NSGDA",
    "OMD",
    "PM",
    "PRIMARY_CG_METHOD",
    "RING8",
    "SELECTION_BY",
    "SGD",
    "SNGAN_RESNET",
    "TOY_ONLY_METHODS",
    "cg_method",
    "is_cg_method",
]

# ------------------------------------------------------------------------- methods
#: The baselines of the CG paper: plain SGD, heavy-ball momentum and Adam.
SGD, MOMENTUM, ADAM = "sgd", "momentum", "adam"
BASELINE_METHODS: tuple[str, ...] = (SGD, MOMENTUM, ADAM)

#: The β rules of the conjugate-gradient family (Naganuma & Iiduka 2023, Sec. 3, Eq. 7).
CG_RULES: tuple[str, ...] = ("fr", "prp", "hs", "dy", "hs_dy", "fr_prp", "hz")


def cg_method(rule: str, *, authors: bool = False) -> str:
    """The method name of CG with β rule ``rule``: ``cg_<rule>`` (the paper's update)
    or ``cg_<rule>_authors`` (the released code's)."""
    return f"cg_{rule}_authors" if authors else f"cg_{rule}"


#: The CG family, every paper variant first, then every released-code variant.
_CG_METHODS: tuple[str, ...] = tuple(cg_method(r) for r in CG_RULES) + tuple(
    cg_method(r, authors=True) for r in CG_RULES
)
CG_METHODS: frozenset[str] = frozenset(_CG_METHODS)


def is_cg_method(name: str) -> bool:
    """Whether ``name`` is a method of the conjugate-gradient family."""
    return name in CG_METHODS


#: The adaptive-method ablations (Jelassi et al. 2022) and the game optimizers of
#: Liang & Stokes 2019.
NSGDA, GRAFT_ADAM_SGD, GRAFT_SGD_ADAM = "nsgda", "graft_adam_sgd", "graft_sgd_adam"
OMD, PM, CO, IU = "omd", "pm", "co", "iu"
GAME_METHODS: tuple[str, ...] = (NSGDA, GRAFT_ADAM_SGD, GRAFT_SGD_ADAM, OMD, PM, CO, IU)

#: The CG method that stands for "CG" in the primary claims (``analysis.cg_method``'s
#: default): the paper's Fletcher-Reeves.
PRIMARY_CG_METHOD: str = cg_method("fr")

#: Every method, in the order tables list them (baselines, CG, game optimizers).
METHODS: tuple[str, ...] = BASELINE_METHODS + _CG_METHODS + GAME_METHODS

#: Methods that only make sense on the toy games (implicit updates need a linear solve).
TOY_ONLY_METHODS: frozenset[str] = frozenset({IU})

#: The hyperparameters a config may sweep, per method (besides lr_d and lr_g).
METHOD_HPARAMS: dict[str, frozenset[str]] = {
    SGD: frozenset(),
    MOMENTUM: frozenset({"momentum"}),
    ADAM: frozenset({"betas"}),
    **{cg_method(r): frozenset({"beta_coeff", "scope"}) for r in CG_RULES},
    **{cg_method(r, authors=True): frozenset({"beta_coeff"}) for r in CG_RULES},
    NSGDA: frozenset({"momentum", "scope"}),
    GRAFT_ADAM_SGD: frozenset({"betas", "scope"}),
    GRAFT_SGD_ADAM: frozenset({"betas", "scope"}),
    OMD: frozenset(),
    PM: frozenset({"gamma"}),
    CO: frozenset({"gamma"}),
    IU: frozenset(),
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

# ------------------------------------------------------------------ learning rates
LR_CONSTANT, LR_SQRT, LR_POWER = "constant", "sqrt", "power"
LR_STEP, LR_STEP_AUTHORS = "step", "step_authors"
#: Learning-rate rules and the kwargs a study config must state for each (the protocol
#: is then in the config, the run spec and summary.json, not in a library default).
LR_RULE_KWARGS: dict[str, tuple[str, ...]] = {
    LR_CONSTANT: (),
    LR_SQRT: (),
    LR_POWER: ("eta_g", "eta_d"),
    LR_STEP: ("step_size", "gamma"),
    LR_STEP_AUTHORS: ("step_size", "gamma"),
}
LR_RULES: tuple[str, ...] = tuple(LR_RULE_KWARGS)


# ------------------------------------------------------------------------ datasets
@dataclass(frozen=True)
class DatasetFacts:
    """Static facts about a dataset (its loader: :mod:`cggan.data`).

    Attributes:
        name: registry name.
        module: module implementing
            ``load(root, *, split, image_size, download, seed)``.
        kind: ``"offline"`` (built from installed packages), ``"sampled"`` (drawn from
            the seed) or ``"download"``.
        channels: image channels, or None for point data.
        image_sizes: allowed ``image_size`` values (empty for point data).
        default_image_size: used when ``image_size`` is None.
        data_dim: dimension of point data, or None for images.
        split_sizes: examples per split (``train``, ``test``): planning checks sample
            counts against them before any job runs (tests check them against the data).
    """

    name: str
    module: str
    kind: str
    channels: int | None
    image_sizes: tuple[int, ...]
    default_image_size: int | None
    data_dim: int | None = None
    split_sizes: tuple[tuple[str, int], ...] = ()

    def split_size(self, split: str) -> int | None:
        """Examples in ``split``, or None when unknown."""
        return dict(self.split_sizes).get(split)


DIGITS, MNIST5K, MNIST = "digits", "mnist5k", "mnist"
CIFAR10, CELEBA = "cifar10", "celeba"
#: The 2-D Gaussian mixtures: 8 modes on a ring, 25 on a grid.
RING8, GRID25 = "ring8", "grid25"

#: Every dataset and its facts, in the order tables and error messages list them.
DATASET_FACTS: dict[str, DatasetFacts] = {
    facts.name: facts
    for facts in (
        DatasetFacts(
            DIGITS,
            "cggan.data.digits",
            "offline",
            1,
            (16, 32),
            16,
            split_sizes=(("train", 1437), ("test", 360)),
        ),
        DatasetFacts(
            RING8,
            "cggan.data.mixture2d",
            "sampled",
            None,
            (),
            None,
            2,
            split_sizes=(("train", 50_000), ("test", 10_000)),
        ),
        DatasetFacts(
            GRID25,
            "cggan.data.mixture2d",
            "sampled",
            None,
            (),
            None,
            2,
            split_sizes=(("train", 50_000), ("test", 10_000)),
        ),
        DatasetFacts(
            MNIST,
            "cggan.data.mnist",
            "download",
            1,
            (16, 28, 32, 64),
            32,
            split_sizes=(("train", 60_000), ("test", 10_000)),
        ),
        DatasetFacts(
            CIFAR10,
            "cggan.data.cifar10",
            "download",
            3,
            (32, 64),
            32,
            split_sizes=(("train", 50_000), ("test", 10_000)),
        ),
        DatasetFacts(
            CELEBA,
            "cggan.data.celeba",
            "download",
            3,
            (32, 64),
            64,
            split_sizes=(("train", 162_770), ("test", 19_962)),
        ),
        DatasetFacts(
            MNIST5K,
            "cggan.data.mnist5k",
            "offline",
            1,
            (16, 28, 32),
            32,
            split_sizes=(("train", 4500), ("test", 500)),
        ),
    )
}
DATASETS: tuple[str, ...] = tuple(DATASET_FACTS)
IMAGE_DATASETS: frozenset[str] = frozenset(
    name for name, facts in DATASET_FACTS.items() if facts.channels is not None
)

# -------------------------------------------------------------------------- models
DCGAN, SNGAN_RESNET, MLP = "dcgan", "sngan_resnet", "mlp"
#: Models and the keyword arguments each accepts (``experiments.<name>.model_kwargs``).
MODEL_KWARGS: dict[str, tuple[str, ...]] = {
    DCGAN: ("ngf", "ndf", "spectral_norm"),
    SNGAN_RESNET: ("g_ch", "d_ch"),
    MLP: ("data_dim", "hidden", "depth"),
}
MODELS: tuple[str, ...] = tuple(MODEL_KWARGS)

# -------------------------------------------------------------------------- losses
BCE, NONSATURATING, HINGE = "bce", "nonsaturating", "hinge"
LOSSES: tuple[str, ...] = (BCE, NONSATURATING, HINGE)
#: ``experiments.<name>.loss`` when a config names none (the schema's default).
DEFAULT_LOSS: str = BCE

# ----------------------------------------------------------------------- selection
#: Which number of a run ranks settings and answers the claims: the metric at the last
#: evaluation (``final``), the best one along the run (``best``), or the mean over the
#: evaluations of the run's final quarter (``final_quarter``: averages out most of the
#: FID estimator's draw-to-draw noise, docs/statistics.md).
FINAL, BEST, FINAL_QUARTER = "final", "best", "final_quarter"
SELECTION_BY: tuple[str, ...] = (FINAL, BEST, FINAL_QUARTER)

# ------------------------------------------------------------------------- metrics
FID, KID, MODES, HIGH_QUALITY = "fid", "kid", "modes", "high_quality"
MINIMIZE, MAXIMIZE = "min", "max"
#: Whether a larger value of a metric is better (``max``) or worse (``min``).
METRIC_DIRECTION: dict[str, str] = {
    FID: MINIMIZE,
    KID: MINIMIZE,
    MODES: MAXIMIZE,
    HIGH_QUALITY: MAXIMIZE,
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
