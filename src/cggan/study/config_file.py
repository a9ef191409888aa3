"""A study's YAML config file, read as the workflow reads it: with the project's loader
(duplicated keys refused) and validated against the workflow's schema, which fills in
the defaults. For the scripts that take a config file (``scripts/study_cost.py``,
``scripts/restore_stale.py``, ``scripts/publish_results.py``); they pass the schema's
path. Torch-free.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from cggan.io import load_yaml
from cggan.study.config_checks import format_schema_error

__all__ = ["read_config_file", "schema_defaults"]


def read_config_file(
    path: str | os.PathLike, schema: str | os.PathLike
) -> dict[str, Any]:
    """The config in ``path``, validated against ``schema`` with its defaults filled in.

    Raises:
        ValueError: one line: an unreadable or unparsable file, or the first key the
            schema refuses.
    """
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    config = load_yaml(path)
    try:
        validate(config, str(schema))
    except WorkflowError as exc:
        context = exc.__context__
        if hasattr(context, "validator"):
            raise ValueError(format_schema_error(context)) from None
        raise ValueError(str(exc).splitlines()[0]) from None
    return config


def schema_defaults(schema: str | os.PathLike) -> dict[str, Any]:
    """Every default the schema declares, as a config: ``{key: default}``, and for an
    object with properties (``aggregate``, ``analysis``, ...) its properties' defaults.
    What a run of the library without a study config (an ad hoc aggregation) uses: the
    schema is the one home of the defaults."""
    return _defaults(load_yaml(schema))


def _defaults(node: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, sub in (node.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        if "properties" in sub:
            inner = _defaults(sub)
            if inner or "default" in sub:
                out[key] = {**copy.deepcopy(sub.get("default") or {}), **inner}
        elif "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
    return out
