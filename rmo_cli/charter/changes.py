"""The semantic diff of two charters: two dicts in, a list of changes out (pure, no I/O).

Lists whose items all carry a unique `id` are matched by id, so reordering them is no
change and a change's path names the item (`kpis[kpi-otd].target`). Other lists are
compared by content, as multisets: reordering is no change, and an added or removed item
is reported at the list's own path with the item as its value.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Op = Literal["added", "removed", "changed"]
ADDED: Op = "added"
REMOVED: Op = "removed"
CHANGED: Op = "changed"


@dataclass(frozen=True)
class ItemKey:
    """A path segment naming a list item by its `id`."""

    id: str

    def __str__(self) -> str:
        return f"[{self.id}]"


Segment = str | ItemKey


@dataclass(frozen=True)
class Change:
    """One difference: op, the path that names it (`kpis[kpi-otd].target`), old and new values.

    `old` is None for `added`, `new` is None for `removed`. `segments` is the same path as
    keys and `ItemKey`s, for code that wants to walk it.
    """

    op: Op
    path: str
    old: Any
    new: Any
    segments: tuple[Segment, ...] = field(default=(), compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of SPEC §5."""
        return {"op": self.op, "path": self.path, "old": self.old, "new": self.new}

    @property
    def section(self) -> str:
        """The top-level key the change is under (`kpis`)."""
        first = self.segments[0] if self.segments else self.path.split(".")[0].split("[")[0]
        return str(first)


def path_string(segments: Iterable[Segment]) -> str:
    """`("kpis", ItemKey("kpi-otd"), "target")` → `kpis[kpi-otd].target`."""
    text = ""
    for seg in segments:
        if isinstance(seg, ItemKey):
            text += str(seg)
        else:
            text += ("." if text else "") + seg
    return text


def canonical_key(value: Any) -> str:
    """Equality key for values: `true` and `1`, `95` and `95.0` stay different, as in YAML."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


_SCALARS = (str, int, float, bool, type(None))


def _same_scalar(old: Any, new: Any) -> bool:
    """Scalar equality that keeps YAML's types apart (`true` is not `1`, `95` not `95.0`)."""
    if type(old) is not type(new):
        return False
    return bool(old == new or (old != old and new != new))  # NaN equals NaN here


def _item_key(value: Any) -> Any:
    """A hashable key for an item of a list compared by content, cheap for scalars.

    Lists inside the item count as sets too, so an escalation level whose people were
    reordered is the same level.
    """
    if isinstance(value, _SCALARS):
        return (type(value).__name__, value)
    return canonical_key(unordered(value))


def unordered(value: Any) -> Any:
    """The value with every list sorted (by canonical JSON), for order-blind comparison."""
    if isinstance(value, dict):
        return {key: unordered(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted((unordered(item) for item in value), key=canonical_key)
    return value


def id_index(items: list[Any]) -> dict[str, Any] | None:
    """Items keyed by id when every item is a mapping with a unique scalar id, else None."""
    index: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict):
            return None
        item_id = item.get("id")
        if not isinstance(item_id, (str, int)) or isinstance(item_id, bool):
            return None
        key = str(item_id)
        if key in index:
            return None
        index[key] = item
    return index


def diff_charters(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every added, removed and changed value between two charters (plain loaded data)."""
    changes: list[Change] = []
    _diff(old, new, (), changes)
    return changes


def _diff(old: Any, new: Any, path: tuple[Segment, ...], out: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new:
                out.append(_change(REMOVED, (*path, str(key)), old[key], None))
            else:
                _diff(old[key], new[key], (*path, str(key)), out)
        for key in new:
            if key not in old:
                out.append(_change(ADDED, (*path, str(key)), None, new[key]))
        return
    if isinstance(old, list) and isinstance(new, list):
        _diff_lists(old, new, path, out)
        return
    if isinstance(old, _SCALARS) and isinstance(new, _SCALARS):
        if not _same_scalar(old, new):
            out.append(_change(CHANGED, path, old, new))
    elif canonical_key(old) != canonical_key(new):
        out.append(_change(CHANGED, path, old, new))


def _diff_lists(
    old: list[Any], new: list[Any], path: tuple[Segment, ...], out: list[Change]
) -> None:
    old_index, new_index = id_index(old), id_index(new)
    # An empty list gives an empty index, so it pairs with an id-keyed list on the other side.
    if old_index is not None and new_index is not None:
        for key, item in old_index.items():
            seg = (*path, ItemKey(key))
            if key not in new_index:
                out.append(_change(REMOVED, seg, item, None))
            else:
                _diff(item, new_index[key], seg, out)
        for key, item in new_index.items():
            if key not in old_index:
                out.append(_change(ADDED, (*path, ItemKey(key)), None, item))
        return
    new_keys = [_item_key(item) for item in new]
    old_keys = [_item_key(item) for item in old]
    if old_keys == new_keys:
        return
    removed = unmatched(old, old_keys, new_keys)
    added = unmatched(new, new_keys, old_keys)
    out.extend(_change(REMOVED, path, item, None) for item in removed)
    out.extend(_change(ADDED, path, None, item) for item in added)


def unmatched(items: list[Any], keys: list[Any], other_keys: Iterable[Any]) -> list[Any]:
    """The items whose key is not matched by one of other_keys (each key used once)."""
    remaining = Counter(other_keys)
    left: list[Any] = []
    for item, key in zip(items, keys, strict=True):
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            left.append(item)
    return left


def _change(op: Op, segments: tuple[Segment, ...], old: Any, new: Any) -> Change:
    return Change(op, path_string(segments), old, new, segments)


# ---------------------------------------------------------------------------------------
# Signed content and versions


def fingerprint_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """True when the change touches signed content (SPEC §6 fingerprint differs)."""
    from rmo_cli.charter.fingerprint import fingerprint

    return fingerprint(dict(old)) != fingerprint(dict(new))


_VERSION_RE = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?\s*$")


def _version_key(value: Any) -> tuple[int, int, int] | None:
    match = _VERSION_RE.match(str(value)) if value is not None else None
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def version_bumped(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """True when `version` went up (MAJOR.MINOR[.PATCH]); if unparseable, when it differs."""
    old_v, new_v = old.get("version"), new.get("version")
    a, b = _version_key(old_v), _version_key(new_v)
    if a is not None and b is not None:
        return b > a
    return canonical_key(old_v) != canonical_key(new_v)


@dataclass(frozen=True)
class CharterDiff:
    """A diff with what a signatory asks about it: signed content touched, version bumped."""

    changes: list[Change]
    fingerprint_changed: bool
    old_version: Any
    new_version: Any
    version_bumped: bool

    @property
    def needs_version_bump(self) -> bool:
        """Signed content changed but the version did not go up: flag it.

        A mere reorder changes the fingerprint (it follows list order) but no content, so
        it asks for no new version.
        """
        return self.fingerprint_changed and bool(self.changes) and not self.version_bumped

    @property
    def reordered_only(self) -> bool:
        """No change in content, yet the fingerprint changed: items were reordered."""
        return self.fingerprint_changed and not self.changes

    def as_dict(self) -> dict[str, Any]:
        """The extra keys `rmo diff --format json` adds beside SPEC §5's."""
        return {
            "changes": [c.as_dict() for c in self.changes],
            "fingerprint_changed": self.fingerprint_changed,
            "version": {"old": self.old_version, "new": self.new_version},
            "version_bumped": self.version_bumped,
            "needs_version_bump": self.needs_version_bump,
            "reordered_only": self.reordered_only,
        }


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> CharterDiff:
    """`diff_charters` plus the fingerprint and version verdicts."""
    return CharterDiff(
        changes=diff_charters(old, new),
        fingerprint_changed=fingerprint_changed(old, new),
        old_version=old.get("version"),
        new_version=new.get("version"),
        version_bumped=version_bumped(old, new),
    )
