"""Evaluation metrics: FID/KID against cached reference statistics, and mode coverage.

Import the submodules (``cggan.metrics.fid``, ``.features``, ``.kid``, ``.modes``,
``.preprocessing``); this package file imports nothing heavy so that
``cggan.metrics.modes`` stays torch-free.
"""

__all__ = [
    "PREPROCESSING",
    "features",
    "fid",
    "kid",
    "modes",
    "preprocessing",
    "stats_filename",
]

#: The FID image preprocessings (protocol key ``preprocessing``, see
#: :mod:`cggan.metrics.preprocessing`); the first is the default.
PREPROCESSING = ("fixed", "minmax")


def stats_filename(
    dataset: str,
    image_size: int,
    split: str,
    extractor: str,
    dims: int,
    n: int,
    preprocessing: str = "fixed",
) -> str:
    """Canonical reference-statistics file name, e.g.
    ``digits16-train-classifier128-n1437.npz``.

    The name is a readable key only; the JSON protocol beside the file is what is
    checked. Defined here, torch-free, so that the workflow names the files without
    importing torch. The default preprocessing (``fixed``) adds nothing to the name, so
    existing statistics keep their names; ``minmax`` adds ``-minmax``.
    """
    suffix = "" if preprocessing == "fixed" else f"-{preprocessing}"
    return f"{dataset}{image_size}-{split}-{extractor}{dims}-n{n}{suffix}.npz"
