"""Completion and hover at a cursor: keys and values from the schema, ids from the charter.

Plain data in, plain data out: the server turns `Suggestion`s into LSP completion items.
The cursor's place comes from the text (it may not parse yet); the ids on offer come from
the last document that could be read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rmo_cli.charter.loading import Document
from rmo_cli.charter.roster import parties, people
from rmo_cli.lsp import navigation, schema_help
from rmo_cli.lsp.text import Span, cursor_at

PathPart = str | int
_WORD_RE = re.compile(r"[A-Za-z0-9_.@/-]")


@dataclass(frozen=True)
class Suggestion:
    """One completion: what it is ("key", "value" or "id"), its label and Markdown help."""

    what: str
    label: str
    detail: str = ""
    documentation: str = ""
    insert_text: str | None = None
    sort_text: str | None = None


def _data_at(doc: Document | None, path: Sequence[PathPart]) -> Any:
    value: Any = doc.data if doc is not None else None
    for part in path:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and part < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def _id_choices(doc: Document | None, kind: str) -> list[tuple[str, str]]:
    """(id, what it names) for each id of a kind in the document."""
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    if kind == "person":
        return [
            (pid, f"{person.get('name', pid)} ({party.get('id', '?')})")
            for pid, (person, party) in people(data).items()
        ]
    if kind == "party":
        return [
            (str(p["id"]), str(p.get("name", "")))
            for p in parties(data)
            if isinstance(p.get("id"), str)
        ]
    objectives = data.get("objectives")
    return [
        (o["id"], str(o.get("statement", "")))
        for o in (objectives if isinstance(objectives, list) else [])
        if isinstance(o, dict) and isinstance(o.get("id"), str)
    ]


def _keys(path: tuple[PathPart, ...], existing: Any, word: str) -> list[Suggestion]:
    required = schema_help.required_at(path)
    present = set(existing) if isinstance(existing, dict) else set()
    found = []
    for order, (key, node) in enumerate(schema_help.keys_at(path).items()):
        if key in present and key != word:
            continue
        note = "\n\n*Required.*" if key in required else ""
        found.append(
            Suggestion("key", key, node.title, node.description + note, f"{key}: ", f"{order:03d}")
        )
    return found


def _values(doc: Document | None, path: tuple[PathPart, ...]) -> list[Suggestion]:
    node = schema_help.node_at(path)
    if node is not None and node.schema.get("type") == "array":
        path = (*path, 0)  # `members: ` before the list is written: offer its items
    kind = schema_help.id_kind(path)
    if kind is not None:
        return [
            Suggestion(
                "id",
                name,
                f"{kind}: {what}" if what else kind,
                navigation.describe(doc, kind, name) if doc is not None else "",
            )
            for name, what in _id_choices(doc, kind)
        ]
    description = node.description if node is not None else ""
    return [
        Suggestion(
            "value",
            ("true" if value else "false") if isinstance(value, bool) else str(value),
            documentation=description,
        )
        for value in schema_help.enum_at(path)
    ]


def complete(
    doc: Document | None, lines: Sequence[str], line: int, character: int
) -> list[Suggestion]:
    """What may be written at a 0-based cursor: keys, allowed values or ids."""
    cursor = cursor_at(lines, line, character)
    if cursor is None:
        return []
    if cursor.where == "key" or (cursor.where == "item" and schema_help.is_mapping(cursor.path)):
        existing = {} if cursor.where == "item" else _data_at(doc, cursor.path)
        return _keys(cursor.path, existing, cursor.word)
    return _values(doc, cursor.path)


def _word_span(row: str, character: int) -> tuple[int, int]:
    start = end = character
    while start > 0 and _WORD_RE.match(row[start - 1]):
        start -= 1
    while end < len(row) and _WORD_RE.match(row[end]):
        end += 1
    return start, end


def hover(
    doc: Document | None, lines: Sequence[str], line: int, character: int
) -> tuple[str, Span] | None:
    """Markdown about what is under a 0-based cursor (an id, a key or its value), and where."""
    if doc is not None:
        target = navigation.at(navigation.occurrences(doc, lines), line, character)
        if target is not None:
            return navigation.describe(doc, target.kind, target.name), target.span
    if line >= len(lines):
        return None
    row = lines[line]
    start, end = _word_span(row, character)
    cursor = cursor_at(lines, line, end) if start < end else None
    if cursor is None:
        return None
    if cursor.where in ("key", "item") and row[end:].lstrip().startswith(":"):
        path: tuple[PathPart, ...] = (*cursor.path, row[start:end])
    elif cursor.where == "value":
        path = cursor.path
    else:
        return None
    node = schema_help.node_at(path)
    if node is None or not (node.title or node.description):
        return None
    text = f"**{node.title}**\n\n{node.description}" if node.title else node.description
    allowed = schema_help.enum_at(path)
    if allowed and not all(isinstance(v, bool) for v in allowed):
        text += "\n\nAllowed: " + ", ".join(f"`{v}`" for v in allowed)
    return text, (line, start, line, end)
