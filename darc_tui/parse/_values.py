"""Tolerant readers for proto-JSON / YAML values (Envoy's config_dump, envoy.yaml, admin JSON)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d*)?|-?\.\d+)\s*s\s*$")


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def repeated(value: Any) -> list[Any]:
    """A repeated field as Envoy reads it: a list, or one value written where a list is expected
    (Envoy 1.40 loads `clusters: {name: a, …}` and `domains: "*"` as one-item lists)."""
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def enum(value: Any, names: tuple[str, ...] = ()) -> str:
    """A proto enum value by name: Envoy's YAML loader takes `logical_dns` for LOGICAL_DNS, and a
    number for the value with that number (`names[number]`); "" when unreadable."""
    if isinstance(value, str):
        return value.strip().upper()
    number = to_int(value)
    return names[number] if number is not None and 0 <= number < len(names) else ""


def scalar(value: Any) -> str:
    """A string field that YAML may have read as a number (`max_age: 1728000`), as proto-JSON
    writes it."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return text(value)


def dig(value: Any, *keys: str) -> Any:
    """value[k1][k2]…, or None as soon as a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


_INT_TEXT = re.compile(r"\s*-?\d{1,20}\s*")


def to_int(value: Any) -> int | None:
    """An int from a JSON number or a decimal string (proto3 JSON writes uint64 as "200")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        if value.isdecimal() and len(value) <= 20:  # the common "200": no regex
            return int(value)
        if _INT_TEXT.fullmatch(value):
            return int(value)
    return None


def to_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def duration(value: Any) -> float | None:
    """Seconds from a proto Duration: "0.250s", "1s", {seconds, nanos}; None when unreadable."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        return to_float(match.group(1)) if match else None
    if isinstance(value, Mapping):
        seconds = to_int(value.get("seconds", 0))
        nanos = to_int(value.get("nanos", 0))
        if seconds is None or nanos is None:
            return None
        return seconds + nanos / 1e9
    return None


def percent(value: Any) -> float | None:
    """A `type.v3.Percent` ({value: 50}); a present but empty mapping is 0 (proto3 omits zeros)."""
    if isinstance(value, Mapping):
        return to_float(value.get("value", 0))
    return None
