"""A study's YAML config file, read as the workflow reads it: with the project's loader
(duplicated keys refused) and validated against the workflow's schema, which fills in
the defaults. For the scripts that take a config file (``scripts/study_cost.py``,
``scripts/restore_stale.py``, ``scripts/publish_results.py``); they pass the schema's
path. Torch-free.
"""

from __future__ import annotations

import os
from typing import Any

from cggan.io import load_yaml
from cggan.study.config_checks import format_schema_error

__all__ = ["read_config_file"]


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
