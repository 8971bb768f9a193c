"""Semantic rules beyond the schema (SPEC §3), each a small function with a stable id.

Each rule reads the loaded data defensively: a schema-invalid charter (wrong types, missing
sections) still gets every semantic finding that makes sense, never an exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import Any

from rmo_cli.charter.loading import Document, YamlPath
from rmo_cli.charter.model import as_list
from rmo_cli.charter.roster import parties, people
from rmo_cli.rules.registry import declare, rule
from rmo_cli.support.dates import parse_iso_date
from rmo_cli.support.findings import ERROR, WARNING, Finding

# --- reading the data defensively -------------------------------------------------------


def _items(value: Any, *path: str) -> Iterator[tuple[YamlPath, dict[str, Any]]]:
    """(path, item) for each mapping in the list at path below value."""
    node = value
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict):
                yield (*path, index), item


def _get(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _people(data: dict[str, Any]) -> dict[str, str]:
    """person id → party id, for every person defined under a party."""
    return {
        person_id: party["id"]
        for person_id, (_, party) in people(data).items()
        if isinstance(party.get("id"), str)
    }


def _party_ids(data: dict[str, Any]) -> set[str]:
    return {p["id"] for p in parties(data) if isinstance(p.get("id"), str)}


def _closest(word: str, choices: Iterable[str]) -> str:
    from rmo_cli.support.spelling import closest

    match = closest(word, choices, cutoff=0.6)
    return f"; did you mean {match!r}?" if match else ""


# Where person ids are used, in the order they are reported: the list of items, then per
# item each field holding a person id (True: a list of ids), with what the field is called.
_PERSON_FIELDS: tuple[tuple[tuple[str, ...], tuple[tuple[str, bool, str], ...]], ...] = (
    (("objectives",), (("owner", False, "objective owner"),)),
    (("governance", "bodies"), (("members", True, "body member"), ("chair", False, "body chair"))),
    (("roles",), (("holder", False, "role holder"),)),
    (("escalation", "levels"), (("people", True, "escalation contact"),)),
    (("communication", "meetings"), (("attendees", True, "meeting attendee"),)),
    (("kpis",), (("owner", False, "KPI owner"),)),
    (("risks",), (("owner", False, "risk owner"),)),
    (("review", "log"), (("reviewers", True, "reviewer"),)),
    (("exit",), ()),  # a mapping, not a list: its owner is yielded in its place below
    (("signoffs",), (("person", False, "sign-off person"),)),
)


def _person_refs(data: dict[str, Any]) -> Iterator[tuple[YamlPath, Any, str]]:
    """(path, value, what) for every place a person id is used."""
    for section, fields in _PERSON_FIELDS:
        if section == ("exit",):
            yield ("exit", "owner"), _get(data, "exit", "owner"), "exit owner"
        for path, item in _items(data, *section):
            for key, many, what in fields:
                if many:
                    for i, person in enumerate(as_list(item.get(key))):
                        yield (*path, key, i), person, what
                else:
                    yield (*path, key), item.get(key), what


# --- the rules ----------------------------------------------------------------------------


@rule(
    "unknown-person",
    "A person id used anywhere (owner, member, chair, reviewer…) is defined under a party.",
)
def _unknown_person(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    people = _people(doc.data)
    for path, value, what in _person_refs(doc.data):
        if isinstance(value, str) and value not in people:
            yield doc.finding(
                path,
                "unknown-person",
                f"{what} {value!r} is not a person of any party{_closest(value, people)}",
            )


@rule("unknown-party", "A party id used (lead_party, roles[].party, sign-off party) is defined.")
def _unknown_party(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    parties = _party_ids(doc.data)
    refs: list[tuple[YamlPath, Any, str]] = [
        (("governance", "lead_party"), _get(doc.data, "governance", "lead_party"), "lead party")
    ]
    refs += [((*p, "party"), r.get("party"), "role party") for p, r in _items(doc.data, "roles")]
    refs += [
        ((*p, "party"), s.get("party"), "sign-off party") for p, s in _items(doc.data, "signoffs")
    ]
    for path, value, what in refs:
        if isinstance(value, str) and value not in parties:
            yield doc.finding(
                path, "unknown-party", f"{what} {value!r} is not a party{_closest(value, parties)}"
            )


@rule("unknown-objective", "A KPI's objective refers to an objective of the charter.")
def _unknown_objective(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    objectives = {
        o["id"] for _, o in _items(doc.data, "objectives") if isinstance(o.get("id"), str)
    }
    for path, kpi in _items(doc.data, "kpis"):
        value = kpi.get("objective")
        if isinstance(value, str) and value not in objectives:
            known = objectives
            yield doc.finding(
                (*path, "objective"),
                "unknown-objective",
                f"KPI objective {value!r} is not an objective of this charter"
                f"{_closest(value, known)}",
            )


_ID_COLLECTIONS: tuple[tuple[str, ...], ...] = (
    ("parties",),
    ("objectives",),
    ("governance", "bodies"),
    ("roles",),
    ("communication", "meetings"),
    ("kpis",),
    ("risks",),
)


@rule("duplicate-id", "Ids are unique within their list (parties, objectives, KPIs, risks…).")
def _duplicate_id(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    for collection in _ID_COLLECTIONS:
        first: dict[str, int] = {}
        for path, item in _items(doc.data, *collection):
            item_id = item.get("id")
            if not isinstance(item_id, str):
                continue
            if item_id in first:
                yield doc.finding(
                    (*path, "id"),
                    "duplicate-id",
                    f"id {item_id!r} is used twice in {'.'.join(collection)} "
                    f"(first at line {first[item_id]})",
                )
            else:
                first[item_id] = doc.locate((*path, "id"))[0]


@rule("duplicate-person-id", "Person ids are unique across all parties.")
def _duplicate_person(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for party_path, party in _items(doc.data, "parties"):
        for index, person in enumerate(as_list(party.get("people"))):
            if not isinstance(person, dict) or not isinstance(person.get("id"), str):
                continue
            path = (*party_path, "people", index, "id")
            if person["id"] in first:
                yield doc.finding(
                    path,
                    "duplicate-person-id",
                    f"person id {person['id']!r} is already used (line {first[person['id']]}); "
                    "person ids must be unique across all parties",
                )
            else:
                first[person["id"]] = doc.locate(path)[0]


@rule("lead-party-required", "Quasi-hierarchy and hierarchy governance name a lead party.")
def _lead_party_required(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    governance = _get(doc.data, "governance")
    if not isinstance(governance, dict):
        return
    model = governance.get("model")
    if model in ("quasi-hierarchy", "hierarchy") and not governance.get("lead_party"):
        yield doc.finding(
            ("governance", "model"),
            "lead-party-required",
            f"governance model {model!r} needs a lead_party: the party that sets the rules",
        )


@rule(
    "lead-party-rule-in-network",
    "A lead-party decision rule under network governance (peers of equal power).",
    WARNING,
)
def _lead_party_network(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    governance = _get(doc.data, "governance")
    if (
        isinstance(governance, dict)
        and governance.get("model") == "network"
        and governance.get("decision_rule") == "lead-party"
    ):
        yield doc.finding(
            ("governance", "decision_rule"),
            "lead-party-rule-in-network",
            "decision rule 'lead-party' under 'network' governance, where parties are peers; "
            "use consensus or majority, or change the model",
            WARNING,
        )


@rule("signoff-party-mismatch", "A sign-off's person belongs to the sign-off's party.")
def _signoff_party(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    people = _people(doc.data)
    for path, signoff in _items(doc.data, "signoffs"):
        person, party = signoff.get("person"), signoff.get("party")
        if isinstance(person, str) and isinstance(party, str) and person in people:
            if people[person] != party:
                yield doc.finding(
                    (*path, "party"),
                    "signoff-party-mismatch",
                    f"{person!r} belongs to party {people[person]!r}, not {party!r}",
                )


def _dates_out_of_order(
    doc: Document, earlier: tuple[str, str], later: tuple[str, str], *, same_day_ok: bool
) -> tuple[dt.date, dt.date] | None:
    """The two dates when both are given and earlier is not before later (or on it, when
    same_day_ok); else None."""
    first = parse_iso_date(_get(doc.data, *earlier))
    second = parse_iso_date(_get(doc.data, *later))
    if first and second and (first > second if same_day_ok else first >= second):
        return first, second
    return None


@rule("effective-after-expires", "The term's effective date is before its expiry date.")
def _term_order(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    dates = _dates_out_of_order(doc, ("term", "effective"), ("term", "expires"), same_day_ok=False)
    if dates:
        effective, expires = dates
        message = f"the term expires ({expires}) on or before it takes effect ({effective})"
        yield doc.finding(("term", "expires"), "effective-after-expires", message)


@rule("reviewed-before-effective", "review.last_reviewed is not before term.effective.")
def _reviewed_before_effective(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    earlier, later = ("term", "effective"), ("review", "last_reviewed")
    dates = _dates_out_of_order(doc, earlier, later, same_day_ok=True)
    if dates:
        effective, last = dates
        message = f"last reviewed {last}, before the charter took effect ({effective})"
        yield doc.finding(later, "reviewed-before-effective", message)


@rule("future-date", "A review-log entry or sign-off is not dated after the as-of date (today).")
def _future_date(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    entries = [(p, "review log entry", e) for p, e in _items(doc.data, "review", "log")]
    entries += [(p, "sign-off", s) for p, s in _items(doc.data, "signoffs")]
    for path, what, entry in entries:
        when = parse_iso_date(entry.get("date"))
        if when and when > as_of:
            yield doc.finding(
                (*path, "date"),
                "future-date",
                f"{what} dated {when}, after {as_of}: record it on or after the day it happens",
            )


@rule("next-due-after-expiry", "review.next_due falls after term.expires.", WARNING)
def _next_due_after_expiry(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    earlier, later = ("review", "next_due"), ("term", "expires")
    dates = _dates_out_of_order(doc, earlier, later, same_day_ok=True)
    if dates:
        next_due, expires = dates
        message = f"next review due {next_due}, after the charter expires ({expires})"
        yield doc.finding(earlier, "next-due-after-expiry", message, WARNING)


@rule("escalation-level-gap", "Escalation levels are numbered 1..n without gaps or repeats.")
def _escalation_levels(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    levels = list(_items(doc.data, "escalation", "levels"))
    for expected, (path, level) in enumerate(levels, start=1):
        number = level.get("level")
        if isinstance(number, float) and number.is_integer():
            number = int(number)  # 3.0 is a valid integer for the schema, so it counts here
        if isinstance(number, int) and not isinstance(number, bool) and number != expected:
            yield doc.finding(
                (*path, "level"),
                "escalation-level-gap",
                f"escalation level {number} is in position {expected}: "
                f"number the levels 1 to {len(levels)} in order",
            )


@rule("chair-not-member", "A governance body's chair is one of its members.")
def _chair_member(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    for path, body in _items(doc.data, "governance", "bodies"):
        chair, members = body.get("chair"), body.get("members")
        if isinstance(chair, str) and isinstance(members, list) and chair not in members:
            yield doc.finding(
                (*path, "chair"),
                "chair-not-member",
                f"chair {chair!r} is not a member of {body.get('name') or body.get('id')!r}; "
                "add them to members",
            )


@rule("active-but-expired", "An active charter whose term has expired.", WARNING)
def _active_expired(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    expires = parse_iso_date(_get(doc.data, "term", "expires"))
    if doc.data.get("status") == "active" and expires and expires < as_of:
        yield doc.finding(
            ("term", "expires"),
            "active-but-expired",
            f"status is active but the term expired on {expires}: renew it or set the status "
            "to expired",
            WARNING,
        )


@rule("filename-id-mismatch", "The file name (without extension) is the charter id.", WARNING)
def _filename(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    charter_id = doc.data.get("id")
    stem = PurePath(doc.file).stem
    if isinstance(charter_id, str) and stem != charter_id:
        yield doc.finding(
            ("id",),
            "filename-id-mismatch",
            f"file name {stem!r} differs from the id {charter_id!r}; rename the file "
            f"to {charter_id}{PurePath(doc.file).suffix or '.yaml'}",
            WARNING,
        )


declare("duplicate-charter-id", "Charter ids are unique across all charters checked together.")


def run_collection_rules(docs: list[Document]) -> Iterator[Finding]:
    """Rules that span charters: a charter id used by two files."""
    ids = [
        (doc.file, doc.data["id"], doc.locate(("id",)))
        for doc in docs
        if isinstance(doc.data, dict) and isinstance(doc.data.get("id"), str)
    ]
    return collection_findings(ids)


def collection_findings(ids: Iterable[tuple[str, str, tuple[int, int]]]) -> Iterator[Finding]:
    """Rules that span charters, from the few fields they need: (file, charter id, the
    id's line and column) of each readable charter, in checking order."""
    seen = CharterIds()
    for file, charter_id, position in ids:
        seen.add(file, charter_id, position)
    return iter(seen.findings)


class CharterIds:
    """duplicate-charter-id fed one charter at a time, in checking order: it keeps each
    id's first file and line and the findings of the repeats, not a row per charter."""

    def __init__(self) -> None:
        self._first: dict[str, tuple[str, int]] = {}
        self.findings: list[Finding] = []

    def add(self, file: str, charter_id: str, position: tuple[int, int]) -> None:
        """One readable charter's id and the id's line and column."""
        line, column = position
        first = self._first.get(charter_id)
        if first is None:
            self._first[charter_id] = (file, line)
            return
        other_file, other_line = first
        self.findings.append(
            Finding(
                file,
                line,
                column,
                ERROR,
                "duplicate-charter-id",
                "/id",
                f"charter id {charter_id!r} is also used by {other_file}:{other_line}",
            )
        )
