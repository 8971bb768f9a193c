"""Register and identity rules (SPEC §6, §11): who a charter's parties and people are.

With a register: `unknown-organisation`, `organisation-name-mismatch`, `email-mismatch`,
`unregistered-person`. Always: `duplicate-email` (in a charter, and in the register).
Without a register: `party-id-conflict` across the charters checked together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from rmo_cli.charter.loading import Document, YamlPath
from rmo_cli.charter.model import as_list
from rmo_cli.charter.register import Register
from rmo_cli.rules.registry import declare, rule
from rmo_cli.support.findings import WARNING, Finding

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


def party_conflict_findings(docs: list[Document]) -> Iterator[Finding]:
    """Without a register: one party id with different names in two charters (both reported)."""
    names: dict[str, dict[str, tuple[Document, int]]] = {}
    for doc in docs:
        for i, party in _indexed_parties(doc.data):
            pid, name = party.get("id"), party.get("name")
            if isinstance(pid, str) and isinstance(name, str):
                names.setdefault(pid, {}).setdefault(name.strip(), (doc, i))
    for pid, by_name in names.items():
        if len(by_name) < 2:
            continue
        places = {
            name: f"{d.file}:{d.locate(('parties', i, 'name'))[0]}"
            for name, (d, i) in by_name.items()
        }
        for doc in docs:
            for i, party in _indexed_parties(doc.data):
                name = party.get("name")
                if party.get("id") != pid or not isinstance(name, str):
                    continue
                others = "; ".join(
                    f"{other!r} in {where}"
                    for other, where in places.items()
                    if other != name.strip()
                )
                yield doc.finding(
                    ("parties", i, "id"),
                    RULE_PARTY_CONFLICT,
                    f"party id {pid!r} names {name!r} here but {others}: use one id per "
                    "organisation (or an organisation register, rmo.yaml 'register')",
                )
