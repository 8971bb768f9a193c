"""A charter diff in words: section titles, item labels, person names, the Describer.

`Describer` turns a `Change` of `charter.diff` into a line a signatory reads
(`KPIs: target of "On-time delivery" 95 → 97`); pure, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rmo_cli.charter.changes import ADDED, CHANGED, REMOVED, Change, ItemKey, Segment, canonical_key

_MISSING: Any = object()

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
PERSON_FIELDS = {
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
        if key in PERSON_FIELDS:
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
                one_old, one_new = json_text(old), json_text(new)
            return _around_difference(one_old, one_new)
        return _around_difference(json_text(old), json_text(new))

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
        return _short(canonical_key(item))

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
                and canonical_key(before) == canonical_key(after)
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
        if key in old and key in new and canonical_key(old[key]) == canonical_key(new[key]):
            return key
    return None


def _short(text: str, limit: int = _MAX_WORDS_VALUE) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "…"


def json_text(value: Any) -> str:
    """A value as JSON text: strings quoted, so `"95"` and `95` read differently."""
    return json.dumps(value, ensure_ascii=False, default=str)


def reads_as_text(text: str) -> bool:
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
