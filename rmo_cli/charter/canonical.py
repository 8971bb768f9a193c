"""A charter as canonical text, one `path: value` line per value (git's textconv)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rmo_cli.charter.changes import canonical_key, id_index, unordered
from rmo_cli.charter.wording import (
    PERSON_FIELDS,
    SECTION_TITLES,
    json_text,
    people_names,
    reads_as_text,
)

_TOP_ORDER = list(SECTION_TITLES)
_FIRST_KEYS = ("id", "name", "title")


def _key_order(key: str) -> tuple[int, str]:
    return (_FIRST_KEYS.index(key) if key in _FIRST_KEYS else len(_FIRST_KEYS), key)


def canonical_lines(data: Mapping[str, Any]) -> list[str]:
    """A charter as one `path: value` line per value, stable under reordering.

    Items with ids are sorted by id and named by it (`kpis[kpi-otd].target: 95`); other
    lists are sorted by content (`members[]: jdoe (Jane Doe)`); person ids carry names;
    multi-line text is kept as indented lines. Two charters' texts line-diff semantically.
    """
    names = people_names(data)
    lines: list[str] = []
    top = sorted(
        data, key=lambda k: (_TOP_ORDER.index(k) if k in _TOP_ORDER else len(_TOP_ORDER), k)
    )
    for key in top:
        _emit(data[key], str(key), str(key), lines, names)
    return lines


def _emit(value: Any, path: str, key: str, lines: list[str], names: dict[str, str]) -> None:
    if isinstance(value, dict):
        if not value:
            lines.append(f"{path}: {{}}")
        for sub in sorted(value, key=lambda k: _key_order(str(k))):
            _emit(value[sub], f"{path}.{sub}", str(sub), lines, names)
        return
    if isinstance(value, list):
        if not value:
            lines.append(f"{path}: []")
            return
        index = id_index(value)
        if index is not None:
            for item_id in sorted(index):
                _emit(index[item_id], f"{path}[{item_id}]", key, lines, names)
            return
        for item in sorted(value, key=lambda item: canonical_key(unordered(item))):
            _emit(item, f"{path}[]", key, lines, names)
        return
    lines.extend(_scalar_lines(value, path, key, names))


def _scalar_lines(value: Any, path: str, key: str, names: dict[str, str]) -> list[str]:
    if isinstance(value, str):
        if "\n" in value.rstrip("\n"):
            return [
                f"{path}: |",
                *(f"    {line}".rstrip() for line in value.rstrip("\n").split("\n")),
            ]
        # Quoted when it would read as a number, boolean or null: `"3.1"` is not `3.1`.
        plain = value.rstrip("\n")
        text = plain if value.strip() and reads_as_text(plain) else json_text(value)
        if key in PERSON_FIELDS and value in names and names[value] != value:
            text += f" ({names[value]})"
        return [f"{path}: {text}"]
    return [f"{path}: {json.dumps(value, ensure_ascii=False, default=str)}"]
