"""Sign-off states and findings (SPEC §6): fingerprint against content, then the SSH signature."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmo_cli.adapters.ssh import check_signature
from rmo_cli.charter.amendment import InForceVersion, amendment_state
from rmo_cli.charter.fingerprint import content_state, fingerprint
from rmo_cli.charter.model import as_str
from rmo_cli.rules.registry import declare
from rmo_cli.support.findings import ERROR, WARNING, Finding
from rmo_cli.support.vocabulary import (
    BAD_SIGNATURE,
    FAILING_STATES,
    IN_FORCE,
    STALE,
    UNKNOWN_SIGNER,
    VALID,
)

if TYPE_CHECKING:
    from rmo_cli.charter.loading import Document


RULE_STALE = declare(
    "signoff-stale",
    "The charter's content changed after this sign-off (its fingerprint differs)",
).id
RULE_BAD_SIGNATURE = declare(
    "signoff-bad-signature", "The sign-off's SSH signature does not match its fingerprint"
).id
RULE_UNKNOWN_SIGNER = declare(
    "signoff-unknown-signer",
    "The SSH signature is intact but its key is not allowed for the person's email "
    "in the allowed signers file (or no signers file is configured)",
).id
RULE_MISSING = declare(
    "signoff-missing", "An active charter lacks a valid sign-off from every party", WARNING
).id
RULE_AMENDMENT_PENDING = declare(
    "amendment-pending",
    "An amendment is in progress: the content differs from the in-force version, whose "
    "sign-offs stay in force until every party signs the amended text",
    WARNING,
).id
# Rule ids this module reports.
RULES = (RULE_STALE, RULE_BAD_SIGNATURE, RULE_UNKNOWN_SIGNER, RULE_MISSING, RULE_AMENDMENT_PENDING)


_RULE_OF_STATE = {
    STALE: RULE_STALE,
    BAD_SIGNATURE: RULE_BAD_SIGNATURE,
    UNKNOWN_SIGNER: RULE_UNKNOWN_SIGNER,
}


@dataclass(frozen=True)
class SignoffCheck:
    """The verdict on one sign-off of one charter (SPEC §6)."""

    file: str
    person: str
    party: str
    state: str
    index: int
    version: str | None = None
    date: str | None = None
    fingerprint: str | None = None
    current: str = ""
    signed: bool = False
    detail: str = ""
    changes: tuple[str, ...] = ()
    # A stale sign-off of a terminated, expired or superseded charter is a warning (SPEC §8).
    lenient: bool = False

    @property
    def failing(self) -> bool:
        """True for stale, bad-signature and unknown-signer (stale: not when lenient)."""
        return self.state in FAILING_STATES and not (self.lenient and self.state == STALE)

    def as_dict(self) -> dict[str, str]:
        """The JSON shape of `rmo verify --format json` (SPEC §5)."""
        return {"file": self.file, "person": self.person, "party": self.party, "state": self.state}


def _people(data: dict[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Person id -> (person, party) for every representative of every party."""
    from rmo_cli.charter.roster import people

    return people(data)


def verify_document(
    doc: Document,
    signers: Path | None,
    history: Callable[[Document, str], tuple[str, ...]] | None = None,
    in_force: InForceVersion | None = None,
) -> list[SignoffCheck]:
    """Check every sign-off of a charter: content fingerprint, then SSH signature.

    signers is the allowed signers file (None when the repository configures none).
    history, when given, says what changed since a stale sign-off's fingerprint.
    in_force, when given, is the charter's in-force version (SPEC §8).
    """
    data = doc.data if isinstance(doc.data, dict) else {}
    signoffs = data.get("signoffs")
    if not isinstance(signoffs, list):
        return []
    current = fingerprint(data)
    people = _people(data)
    amending = amendment_state(data, in_force)
    checks: list[SignoffCheck] = []
    for index, signoff in enumerate(signoffs):
        if not isinstance(signoff, dict):
            continue
        # A wrong-typed field (the schema's finding) shows as empty, never as a Python repr.
        person_id = as_str(signoff.get("person")) or ""
        stored = as_str(signoff.get("fingerprint"))
        signature = as_str(signoff.get("signature"))
        state, detail = STALE, ""
        if signature is not None:
            person = people.get(person_id, ({}, {}))[0]
            state, detail = check_signature(
                stored or "", signature, as_str(person.get("email")), signers
            )
        if state not in (BAD_SIGNATURE, UNKNOWN_SIGNER):
            state = content_state(data, signoff, current)
            if (
                state == STALE
                and amending == "amending"
                and in_force is not None
                and (stored == in_force.fingerprint)
            ):
                state = IN_FORCE
                detail = (
                    f"matches the in-force version {in_force.version} ({in_force.short}); "
                    "sign again to approve the amendment"
                )
            elif state == STALE:
                detail = "the charter's content changed since this sign-off"
            else:
                detail = "signature verified" if signature is not None else "content unchanged"
        changes: tuple[str, ...] = ()
        if state == STALE and history is not None and stored:
            changes = history(doc, stored)
        checks.append(
            SignoffCheck(
                file=doc.file,
                person=person_id,
                party=as_str(signoff.get("party")) or "",
                state=state,
                index=index,
                version=as_str(signoff.get("version")),
                date=as_str(signoff.get("date")),
                fingerprint=stored,
                current=current,
                signed=signature is not None,
                detail=detail,
                changes=changes,
                lenient=amending == "retired",
            )
        )
    return checks


def missing_parties(doc: Document, checks: list[SignoffCheck]) -> list[tuple[int, str, str]]:
    """(index, id, name) of the parties of an active charter without a valid sign-off."""
    data = doc.data if isinstance(doc.data, dict) else {}
    if data.get("status") != "active":
        return []
    signed = {c.party for c in checks if c.state == VALID}
    missing: list[tuple[int, str, str]] = []
    listed = data.get("parties")
    for index, party in enumerate(listed if isinstance(listed, list) else []):
        if (
            isinstance(party, dict)
            and isinstance(party.get("id"), str)
            and party["id"] not in signed
        ):
            missing.append((index, party["id"], str(party.get("name") or party["id"])))
    return missing


def verify_findings(
    doc: Document,
    signers: Path | None,
    checks: list[SignoffCheck] | None = None,
    history: Callable[[Document, str], tuple[str, ...]] | None = None,
    in_force: InForceVersion | None = None,
) -> list[Finding]:
    """Sign-off findings for `rmo check`: failing sign-offs (errors), missing ones (warnings)."""
    if checks is None:
        checks = verify_document(doc, signers, history, in_force)
    findings: list[Finding] = []
    pending = amendment_pending(doc, in_force)
    if pending is not None:
        findings.append(pending)
    for check in checks:
        if check.state not in FAILING_STATES:
            continue
        message = f"sign-off by {check.person} ({check.party}) is {check.state}: "
        if not check.changes:
            message += check.detail
        else:
            head, *items = check.changes
            message += head.rstrip(":")
            if items:
                message += ": " + "; ".join(item.removeprefix("- ") for item in items)
        findings.append(
            doc.finding(
                ("signoffs", check.index),
                _RULE_OF_STATE[check.state],
                message,
                severity=ERROR if check.failing else WARNING,
            )
        )
    for index, party_id, name in missing_parties(doc, checks):
        findings.append(
            doc.finding(
                ("parties", index),
                RULE_MISSING,
                f"active charter has no valid sign-off from party {party_id} ({name}); "
                f"run 'rmo sign {doc.file} --person PERSON' for one of its representatives",
                severity=WARNING,
            )
        )
    return findings


def amendment_pending(doc: Document, in_force: InForceVersion | None) -> Finding | None:
    """The one `amendment-pending` warning while an amendment is in progress, else None."""
    data = doc.data if isinstance(doc.data, dict) else {}
    if amendment_state(data, in_force) != "amending" or in_force is None:
        return None
    where: tuple[Any, ...] = ("status",) if "status" in data else ()
    return doc.finding(
        where,
        RULE_AMENDMENT_PENDING,
        f"amendment pending: the in-force version is {in_force.version} at commit "
        f"{in_force.short}; its sign-offs stay in force until every party signs the "
        f"amended text (see 'rmo render {doc.file} --redline')",
        severity=WARNING,
    )
