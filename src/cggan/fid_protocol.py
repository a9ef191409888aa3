"""The FID protocol: what makes two FID numbers comparable, owned in one place.

A :class:`FIDProtocol` is the dataset and image size, the split and number of real
images the reference statistics describe, the feature extractor and its dimension, and
the preprocessing of the images. It is the one source of

* the reference statistics' file name (:meth:`FIDProtocol.stats_filename`) and the
  calibration's (:meth:`FIDProtocol.calibration_filename`);
* the command-line flags of ``scripts/fid_stats.py`` and ``scripts/calibrate.py``: both
  declare them with :meth:`FIDProtocol.add_arguments` and read them with
  :meth:`FIDProtocol.from_args`, and the workflow writes them with
  :meth:`FIDProtocol.argv`, so each field has one spelling;
* the protocol the statistics' JSON records (:func:`protocol_record`, the layout) and
  that a run or a calibration checks them against
  (:meth:`FIDProtocol.statistics_protocol`).

:class:`cggan.study.study.Study` builds one per FID experiment from the config and
:attr:`cggan.spec.RunSpec.fid_protocol` one per run; the names it may hold are
:mod:`cggan.registry`'s. Torch-free: the workflow names its files with it and
``snakemake -n`` must not import torch.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from cggan.checks import check_choice
from cggan.registry import (
    DATASET_FACTS,
    DEFAULT_PREPROCESSING,
    DEFAULT_REFERENCE_SPLIT,
    FID_EXTRACTORS,
    INCEPTION_EXTRACTOR,
    PREPROCESSINGS,
    REFERENCE_SPLITS,
)

__all__ = ["EVAL_KEYS", "FIDProtocol", "protocol_record"]

#: A run's ``eval`` keys (config and spec) -> the protocol's fields.
EVAL_KEYS = {
    "extractor": "extractor",
    "dims": "dims",
    "reference_split": "split",
    "reference_n": "n",
    "preprocessing": "preprocessing",
}


def protocol_record(
    *,
    dataset: str,
    split: str,
    n: int | None,
    image_size: int,
    channels: int,
    extractor: Mapping[str, Any],
    preprocessing: str,
) -> dict[str, Any]:
    """An FID protocol in the layout of the statistics JSON's ``protocol``: what
    ``fid_stats`` records (:func:`cggan.metrics.reference.reference_protocol` adds
    the file format, quantization and seed) and what a run checks. Keys whose value is
    None (left to the extractor or the split) are left out."""
    record = {
        "dataset": dataset,
        "split": split,
        "n": n,
        "image_size": image_size,
        "channels": channels,
        "extractor": {k: v for k, v in extractor.items() if v is not None},
        "preprocessing": preprocessing,
    }
    return {k: v for k, v in record.items() if v is not None}


@dataclass(frozen=True)
class FIDProtocol:
    """One FID protocol (a value: equal fields, equal protocol).

    ``dims`` None is the extractor's own dimension (Inception's 2048, the classifier's
    128) and ``n`` None the whole split: what ``scripts/fid_stats.py`` run by hand may
    leave open. A study's protocols state both (the statistics' file name needs them).
    """

    dataset: str
    image_size: int
    extractor: str
    dims: int | None = None
    n: int | None = None
    split: str = DEFAULT_REFERENCE_SPLIT
    preprocessing: str = DEFAULT_PREPROCESSING

    def __post_init__(self) -> None:
        check_choice("extractor", self.extractor, FID_EXTRACTORS)
        check_choice("split", self.split, REFERENCE_SPLITS)
        check_choice("preprocessing", self.preprocessing, PREPROCESSINGS)

    @classmethod
    def of_eval(
        cls, dataset: str, image_size: int, evaluation: Mapping[str, Any]
    ) -> FIDProtocol:
        """The protocol of an FID experiment or run: its dataset, image size and the
        FID keys of its ``eval`` (config or spec: :data:`EVAL_KEYS`)."""
        given = {field: evaluation[key] for key, field in EVAL_KEYS.items()}
        return cls(dataset=dataset, image_size=image_size, **given)

    # -- names ---------------------------------------------------------------------
    @property
    def channels(self) -> int:
        """The dataset's image channels (:data:`cggan.registry.DATASET_FACTS`)."""
        return DATASET_FACTS[self.dataset].channels

    @property
    def stats_stem(self) -> str:
        """The statistics' file name without ``.npz``, e.g.
        ``digits16-train-classifier128-n1437``.

        A readable key only: the JSON protocol beside the file is what is checked. The
        default preprocessing adds nothing, so statistics made before the key existed
        keep their names; ``minmax`` adds ``-minmax``.
        """
        if self.dims is None or self.n is None:
            raise ValueError(
                f"Invalid FID protocol: dims {self.dims}, n {self.n} (a statistics "
                "file name needs both)"
            )
        suffix = (
            ""
            if self.preprocessing == DEFAULT_PREPROCESSING
            else (f"-{self.preprocessing}")
        )
        return (
            f"{self.dataset}{self.image_size}-{self.split}-{self.extractor}"
            f"{self.dims}-n{self.n}{suffix}"
        )

    def stats_filename(self) -> str:
        """The reference statistics' file name (``<stats_stem>.npz``)."""
        return f"{self.stats_stem}.npz"

    def calibration_filename(self, n_samples: int) -> str:
        """The calibration's file name at ``n_samples`` images of each kind (the
        experiment's ``eval.n_samples``): keyed like the statistics plus the count."""
        return f"{self.stats_stem}-gen{n_samples}.json"

    # -- the statistics' protocol ----------------------------------------------------
    def statistics_protocol(self) -> dict[str, Any]:
        """What the statistics' JSON protocol must state for this protocol (in its
        layout, :func:`protocol_record`; ``dims`` and ``n`` only when given)."""
        return protocol_record(
            dataset=self.dataset,
            split=self.split,
            n=self.n,
            image_size=self.image_size,
            channels=self.channels,
            extractor={"name": self.extractor, "dims": self.dims},
            preprocessing=self.preprocessing,
        )

    # -- command lines ---------------------------------------------------------------
    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """Declare the protocol's flags (and the Inception weights, which
        :meth:`argv` may write) on a script's parser; the flags are the field names
        (``--image-size`` is ``image_size``)."""
        add = parser.add_argument
        add("--dataset", required=True, help="dataset name (cggan.data.DATASETS)")
        add("--image-size", required=True, type=int, help="image side length")
        add("--extractor", required=True, choices=FID_EXTRACTORS)
        add(
            "--dims",
            type=int,
            help="Inception block 64|192|768|2048 (default "
            "2048); the classifier has 128",
        )
        add(
            "--n",
            type=int,
            help="real images of the reference statistics (default: the whole split)",
        )
        add(
            "--split",
            default=DEFAULT_REFERENCE_SPLIT,
            choices=REFERENCE_SPLITS,
            help=f"split of the reference statistics (default "
            f"{DEFAULT_REFERENCE_SPLIT})",
        )
        add(
            "--preprocessing",
            default=DEFAULT_PREPROCESSING,
            choices=PREPROCESSINGS,
            help=f"FID image preprocessing (default {DEFAULT_PREPROCESSING})",
        )
        add(
            "--inception-weights",
            default=None,
            help="pytorch-fid weights file "
            "(else $CGGAN_INCEPTION_WEIGHTS, else the torch hub cache)",
        )

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FIDProtocol:
        """The protocol a script's parsed flags (:meth:`add_arguments`) state."""
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls)})

    def argv(self, inception_weights: str | None = None) -> list[str]:
        """The protocol's flags for ``scripts/fid_stats.py`` and
        ``scripts/calibrate.py``, in the order the ``fid_stats`` rule has always
        written them; ``--inception-weights`` only for the Inception extractor (the
        classifier reads no weights file).

        The default preprocessing writes no flag: the flag came after existing studies
        made their statistics, and Snakemake reruns a job whose command line changes,
        so spelling the default would recompute every study's statistics and retrain
        every run scored against them.
        """
        args = [
            "--dataset",
            self.dataset,
            "--image-size",
            str(self.image_size),
            "--extractor",
            self.extractor,
        ]
        if self.dims is not None:
            args += ["--dims", str(self.dims)]
        if self.n is not None:
            args += ["--n", str(self.n)]
        args += ["--split", self.split]
        if self.preprocessing != DEFAULT_PREPROCESSING:
            args += ["--preprocessing", self.preprocessing]
        if inception_weights and self.extractor == INCEPTION_EXTRACTOR:
            args += ["--inception-weights", str(inception_weights)]
        return args

    def shell_args(self, inception_weights: str | None = None) -> str:
        """:meth:`argv` as one shell-quoted string (a rule's ``params``)."""
        return " ".join(shlex.quote(a) for a in self.argv(inception_weights))
