"""The organisation register (SPEC §11): who the organisations and their people are.

Pure data: `ops/register.py` reads the file; the rules compare charters with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RegisteredPerson:
    """A person of an organisation, as the register names them."""

    id: str
    name: str
    email: str | None


@dataclass(frozen=True)
class Organisation:
    """An organisation in the register, with its people by id."""

    id: str
    name: str
    domains: tuple[str, ...] = ()
    people: dict[str, RegisteredPerson] = field(default_factory=dict)


@dataclass(frozen=True)
class Register:
    """The organisation register of a repository (file: the path reports name)."""

    file: str
    organisations: dict[str, Organisation] = field(default_factory=dict)

    def email_of(self, party_id: Any, person_id: Any) -> str | None:
        """The register's email of a person of an organisation, or None."""
        org = self.organisations.get(party_id) if isinstance(party_id, str) else None
        person = org.people.get(person_id) if org and isinstance(person_id, str) else None
        return person.email if person else None

    def name_of(self, party_id: str) -> str | None:
        """The register's name of an organisation, or None when it is not registered."""
        org = self.organisations.get(party_id)
        return org.name if org else None


def register_from_data(data: Any, file: str) -> Register:
    """A Register from the loaded register file (checked by its schema first)."""
    organisations: dict[str, Organisation] = {}
    listed = data.get("organisations") if isinstance(data, Mapping) else None
    for org in listed if isinstance(listed, list) else []:
        if not isinstance(org, Mapping) or not isinstance(org.get("id"), str):
            continue
        people: dict[str, RegisteredPerson] = {}
        members = org.get("people")
        for person in members if isinstance(members, list) else []:
            if isinstance(person, Mapping) and isinstance(person.get("id"), str):
                email = person.get("email")
                people.setdefault(
                    person["id"],
                    RegisteredPerson(
                        person["id"],
                        str(person.get("name") or person["id"]),
                        email if isinstance(email, str) else None,
                    ),
                )
        domains = org.get("domains")
        organisations.setdefault(
            org["id"],
            Organisation(
                org["id"],
                str(org.get("name") or org["id"]),
                tuple(d for d in domains if isinstance(d, str))
                if isinstance(domains, list)
                else (),
                people,
            ),
        )
    return Register(file, organisations)
