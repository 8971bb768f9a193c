"""Register and identity rules (SPEC §6, §11): who a charter's parties and people are.

With a register: `unknown-organisation`, `organisation-name-mismatch`, `email-mismatch`,
`unregistered-person`. Always: `duplicate-email` (in a charter, and in the register).
Without a register: `party-id-conflict` across the charters checked together.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Iterable, Iterator
from typing import Any

from rmo_cli.charter.loading import Document, YamlPath
from rmo_cli.charter.model import as_list
from rmo_cli.charter.register import Register
from rmo_cli.rules.registry import declare, rule
from rmo_cli.support.findings import ERROR, WARNING, Finding, json_pointer

RULE_UNKNOWN_ORG = declare(
    "unknown-organisation", "With a register, every party id is an organisation in it."
).id
RULE_NAME_MISMATCH = declare(
    "organisation-name-mismatch",
    "With a register, a party's name is the register's name of that organisation.",
    WARNING,
).id
RULE_EMAIL_MISMATCH = declare(
    "email-mismatch",
    "With a register, a person's email in the charter is the register's email for them.",
).id
RULE_UNREGISTERED = declare(
    "unregistered-person",
    "With a register, every person of a party is among that organisation's people.",
).id
RULE_PARTY_CONFLICT = declare(
    "party-id-conflict",
    "Without a register, one party id names the same organisation in every charter.",
).id
RULE_DUPLICATE_EMAIL = "duplicate-email"


def _email_key(email: str) -> str:
    return email.strip().casefold()


def _people_with_email(data: object, top: str) -> Iterator[tuple[YamlPath, str]]:
    """(path of the email, email) of every person with an email, under each item of top."""
    listed = data.get(top) if isinstance(data, dict) else None
    for i, group in enumerate(listed if isinstance(listed, list) else []):
        if not isinstance(group, dict):
            continue
        for j, person in enumerate(as_list(group.get("people"))):
            if isinstance(person, dict) and isinstance(person.get("email"), str):
                yield (top, i, "people", j, "email"), person["email"]


def _indexed_parties(data: object) -> Iterator[tuple[int, dict[str, Any]]]:
    listed = data.get("parties") if isinstance(data, dict) else None
    for i, party in enumerate(listed if isinstance(listed, list) else []):
        if isinstance(party, dict):
            yield i, party


def _duplicates(doc: Document, top: str, where: str) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for path, email in _people_with_email(doc.data, top):
        key = _email_key(email)
        if key in first:
            yield doc.finding(
                path,
                RULE_DUPLICATE_EMAIL,
                f"email {email!r} is already used by another person {where} (line "
                f"{first[key]}); two people sharing an email could sign for each other",
            )
        else:
            first[key] = doc.locate(path)[0]


@rule(
    RULE_DUPLICATE_EMAIL,
    "Two people do not share an email, in a charter or in the organisation register.",
)
def _duplicate_email(doc: Document, as_of: dt.date) -> Iterator[Finding]:
    yield from _duplicates(doc, "parties", "in this charter")


def register_file_findings(doc: Document) -> list[Finding]:
    """Findings about the register file itself: two people with one email."""
    return list(_duplicates(doc, "organisations", "in the register"))


def register_findings(doc: Document, register: Register) -> list[Finding]:
    """A charter's parties and people against the organisation register."""
    findings: list[Finding] = []
    for i, party in _indexed_parties(doc.data):
        if not isinstance(party.get("id"), str):
            continue
        org = register.organisations.get(party["id"])
        if org is None:
            known = ", ".join(sorted(register.organisations)) or "none"
            findings.append(
                doc.finding(
                    ("parties", i, "id"),
                    RULE_UNKNOWN_ORG,
                    f"party {party['id']!r} is not an organisation in the register "
                    f"{register.file} (organisations: {known})",
                )
            )
            continue
        name = party.get("name")
        if isinstance(name, str) and name != org.name:
            findings.append(
                doc.finding(
                    ("parties", i, "name"),
                    RULE_NAME_MISMATCH,
                    f"party {party['id']!r} is named {name!r} here but {org.name!r} in the "
                    f"register {register.file}",
                    severity=WARNING,
                )
            )
        for j, person in enumerate(as_list(party.get("people"))):
            if not isinstance(person, dict) or not isinstance(person.get("id"), str):
                continue
            registered = org.people.get(person["id"])
            if registered is None:
                findings.append(
                    doc.finding(
                        ("parties", i, "people", j, "id"),
                        RULE_UNREGISTERED,
                        f"person {person['id']!r} is not among {org.id}'s people in the "
                        f"register {register.file}",
                    )
                )
                continue
            email = person.get("email")
            if isinstance(email, str) and _email_key(email) != _email_key(registered.email or ""):
                findings.append(
                    doc.finding(
                        ("parties", i, "people", j, "email"),
                        RULE_EMAIL_MISMATCH,
                        f"{person['id']}'s email is {email!r} here but "
                        f"{registered.email!r} in the register {register.file}; signatures "
                        "are checked against the register's",
                    )
                )
    return findings


# What party-id-conflict needs of one party: (index in parties, id, name, the id's line and
# column, the name's line). Small, so it crosses processes and is cached instead of the
# document.
PartyRow = tuple[int, str, str, tuple[int, int], int]


def party_rows(doc: Document) -> list[PartyRow]:
    """The parties with a string id and name, with their places, for `party_conflicts`."""
    return [
        (
            i,
            party["id"],
            party["name"],
            doc.locate(("parties", i, "id")),
            doc.locate(("parties", i, "name"))[0],
        )
        for i, party in _indexed_parties(doc.data)
        if isinstance(party.get("id"), str) and isinstance(party.get("name"), str)
    ]


def party_conflict_findings(docs: list[Document]) -> Iterator[Finding]:
    """Without a register: one party id with different names in two charters (both reported)."""
    return party_conflicts([(doc.file, party_rows(doc)) for doc in docs])


# How many of the other names a party-id-conflict message lists before counting the rest.
_CONFLICT_NAMES = 3


def party_conflicts(charters: Iterable[tuple[str, list[PartyRow]]]) -> Iterator[Finding]:
    """party-id-conflict from each charter's (file, party rows), in checking order.

    Each message names up to three of the id's other names (where each is first used)
    and counts the rest, so a portfolio that reuses one id everywhere gets one line per
    use, not a list of every charter on each."""
    uses = PartyUses()
    for file, rows in charters:
        uses.add(file, rows)
    return uses.findings()


class PartyUses:
    """party-id-conflict fed one charter at a time, in checking order, kept small: each
    party id's names (with where each is first used) and its uses packed in an array of
    numbers (file, party index, name, line, column), not a row of objects per party."""

    def __init__(self) -> None:
        self._files: list[str] = []  # files with parties, by number
        self._first: dict[str, dict[str, tuple[str, int]]] = {}  # id -> name -> first use
        self._names: dict[str, dict[str, int]] = {}  # id -> each name as written -> number
        self._uses: dict[str, array[int]] = {}  # id -> (file, index, name, line, column)...

    def add(self, file: str, rows: list[PartyRow]) -> None:
        """One charter's party rows."""
        if not rows:
            return
        number = len(self._files)
        self._files.append(file)
        for i, pid, name, (line, column), name_line in rows:
            self._first.setdefault(pid, {}).setdefault(name.strip(), (file, name_line))
            names = self._names.setdefault(pid, {})
            uses = self._uses.get(pid)
            if uses is None:
                uses = self._uses[pid] = array("q")
            uses.extend((number, i, names.setdefault(name, len(names)), line, column))

    def findings(self) -> Iterator[Finding]:
        """party-id-conflict on every use of an id that names two organisations."""
        for pid, by_name in self._first.items():
            if len(by_name) < 2:
                continue
            names = list(self._names[pid])
            uses = self._uses[pid]
            for at in range(0, len(uses), 5):
                number, i, name_number, line, column = uses[at : at + 5]
                file, name = self._files[number], names[name_number]
                others = [
                    f"{other!r} in {place}:{place_line}"
                    for other, (place, place_line) in by_name.items()
                    if other != name.strip()
                ]
                shown = "; ".join(others[:_CONFLICT_NAMES])
                if len(others) > _CONFLICT_NAMES:
                    rest = len(others) - _CONFLICT_NAMES
                    shown += f" and {rest} other name{'s' if rest != 1 else ''}"
                yield Finding(
                    file,
                    line,
                    column,
                    ERROR,
                    RULE_PARTY_CONFLICT,
                    json_pointer(("parties", i, "id")),
                    f"party id {pid!r} names {name!r} here but {shown}: use one id per "
                    "organisation (or an organisation register, rmo.yaml 'register')",
                )
