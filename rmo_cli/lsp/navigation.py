"""Ids in a charter: where people, parties and objectives are defined and used.

Definitions are `parties[].id`, `parties[].people[].id` and `objectives[].id`; uses are
found through the schema (every value whose schema is a person or party reference, and
`kpis[].objective`), so a key added to the schema is followed without a change here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rmo_cli.charter.loading import Document
from rmo_cli.charter.roster import parties, people
from rmo_cli.lsp import schema_help
from rmo_cli.lsp.text import Span, contains, scalar_span

PathPart = str | int
SLUG_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
KIND_WORDS = {"person": "person", "party": "party", "objective": "objective"}


@dataclass(frozen=True)
class Occurrence:
    """One place an id is written: its kind, the id, where, and whether it defines it."""

    kind: str
    name: str
    path: tuple[PathPart, ...]
    span: Span
    definition: bool


def _definitions(data: Any) -> Iterator[tuple[str, tuple[PathPart, ...], Any]]:
    items = data.get("parties") if isinstance(data, dict) else None
    for i, party in enumerate(items if isinstance(items, list) else []):
        if not isinstance(party, dict):
            continue
        yield "party", ("parties", i, "id"), party.get("id")
        members = party.get("people")
        for j, person in enumerate(members if isinstance(members, list) else []):
            if isinstance(person, dict):
                yield "person", ("parties", i, "people", j, "id"), person.get("id")
    objectives = data.get("objectives") if isinstance(data, dict) else None
    for i, objective in enumerate(objectives if isinstance(objectives, list) else []):
        if isinstance(objective, dict):
            yield "objective", ("objectives", i, "id"), objective.get("id")


def _references(
    value: Any, path: tuple[PathPart, ...]
) -> Iterator[tuple[str, tuple[PathPart, ...], Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = (*path, key)
            if schema_help.node_at(child_path) is None:
                continue
            yield from _references(child, child_path)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _references(child, (*path, index))
    elif isinstance(value, str) and path:
        kind = schema_help.id_kind(path)
        if kind is not None:
            yield kind, path, value


def occurrences(doc: Document, lines: Sequence[str]) -> list[Occurrence]:
    """Every id definition and use in the document that still stands where it was parsed.

    A stale parse (the last good one, kept while a line is half typed) may place an id
    where the text has changed since; such places are left out rather than guessed.
    """
    found: list[Occurrence] = []
    for is_definition, source in (
        (True, _definitions(doc.data)),
        (False, _references(doc.data, ())),
    ):
        for kind, path, value in source:
            if not isinstance(value, str) or path not in doc.positions:
                continue
            line, column = doc.positions[path]
            span = scalar_span(lines, line, column, value)
            if span is not None:
                found.append(Occurrence(kind, value, path, span, is_definition))
    return found


def at(found: Sequence[Occurrence], line: int, character: int) -> Occurrence | None:
    """The occurrence under a 0-based cursor."""
    for occurrence in found:
        if contains(occurrence.span, line, character):
            return occurrence
    return None


def same_id(found: Sequence[Occurrence], target: Occurrence) -> list[Occurrence]:
    """Every occurrence of target's id, of target's kind (a party and a person may share one)."""
    return [o for o in found if o.kind == target.kind and o.name == target.name]


def rename_problem(found: Sequence[Occurrence], target: Occurrence, new_name: str) -> str | None:
    """Why target's id cannot become new_name, or None when it can."""
    if not SLUG_RE.match(new_name) or len(new_name) > 64:
        return (
            f"{new_name!r} is not an id: use lowercase letters a-z, digits and inner hyphens "
            "(at most 64 characters)"
        )
    if new_name != target.name and any(
        o.definition and o.kind == target.kind and o.name == new_name for o in found
    ):
        return f"the {target.kind} id {new_name!r} is already defined in this charter"
    return None


def describe(doc: Document, kind: str, name: str) -> str:
    """Who or what an id names, in a line or two of Markdown."""
    data = doc.data if isinstance(doc.data, dict) else {}
    if kind == "person":
        entry = people(data).get(name)
        if entry is None:
            return f"`{name}`: not a person of any party in this charter"
        person, party = entry
        words = [f"**{person.get('name') or name}** (person `{name}`)"]
        if person.get("title"):
            words.append(str(person["title"]))
        party_name = party.get("name") or party.get("id")
        words.append(
            f"of {party_name}"
            + (" — Senior Executive Responsible" if person.get("ser") is True else "")
        )
        if person.get("email"):
            words.append(str(person["email"]))
        return "  \n".join(words)
    if kind == "party":
        for party in parties(data):
            if party.get("id") == name:
                members = party.get("people")
                count = len(members) if isinstance(members, list) else 0
                kind_word = f", {party['type']}" if party.get("type") else ""
                title = party.get("name") or name
                return f"**{title}** (party `{name}`{kind_word}), {count} representative(s)"
        return f"`{name}`: not a party of this charter"
    objectives = data.get("objectives")
    for objective in objectives if isinstance(objectives, list) else []:
        if isinstance(objective, dict) and objective.get("id") == name:
            owner = objective.get("owner")
            extra = f"  \nowner: `{owner}`" if owner else ""
            due = f", by {objective['target_date']}" if objective.get("target_date") else ""
            return f"**Objective `{name}`**{due}: {objective.get('statement', '')}{extra}"
    return f"`{name}`: not an objective of this charter"


@dataclass(frozen=True)
class Symbol:
    """An outline entry: what it is, its name and detail, its whole span and its id's span."""

    kind: str
    name: str
    detail: str
    span: Span
    selection: Span
    children: tuple[Symbol, ...] = ()


def _extent(doc: Document, lines: Sequence[str], path: tuple[PathPart, ...]) -> Span | None:
    """From the item's first line to the end of the last line that holds one of its values."""
    if path not in doc.positions:
        return None
    line, column = doc.positions[path]
    last = line
    size = len(path)
    for other, (other_line, _) in doc.positions.items():
        if other_line > last and other[:size] == path:
            last = other_line
    end = len(lines[last - 1]) if 0 < last <= len(lines) else 0
    return (line - 1, column - 1, last - 1, end)


def _item_symbol(
    doc: Document,
    lines: Sequence[str],
    kind: str,
    path: tuple[PathPart, ...],
    item: dict[str, Any],
    detail_key: str,
) -> Symbol | None:
    name = item.get("id")
    extent = _extent(doc, lines, path)
    id_path = (*path, "id")
    if not isinstance(name, str) or extent is None or id_path not in doc.positions:
        return None
    line, column = doc.positions[id_path]
    selection = scalar_span(lines, line, column, name) or (
        line - 1,
        column - 1,
        line - 1,
        column - 1,
    )
    detail = item.get(detail_key)
    return Symbol(kind, name, str(detail) if detail is not None else "", extent, selection)


def symbols(doc: Document, lines: Sequence[str]) -> list[Symbol]:
    """The outline: parties with their people, objectives, KPIs and risks."""
    data = doc.data if isinstance(doc.data, dict) else {}
    found: list[Symbol] = []
    for collection, kind, detail in (
        ("parties", "party", "name"),
        ("objectives", "objective", "statement"),
        ("kpis", "kpi", "name"),
        ("risks", "risk", "title"),
    ):
        items = data.get(collection)
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            symbol = _item_symbol(doc, lines, kind, (collection, index), item, detail)
            if symbol is None:
                continue
            if kind == "party":
                members = item.get("people")
                children = [
                    _item_symbol(
                        doc, lines, "person", (collection, index, "people", j), person, "name"
                    )
                    for j, person in enumerate(members if isinstance(members, list) else [])
                    if isinstance(person, dict)
                ]
                symbol = Symbol(
                    symbol.kind,
                    symbol.name,
                    symbol.detail,
                    symbol.span,
                    symbol.selection,
                    tuple(c for c in children if c is not None),
                )
            found.append(symbol)
    return found
