"""Trojan Source: bidi controls anywhere in a charter's text, invisible characters in ids
and emails (what a signatory reads must be what the file says)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from rmo_cli.charter.loading import Document, YamlPath
from rmo_cli.rules.registry import rule
from rmo_cli.support.escape import BIDI_CONTROL_RE, INVISIBLE_RE, unicode_escape
from rmo_cli.support.findings import Finding

# Keys whose values are ids (a person, party, objective… or the item's own id) or emails.
_ID_KEYS = frozenset(
    {
        "id",
        "email",
        "person",
        "party",
        "owner",
        "lead_party",
        "chair",
        "members",
        "holder",
        "people",
        "attendees",
        "reviewers",
        "objective",
        "objectives",
        "kpi",
        "risk",
        "charter",
        "charters",
        "supersedes",
        "related",
    }
)


def _strings(value: Any, path: YamlPath = ()) -> Iterator[tuple[YamlPath, str, bool]]:
    """(path, text, is_key) for every string in value: mapping keys and scalar values."""
    if isinstance(value, str):
        yield path, value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield (*path, key), key, True
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def may_hold(doc: Document, pattern: re.Pattern[str]) -> bool:
    """False when no string of the charter can match pattern, told from its source text:
    no match there and no backslash (a double-quoted escape could make one). A test of one
    string that spares the rules a walk over every value of almost every charter."""
    text = doc.text
    return not text or "\\" in text or pattern.search(text) is not None


def _field(path: YamlPath) -> str | None:
    """The name of the field a value belongs to (list items: the list's name)."""
    return next((part for part in reversed(path) if isinstance(part, str)), None)


def _shown(found: list[str]) -> str:
    return ", ".join(dict.fromkeys(unicode_escape(c) for c in found))


@rule(
    "bidi-control",
    "No text holds bidi controls (U+202A–U+202E, U+2066–U+2069): they reorder what a reader "
    "sees (Trojan Source).",
)
def _bidi_control(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    if not may_hold(doc, BIDI_CONTROL_RE):
        return
    for path, text, is_key in _strings(doc.data):
        found = BIDI_CONTROL_RE.findall(text)
        if found:
            yield doc.finding(
                path,
                "bidi-control",
                f"{'key' if is_key else 'text'} holds the bidi control character(s) "
                f"{_shown(found)}, which reorder the text a reader sees; remove them",
                key=is_key,
            )


@rule(
    "invisible-character",
    "Ids and emails hold no invisible characters (zero-width spaces and joiners, U+2060, U+FEFF…).",
)
def _invisible_character(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    if not may_hold(doc, INVISIBLE_RE):
        return
    for path, text, is_key in _strings(doc.data):
        if is_key or _field(path) not in _ID_KEYS:
            continue
        found = INVISIBLE_RE.findall(text)
        if found:
            yield doc.finding(
                path,
                "invisible-character",
                f"{_field(path)} holds the invisible character(s) {_shown(found)}: two "
                "values that look the same would differ; remove them",
            )
