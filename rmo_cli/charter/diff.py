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

_MISSING: Any = object()


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


def _canonical(value: Any) -> str:
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
    return _canonical(_unordered(value))


def _unordered(value: Any) -> Any:
    """The value with every list sorted (by canonical JSON), for order-blind comparison."""
    if isinstance(value, dict):
        return {key: _unordered(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted((_unordered(item) for item in value), key=_canonical)
    return value


def _id_index(items: list[Any]) -> dict[str, Any] | None:
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
    elif _canonical(old) != _canonical(new):
        out.append(_change(CHANGED, path, old, new))


def _diff_lists(
    old: list[Any], new: list[Any], path: tuple[Segment, ...], out: list[Change]
) -> None:
    old_index, new_index = _id_index(old), _id_index(new)
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
    remaining = Counter(new_keys)
    removed: list[Any] = []
    for item, key in zip(old, old_keys, strict=True):
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            removed.append(item)
    kept = Counter(old_keys)
    added: list[Any] = []
    for item, key in zip(new, new_keys, strict=True):
        if kept[key] > 0:
            kept[key] -= 1
        else:
            added.append(item)
    out.extend(_change(REMOVED, path, item, None) for item in removed)
    out.extend(_change(ADDED, path, None, item) for item in added)


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
    return _canonical(old_v) != _canonical(new_v)


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


# ---------------------------------------------------------------------------------------
# In words

SECTION_TITLES: dict[str, str] = {
    "apiVersion": "Document control",
    "kind": "Document control",
    "id": "Document control",
    "title": "Document control",
    "version": "Document control",
    "status": "Document control",
    "lifecycle_stage": "Document control",
    "parties": "Parties",
    "purpose": "Purpose",
    "objectives": "Objectives",
    "principles": "Principles",
    "governance": "Governance",
    "roles": "Roles",
    "escalation": "Escalation",
    "communication": "Communication",
    "kpis": "KPIs",
    "risks": "Risks",
    "term": "Term",
    "review": "Review",
    "exit": "Exit",
    "signoffs": "Sign-offs",
}

# What one item of an id-keyed collection is called.
_ITEM_NOUNS: dict[str, str] = {
    "parties": "party",
    "people": "person",
    "objectives": "objective",
    "kpis": "KPI",
    "risks": "risk",
    "roles": "role",
    "bodies": "body",
    "meetings": "meeting",
}
_ITEM_LABEL_KEYS = ("name", "title", "statement")
# Fields whose values are person ids (one, or a list of them).
_PERSON_FIELDS = {
    "owner",
    "holder",
    "chair",
    "members",
    "attendees",
    "people",
    "reviewers",
    "person",
}
_KEY_WORDS: dict[str, str] = {
    "kpis": "KPIs",
    "lifecycle_stage": "lifecycle stage",
    "lead_party": "lead party",
    "decision_rule": "decision rule",
    "final_recourse": "final recourse",
    "time_limit": "time limit",
    "target_date": "target date",
    "notice_period": "notice period",
    "last_reviewed": "last reviewed",
    "next_due": "next due",
    "ser": "senior executive responsible",
    "log": "review log",
    "signoffs": "sign-offs",
}
# What one item of a list compared by content is called.
_LIST_ITEM_NOUNS: dict[str, str] = {
    "amendments": "amendment",
    "principles": "principle",
    "signoffs": "sign-off",
    "log": "review log entry",
    "levels": "escalation level",
    "responsibilities": "responsibility",
    "triggers": "exit trigger",
    "members": "member",
    "attendees": "attendee",
    "reviewers": "reviewer",
    "people": "person",
}
_MAX_WORDS_VALUE = 80


def people_names(*charters: Mapping[str, Any]) -> dict[str, str]:
    """Person id → name across the given charters (later ones win)."""
    names: dict[str, str] = {}
    from rmo_cli.charter.roster import people

    for data in charters:
        for person_id, (person, _) in people(data).items():
            name = person.get("name")
            names[person_id] = name if isinstance(name, str) and name else person_id
    return names


def section_title(change: Change) -> str:
    """The heading a change is grouped under (`KPIs`, `Governance`, `Document control`)."""
    key = change.section
    return SECTION_TITLES.get(key, key.replace("_", " ").capitalize())


def group_by_section(changes: Iterable[Change]) -> dict[str, list[Change]]:
    """Changes grouped by section title, sections in order of first appearance."""
    groups: dict[str, list[Change]] = {}
    for change in changes:
        groups.setdefault(section_title(change), []).append(change)
    return groups


def _find(data: Any, segments: Iterable[Segment]) -> Any:
    """The value at a path, or _MISSING."""
    node = data
    for seg in segments:
        if isinstance(seg, ItemKey):
            if not isinstance(node, list):
                return _MISSING
            node = next(
                (i for i in node if isinstance(i, dict) and str(i.get("id")) == seg.id), _MISSING
            )
        elif isinstance(node, dict) and seg in node:
            node = node[seg]
        else:
            return _MISSING
        if node is _MISSING:
            return _MISSING
    return node


def _item_label(item: Any, item_id: str) -> str:
    if isinstance(item, dict):
        for key in _ITEM_LABEL_KEYS:
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                return _short(value.strip())
    return item_id


def _key_words(key: str) -> str:
    return _KEY_WORDS.get(key, key.replace("_", " "))


@dataclass(frozen=True)
class Phrase:
    """A change in words: `lead`, then `sep`, then the old and/or new value in words."""

    lead: str
    sep: str
    old: str | None
    new: str | None

    @property
    def text(self) -> str:
        """The whole sentence."""
        if self.old is not None and self.new is not None:
            return f"{self.lead}{self.sep}{self.old} → {self.new}"
        value = self.new if self.new is not None else self.old
        return self.lead if value is None else f"{self.lead}{self.sep}{value}"


class Describer:
    """Turns changes into sentences in the agreement's language, people shown by name."""

    def __init__(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.old = old
        self.new = new
        self.names = people_names(old, new)

    def person(self, value: Any) -> str:
        """A person id as the person's name (the id itself when unknown)."""
        if isinstance(value, str):
            return self.names.get(value, value)
        return self.value(value)

    def value(self, value: Any, key: str | None = None) -> str:
        """A value in words; person fields by name, long text shortened."""
        if value is None:
            return "(none)"
        if key in _PERSON_FIELDS:
            if isinstance(value, list):
                return ", ".join(self.person(v) for v in value) or "(none)"
            return self.person(value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, str):
            return _short(value)
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, dict):
            return self._summary(value)
        if isinstance(value, list):
            return ", ".join(self.value(v, key) for v in value) or "(none)"
        return str(value)

    def pair(self, old: Any, new: Any, key: str | None = None) -> tuple[str, str]:
        """Old and new values in words that always tell them apart.

        Long texts that differ after the shortened part show the stretch that changed;
        values that read the same but differ in type (`"95"` and `95`) show their types.
        """
        before, after = self.value(old, key), self.value(new, key)
        if before != after:
            return before, after
        if isinstance(old, str) and isinstance(new, str):
            one_old, one_new = " ".join(old.split()), " ".join(new.split())
            if one_old == one_new:  # only spacing or line breaks changed
                one_old, one_new = _json(old), _json(new)
            return _around_difference(one_old, one_new)
        return _around_difference(_json(old), _json(new))

    def _summary(self, item: dict[str, Any]) -> str:
        if "person" in item and ("fingerprint" in item or "party" in item):  # a sign-off
            parts = [self.person(item.get("person"))]
            if item.get("party"):
                parts.append(f"for {item['party']}")
            if item.get("date"):
                parts.append(f"on {item['date']}")
            if item.get("version"):
                parts.append(f"(version {item['version']})")
            return " ".join(str(p) for p in parts)
        if "date" in item and "outcome" in item:  # a review log entry
            who = self.value(item.get("reviewers"), "reviewers") if item.get("reviewers") else ""
            return f"{item['date']} {item['outcome']}" + (f" by {who}" if who else "")
        if "level" in item and "name" in item:
            return f"level {item['level']} {item['name']}"
        for key in _ITEM_LABEL_KEYS:
            if isinstance(item.get(key), str):
                return _short(item[key])
        return _short(_canonical(item))

    def subject(self, segments: tuple[Segment, ...]) -> tuple[str, str | None]:
        """(who or what the change is about, the last plain key) for a path."""
        words: list[str] = []
        last_key: str | None = None
        collection: str | None = None
        for i, seg in enumerate(segments):
            if isinstance(seg, ItemKey):
                noun = _ITEM_NOUNS.get(collection or "", "item")
                item = _find(self.new, segments[: i + 1])
                if item is _MISSING:
                    item = _find(self.old, segments[: i + 1])
                # The item's own name is specific enough: drop the words leading to it.
                words = [f"{noun} {_item_label(item, seg.id)}"]
                last_key = None
            else:
                words.append(_key_words(seg))
                collection = seg
                last_key = seg
        return ", ".join(words), last_key

    def phrase(self, change: Change) -> Phrase:
        """The parts of a change's sentence, for reporters that style old and new values."""
        segments = change.segments
        if not segments:
            value = self.value(change.new if change.new is not None else change.old)
            return Phrase(change.op, ": ", None if change.op == ADDED else value, value)
        if isinstance(segments[-1], ItemKey):
            subject, _ = self.subject(segments)
            return Phrase(f"{subject} {change.op}", "", None, None)
        owner = self.subject(segments[:-1])[0] if len(segments) > 1 else ""
        last = str(segments[-1])
        field_words = _key_words(last)
        if change.op == CHANGED:
            old, new = self.pair(change.old, change.new, last)
            if owner:
                return Phrase(f"{owner}: {field_words}", " ", old, new)
            return Phrase(field_words, ": ", old, new)
        if self._is_list_item(change):
            # An item added to or removed from a list compared by content.
            field_words = _LIST_ITEM_NOUNS.get(last, field_words)
        if owner and field_words.startswith(owner):
            owner = ""  # "review log entry", not "review: review log entry"
        lead = f"{owner}: {field_words} {change.op}" if owner else f"{field_words} {change.op}"
        item = change.new if change.op == ADDED else change.old
        if last == "amendments" and isinstance(item, dict):  # `amendment 1.1 added: why`
            lead = f"amendment {item.get('version')} {change.op}"
            words = _short(str(item.get("summary") or ""))
            if change.op == ADDED:
                return Phrase(lead, ": ", None, words)
            return Phrase(lead, ": ", words, None)
        if change.op == ADDED:
            return Phrase(lead, ": ", None, self.value(change.new, last))
        return Phrase(lead, ": ", self.value(change.old, last), None)

    def describe(self, change: Change) -> str:
        """One sentence: `KPI On-time delivery: target 95 → 97`, `party Initech added`."""
        return self.phrase(change).text

    def _is_list_item(self, change: Change) -> bool:
        """True for an item added to or removed from a list compared by content.

        Such a change's path ends at the list itself, which both charters hold.
        """
        return isinstance(_find(self.old, change.segments), list) and isinstance(
            _find(self.new, change.segments), list
        )

    def lines(self, changes: Iterable[Change]) -> list[tuple[Change, str]]:
        """Each change with its sentence (edited list items told as edits, see `phrases`)."""
        return [(c, p.text) for c, p in self.phrases(changes)]

    def phrases(self, changes: Iterable[Change]) -> list[tuple[Change, Phrase]]:
        """Each change with its phrase; in lists compared by content, an item removed and
        one added with the same level, name, person, date or title are told as an edit
        (`escalation level 1 Operational: time limit P5D → P3D`). The changes themselves
        stay as they are: this is only how they are put in words.
        """
        changes = list(changes)
        paired: dict[int, list[Phrase] | None] = {}
        for i, removed in enumerate(changes):
            if removed.op != REMOVED or not isinstance(removed.old, dict) or i in paired:
                continue
            if not self._is_list_item(removed):
                continue
            for j, added in enumerate(changes):
                if (
                    j in paired
                    or added.op != ADDED
                    or added.segments != removed.segments
                    or not isinstance(added.new, dict)
                ):
                    continue
                key = _pair_key(removed.old, added.new)
                if key is None:
                    continue
                paired[i] = self._edit_phrases(removed, removed.old, added.new, key)
                paired[j] = None
                break
        result: list[tuple[Change, Phrase]] = []
        for i, change in enumerate(changes):
            if i not in paired:
                result.append((change, self.phrase(change)))
                continue
            edit = paired[i]
            if edit:
                edited = Change(CHANGED, change.path, change.old, None, change.segments)
                result.extend((edited, phrase) for phrase in edit)
        return result

    def _edit_phrases(
        self, change: Change, old: dict[str, Any], new: dict[str, Any], key: str
    ) -> list[Phrase]:
        last = str(change.segments[-1])
        noun = _LIST_ITEM_NOUNS.get(last, _key_words(last))
        label = self.value(new[key], key)
        if key == "level" and isinstance(new.get("name"), str):
            label = f"{label} {_short(new['name'])}"
        lead = f"{noun} {label}"
        phrases: list[Phrase] = []
        for field_name in [*old, *(k for k in new if k not in old)]:
            before, after = old.get(field_name, _MISSING), new.get(field_name, _MISSING)
            if (
                before is not _MISSING
                and after is not _MISSING
                and _canonical(before) == _canonical(after)
            ):
                continue
            words = _key_words(field_name)
            if before is _MISSING:
                phrases.append(
                    Phrase(f"{lead}: {words} added", ": ", None, self.value(after, field_name))
                )
            elif after is _MISSING:
                phrases.append(
                    Phrase(f"{lead}: {words} removed", ": ", self.value(before, field_name), None)
                )
            else:
                phrases.append(
                    Phrase(f"{lead}: {words}", " ", *self.pair(before, after, field_name))
                )
        return phrases


# Fields that name an item of a list compared by content, in order of preference.
_PAIR_KEYS = ("level", "name", "person", "date", "title", "statement")


def _pair_key(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """The first naming field both items have with the same value, if any."""
    for key in _PAIR_KEYS:
        if key in old and key in new and _canonical(old[key]) == _canonical(new[key]):
            return key
    return None


def _short(text: str, limit: int = _MAX_WORDS_VALUE) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "…"


def _json(value: Any) -> str:
    """A value as JSON text: strings quoted, so `"95"` and `95` read differently."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _reads_as_text(text: str) -> bool:
    """True when YAML would read text, written plain, as this same string."""
    from rmo_cli.charter.loading import _resolve_plain

    if text != text.strip():
        return False
    try:
        return isinstance(_resolve_plain(text), str)
    except ValueError:  # digits beyond what Python converts: a number all the same
        return False


def _around_difference(old: str, new: str, limit: int = _MAX_WORDS_VALUE) -> tuple[str, str]:
    """The two texts shortened to the stretch where they start to differ."""
    if len(old) <= limit and len(new) <= limit:
        return old, new
    same = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        same += 1
    start = max(0, same - limit // 4)

    def cut(text: str) -> str:
        piece = text[start : start + limit - 2]
        return ("…" if start else "") + piece + ("…" if start + limit - 2 < len(text) else "")

    return cut(old), cut(new)


def describe_changes(
    old: Mapping[str, Any], new: Mapping[str, Any], changes: Iterable[Change]
) -> list[str]:
    """Each change in words (see `Describer.describe`)."""
    describer = Describer(old, new)
    return [describer.describe(c) for c in changes]


# ---------------------------------------------------------------------------------------
# One step of a charter's history, in words (for `rmo log`)


def _signoff_keys(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    signoffs = data.get("signoffs")
    for item in signoffs if isinstance(signoffs, list) else []:
        if isinstance(item, dict):
            result[_canonical(item)] = item
    return result


def _review_entries(data: Mapping[str, Any]) -> list[str]:
    review = data.get("review")
    log = review.get("log") if isinstance(review, dict) else None
    return [_canonical(e) for e in log] if isinstance(log, list) else []


def _surely_signed(change: Change) -> bool:
    """True for a change the fingerprint surely sees (SPEC §6 leaves out sign-offs and
    review bookkeeping; a whole `review` added or removed may be either)."""
    seg = change.segments
    if seg[:1] in (("signoffs",), ("status",), ("lifecycle_stage",)) or seg in (
        (),
        ("review",),
        ("kpis",),
    ):
        return False
    if seg[0] == "kpis" and (len(seg) < 3 or seg[2] == "measurements"):
        return False  # a whole KPI may carry measurements only
    return not (seg[0] == "review" and seg[1] in ("last_reviewed", "next_due", "log"))


# Up to this many other changes a commit made are each told in words; more are counted.
_STEP_DETAIL = 3


def describe_step(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    fingerprints: tuple[str, str] | None = None,
) -> list[str]:
    """What one commit did to a charter, in words (`created`, `status draft → active`, ...).

    `old` is None when the charter was created, `new` is None when it was deleted.
    `fingerprints` (old, new) may be given when already known, to save computing them.
    """
    if old is None and new is None:
        return []
    if old is None:
        return ["created"]
    if new is None:
        return ["deleted"]
    describer = Describer(old, new)
    events: list[str] = []
    for key in ("status", "version"):
        if _canonical(old.get(key)) != _canonical(new.get(key)):
            before, after = describer.pair(old.get(key), new.get(key))
            events.append(f"{key} {before} → {after}")
    old_signoffs, new_signoffs = _signoff_keys(old), _signoff_keys(new)
    for key, item in new_signoffs.items():
        if key not in old_signoffs:
            events.append(f"sign-off added by {describer.person(item.get('person'))}")
    removed = [k for k in old_signoffs if k not in new_signoffs]
    replaced = {str(new_signoffs[k].get("person")) for k in new_signoffs if k not in old_signoffs}
    for key in removed:
        person = old_signoffs[key].get("person")
        if str(person) not in replaced:
            events.append(f"sign-off removed: {describer.person(person)}")
    old_log, new_log = _review_entries(old), _review_entries(new)
    remaining = Counter(old_log)
    for entry in new_log:
        if remaining[entry] > 0:
            remaining[entry] -= 1
        else:
            data = json.loads(entry)
            if isinstance(data, dict):
                events.append(f"review recorded ({describer.value(data)})")
            else:
                events.append("review recorded")
    changes = diff_charters(old, new)
    others = [
        c
        for c in changes
        if c.section not in ("status", "version", "signoffs")
        and not (c.segments[:2] == ("review", "log"))
        and not (
            c.segments[:2] in (("review", "last_reviewed"), ("review", "next_due"))
            and new_log != old_log
        )
    ]
    worded = describer.lines(others)
    if 0 < len(worded) <= _STEP_DETAIL:
        events.extend(text for _, text in worded)
    elif worded:
        sections = list(group_by_section(others))
        events.append(f"{len(worded)} other changes ({', '.join(sections)})")
    if fingerprints is not None:
        signed_changed = fingerprints[0] != fingerprints[1]
    elif any(_surely_signed(c) for c in changes):
        signed_changed = True  # a change of signed content always changes the fingerprint
    else:
        signed_changed = fingerprint_changed(old, new)  # a reorder may still change it
    if signed_changed:
        if not changes:
            events.append("items reordered (no change in content, but the fingerprint changed)")
        elif not version_bumped(old, new):
            events.append("content changed without a version bump")
    return events


# ---------------------------------------------------------------------------------------
# Canonical text (git's textconv for charters)

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
        index = _id_index(value)
        if index is not None:
            for item_id in sorted(index):
                _emit(index[item_id], f"{path}[{item_id}]", key, lines, names)
            return
        for item in sorted(value, key=lambda item: _canonical(_unordered(item))):
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
        text = plain if value.strip() and _reads_as_text(plain) else _json(value)
        if key in _PERSON_FIELDS and value in names and names[value] != value:
            text += f" ({names[value]})"
        return [f"{path}: {text}"]
    return [f"{path}: {json.dumps(value, ensure_ascii=False, default=str)}"]
