"""Who is in a charter: its parties and their people, read defensively.

Commands work on charters that fail the schema too, so a `parties` that is not a list or
a person that is not a mapping is skipped here, once, rather than crashing a caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def parties(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The parties that are mappings, in order."""
    value = data.get("parties") if isinstance(data, Mapping) else None
    return [p for p in value if isinstance(p, dict)] if isinstance(value, list) else []


def people(data: Mapping[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Person id → (person, party) for every representative with an id (first one wins)."""
    found: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for party in parties(data):
        members = party.get("people")
        for person in members if isinstance(members, list) else []:
            if isinstance(person, dict) and isinstance(person.get("id"), str):
                found.setdefault(person["id"], (person, party))
    return found
