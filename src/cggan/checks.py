"""Argument validators shared by the optimizers, learning-rate
rules, run specs and CLIs.

Every check raises ``ValueError`` with one line in the house style::

    Invalid <key>: <value> (allowed: <what is allowed>)

so that a bad config, spec or command line is refused before any work starts, naming the
key and what it may be. :func:`differences` is the one comparison of nested JSON-like
values (specs, statistics protocols, selection records) behind the messages that name
the first differing key. Torch-free: planning a study imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "MISSING",
    "check_choice",
    "check_int_min",
    "check_interval",
    "check_keys",
    "check_lr",
    "check_non_negative",
    "check_positive",
    "differences",
    "invalid",
    "is_number",
]


def invalid(key: str, value: Any, allowed: str) -> ValueError:
    """The one-line error of the house style (returned, for ``raise invalid(...)``)."""
    return ValueError(f"Invalid {key}: {value!r} (allowed: {allowed})")


def is_number(value: Any) -> bool:
    """A real Python/NumPy number that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_lr(lr: Any, key: str = "learning rate") -> None:
    """Raise unless ``lr`` is a finite number ``>= 0`` (schedulers
    may decay it to 0)."""
    if not is_number(lr) or not (lr >= 0.0 and math.isfinite(lr)):
        raise invalid(key, lr, "lr >= 0")


def check_positive(key: str, value: Any) -> None:
    """Raise unless ``value`` is a finite number ``> 0``."""
    if not is_number(value) or not (value > 0 and math.isfinite(value)):
        raise invalid(key, value, "a finite number > 0")


def check_non_negative(key: str, value: Any) -> None:
    """Raise unless ``value`` is a number ``>= 0``."""
    if not is_number(value) or not value >= 0.0:
        raise invalid(key, value, f"{key} >= 0")


def check_interval(
    key: str,
    value: Any,
    low: float,
    high: float,
    *,
    closed_low: bool = True,
    closed_high: bool = False,
) -> None:
    """Raise unless ``value`` lies in the interval from ``low`` to ``high``.

    The bounds are included as ``closed_low``/``closed_high`` say
    (default ``[low, high)``).
    """
    inside = (
        is_number(value)
        and (low <= value if closed_low else low < value)
        and (value <= high if closed_high else value < high)
    )
    if not inside:
        left = "[" if closed_low else "("
        right = "]" if closed_high else ")"
        raise invalid(key, value, f"{left}{low:g}, {high:g}{right}")


def check_int_min(key: str, value: Any, minimum: int) -> None:
    """Raise unless ``value`` is an integer ``>= minimum`` (floats like
    3.0 are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise invalid(key, value, f"an integer >= {minimum}")


def check_choice(key: str, value: Any, allowed: Sequence[Any]) -> None:
    """Raise unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise invalid(key, value, ", ".join(str(a) for a in allowed))


def check_keys(key: str, given: Iterable[str], allowed: Sequence[str]) -> None:
    """Raise for the first of ``given`` not in ``allowed`` (as ``<key>.<name>``)."""
    for name in given:
        if name not in allowed:
            raise invalid(f"{key}.{name}", name, ", ".join(allowed) or "none")


#: The value :func:`differences` gives a key that one side does not have.
MISSING = "<missing>"


def differences(
    a: Any, b: Any, prefix: str = "", *, missing: Any = MISSING, only_a: bool = False
) -> Iterator[tuple[str, Any, Any]]:
    """Where two nested JSON-like values differ, leaf by leaf.

    Yields ``(dotted key, value in a, value in b)`` for each differing leaf, in sorted
    key order, depth first: mappings are compared key by key (only ``a``'s keys with
    ``only_a``, for a partial expectation), a key one side lacks has the value
    ``missing`` there, lists and tuples compare as lists, anything else with ``==``.
    ``prefix`` is the dotted name of ``a`` itself (``""`` at the top).
    """
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(a) if only_a else sorted(set(a) | set(b)):
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from differences(
                a.get(key, missing),
                b.get(key, missing),
                name,
                missing=missing,
                only_a=only_a,
            )
        return
    sequences = isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))
    if (list(a) != list(b)) if sequences else (a != b):
        yield prefix, a, b
