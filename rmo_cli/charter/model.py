"""Defensive accessors for loaded charter data: a schema-invalid charter never raises."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def as_mapping(value: object) -> Mapping[str, Any]:
    """value when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> list[Any]:
    """value when it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def as_str(value: object) -> str | None:
    """value when it is a string, else None."""
    return value if isinstance(value, str) else None
