"""Names on disk: setting ids and the run-directory layout (torch-free).

A *setting* is one point of a method's sweep under one learning-rate rule (``lr_d``,
``lr_g`` and the method's swept hyperparameters); its id names a directory. A run lives
in ``results/runs/<study>/`` + :data:`RUN_DIR_LAYOUT`; :func:`parse_run_dir` reads the
parts back. :class:`cggan.study.Study` is the only writer of these paths.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cggan.checks import invalid as _invalid

__all__ = [
    "LR_GRID",
    "RUN_DIR_LAYOUT",
    "Setting",
    "parse_run_dir",
    "pool_id",
    "pool_of_setting",
    "setting_id",
]

#: A run's directory under ``results/runs/<study>/`` (parse_run_dir reads it back).
RUN_DIR_LAYOUT = "{experiment}/{method}/{lr_rule}/{setting}/seed{seed}"


def _format_value(value: Any) -> str:
    """A short, stable, path-safe text for one hyperparameter value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # repr is the shortest text that round-trips: 0.0005 ->
        # "0.0005", 5e-05 -> "5e-05".
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "x".join(_format_value(v) for v in value)
    raise _invalid(
        "hyperparameter value", value, "numbers, strings, booleans, lists of them"
    )


def setting_id(lr_d: float, lr_g: float, method_kwargs: Mapping[str, Any]) -> str:
    """The directory name of one sweep setting, e.g.
    ``lr_d~0.001_lr_g~5e-05_beta_coeff~0.5``.

    Readable (Paramspace's ``name~value`` style) and stable: keys are sorted, floats use
    their shortest round-trip text, so the same setting always maps
    to the same directory.
    """
    parts = [f"lr_d~{_format_value(float(lr_d))}", f"lr_g~{_format_value(float(lr_g))}"]
    parts += [f"{k}~{_format_value(method_kwargs[k])}" for k in sorted(method_kwargs)]
    return "_".join(parts)


#: The pool of a method that sweeps no hyperparameter besides the learning rates.
LR_GRID = "lr grid"


def pool_id(method_kwargs: Mapping[str, Any]) -> str:
    """The pool of a setting: its swept hyperparameters as the setting ids spell them
    (``momentum~0.9``), or :data:`LR_GRID` for none.

    A pool is one value (one combination) of a method's swept hyperparameters with the
    whole learning-rate grid: selection, grid extension and the claims work per pool.
    """
    if not method_kwargs:
        return LR_GRID
    return "_".join(
        f"{k}~{_format_value(method_kwargs[k])}" for k in sorted(method_kwargs)
    )


_SETTING_ID = re.compile(r"^lr_d~[^_]+_lr_g~[^_]+(?:_(?P<hparams>.+))?$")


def pool_of_setting(setting: str, default: str | None = None) -> str:
    """The pool a setting id belongs to (the part after its learning rates); an id
    outside the layout is ``default`` when one is given, else an error."""
    match = _SETTING_ID.match(str(setting))
    if not match and default is not None:
        return default
    if not match:
        raise _invalid("setting id", setting, "lr_d~<lr>_lr_g~<lr>[_<name>~<value>...]")
    return match.group("hparams") or LR_GRID


@dataclass(frozen=True)
class Setting:
    """One point of a sweep: learning rates and the method's swept hyperparameters."""

    lr_d: float
    lr_g: float
    method_kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return setting_id(self.lr_d, self.lr_g, self.method_kwargs)

    @property
    def pool(self) -> str:
        return pool_id(self.method_kwargs)


def parse_run_dir(path: str | os.PathLike) -> dict[str, Any]:
    """Split
    ``.../<study>/<experiment>/<method>/<lr_rule>/<setting>/seed<k>[/summary.json]``.

    Returns:
        dict with study, experiment, method, lr_rule, setting, seed.
    """
    parts = Path(path).parts
    if parts and parts[-1] == "summary.json":
        parts = parts[:-1]
    if (
        len(parts) < 6
        or not parts[-1].startswith("seed")
        or not parts[-1][4:].isdigit()
    ):
        raise _invalid(
            "run directory",
            str(path),
            ".../<study>/<experiment>/<method>/<lr_rule>/<setting>/seed<k>",
        )
    study, experiment, method, lr_rule, setting, seed = parts[-6:]
    return {
        "study": study,
        "experiment": experiment,
        "method": method,
        "lr_rule": lr_rule,
        "setting": setting,
        "seed": int(seed[4:]),
    }
