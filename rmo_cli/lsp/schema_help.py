"""What the charter schema says at a YAML path: allowed keys, values, descriptions, id kinds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rmo_cli.charter.schema import load_schema

PathPart = str | int

# Which kind of id a value names, by the schema definition it refers to.
_REF_KINDS = {"personRef": "person", "partyRef": "party"}


@dataclass(frozen=True)
class Node:
    """A schema node with its `$ref`s followed; `refs` names the definitions passed through."""

    schema: dict[str, Any]
    refs: frozenset[str]

    @property
    def title(self) -> str:
        """The node's title ("" when it has none)."""
        return str(self.schema.get("title", ""))

    @property
    def description(self) -> str:
        """The node's description ("" when it has none)."""
        return str(self.schema.get("description", ""))


def _resolve(schema: dict[str, Any]) -> Node:
    """Follow `$ref`s (and a lone `allOf`), keeping the outermost title and description."""
    defs = load_schema().get("$defs", {})
    merged: dict[str, Any] = {}
    refs: set[str] = set()
    node = schema
    for _ in range(20):
        for key, value in node.items():
            merged.setdefault(key, value)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
            refs.add(ref[8:])
            node = defs[ref[8:]]
            continue
        all_of = node.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
            node = all_of[0]
            continue
        break
    merged.pop("$ref", None)
    return Node(merged, frozenset(refs))


def node_at(path: Sequence[PathPart]) -> Node | None:
    """The schema node for the value at path (None where the schema does not go)."""
    node = _resolve(load_schema())
    for part in path:
        if isinstance(part, int):
            items = node.schema.get("items")
            if not isinstance(items, dict):
                return None
            node = _resolve(items)
        else:
            properties = node.schema.get("properties", {})
            if not isinstance(properties, dict) or part not in properties:
                return None
            node = _resolve(properties[part])
    return node


def keys_at(path: Sequence[PathPart]) -> dict[str, Node]:
    """The keys the mapping at path may hold, each with its schema node (in schema order)."""
    node = node_at(path)
    if node is None or not isinstance(node.schema.get("properties"), dict):
        return {}
    return {key: _resolve(value) for key, value in node.schema["properties"].items()}


def required_at(path: Sequence[PathPart]) -> set[str]:
    """The keys the mapping at path must hold."""
    node = node_at(path)
    required = node.schema.get("required", []) if node is not None else []
    return {str(k) for k in required} if isinstance(required, list) else set()


def is_mapping(path: Sequence[PathPart]) -> bool:
    """True when the schema expects a mapping of keys at path."""
    node = node_at(path)
    return node is not None and (node.schema.get("type") == "object" or "properties" in node.schema)


def id_kind(path: Sequence[PathPart]) -> str | None:
    """ "person", "party" or "objective" when the value at path names one, else None."""
    if len(path) == 3 and path[0] == "kpis" and isinstance(path[1], int) and path[2] == "objective":
        return "objective"
    node = node_at(path)
    if node is None:
        return None
    for ref, kind in _REF_KINDS.items():
        if ref in node.refs:
            return kind
    return None


def enum_at(path: Sequence[PathPart]) -> list[Any]:
    """The allowed values at path, when the schema lists them (true/false for booleans)."""
    node = node_at(path)
    if node is None:
        return []
    enum = node.schema.get("enum")
    if isinstance(enum, list):
        return list(enum)
    if node.schema.get("type") == "boolean":
        return [True, False]
    return []
