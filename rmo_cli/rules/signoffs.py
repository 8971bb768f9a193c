"""Sign-off states and findings (SPEC §6): fingerprint against content, then the SSH signature."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmo_cli.adapters.ssh import check_signature
from rmo_cli.charter.amendment import InForceVersion, amendment_state
from rmo_cli.charter.fingerprint import fingerprint, legacy_fingerprint, signed_payload
from rmo_cli.charter.model import as_str
from rmo_cli.charter.register import Register
from rmo_cli.charter.roster import people as roster_people
from rmo_cli.rules.registry import declare
from rmo_cli.support.dates import parse_iso_date
from rmo_cli.support.findings import ERROR, WARNING, Finding
from rmo_cli.support.vocabulary import (
    BAD_SIGNATURE,
    FAILING_STATES,
    IN_FORCE,
    REQUIRE_SIGNED_STATUSES,
    STALE,
    UNKNOWN_SIGNER,
    UNSIGNED,
    VALID,
)

if TYPE_CHECKING:
    from rmo_cli.charter.loading import Document


RULE_STALE = declare(
    "signoff-stale",
    "The charter's content changed after this sign-off (its fingerprint differs)",
).id
RULE_BAD_SIGNATURE = declare(
    "signoff-bad-signature",
    "The sign-off's SSH signature does not match its record (charter, person, party, "
    "email, capacity, date, version, fingerprint)",
).id
RULE_UNKNOWN_SIGNER = declare(
    "signoff-unknown-signer",
    "The SSH signature is intact but its key is not allowed for the signer's email "
    "on the sign-off's date in the allowed signers file (or no signers file is configured)",
).id
RULE_UNSIGNED = declare(
    "signoff-unsigned",
    "rmo.yaml requires signatures (signers.require) and a sign-off of a proposed, active, "
    "under-review or suspended charter has none",
).id
RULE_MISSING = declare(
    "signoff-missing", "An active charter lacks a valid sign-off from every party", WARNING
).id
RULE_AMENDMENT_PENDING = declare(
    "amendment-pending",
    "An amendment is in progress: the content differs from the in-force version, whose "
    "sign-offs stay in force until every party signs the amended text.",
    WARNING,
).id
# Rule ids this module reports.
RULES = (
    RULE_STALE,
    RULE_BAD_SIGNATURE,
    RULE_UNKNOWN_SIGNER,
    RULE_UNSIGNED,
    RULE_MISSING,
    RULE_AMENDMENT_PENDING,
)

_RULE_OF_STATE = {
    STALE: RULE_STALE,
    BAD_SIGNATURE: RULE_BAD_SIGNATURE,
    UNKNOWN_SIGNER: RULE_UNKNOWN_SIGNER,
    UNSIGNED: RULE_UNSIGNED,
}


@dataclass(frozen=True)
class Trust:
    """What a repository trusts sign-offs by (SPEC §6, §11): its allowed signers file,
    whether signatures are required, and its organisation register."""

    signers: Path | None = None
    require: bool = False
    register: Register | None = None
    register_findings: tuple[Finding, ...] = ()  # about the register file itself


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
    capacity: str | None = None
    email: str | None = None  # the principal the signature was checked for
    key: str | None = None  # the signing key's SHA256 fingerprint, when the signature is intact
    # A stale sign-off of a terminated, expired or superseded charter is a warning (SPEC §8).
    lenient: bool = False

    @property
    def failing(self) -> bool:
        """True for stale, unsigned, bad-signature and unknown-signer (stale: not when
        lenient)."""
        return self.state in FAILING_STATES and not (self.lenient and self.state == STALE)

    @property
    def verified(self) -> bool:
        """True when the sign-off carries a signature that verified for its signer."""
        return self.signed and self.state in (VALID, IN_FORCE)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `rmo verify --format json` (SPEC §5)."""
        return {
            "file": self.file,
            "person": self.person,
            "party": self.party,
            "state": self.state,
            "signed": self.signed,
        }


def _trust(trust: Trust | Path | None) -> Trust:
    return trust if isinstance(trust, Trust) else Trust(signers=trust)


def signer_email(data: dict[str, Any], signoff: dict[str, Any], trust: Trust) -> str | None:
    """The principal a sign-off's signature is checked for (SPEC §6): the register's email
    of the person when the repository has a register, else the charter's."""
    if trust.register is not None:
        return trust.register.email_of(signoff.get("party"), signoff.get("person"))
    person = roster_people(data).get(as_str(signoff.get("person")) or "", ({}, {}))[0]
    return as_str(person.get("email"))


def _content(
    data: dict[str, Any], stored: str | None, current: str, in_force: str | None
) -> tuple[str, str]:
    """(state, detail) of a sign-off's fingerprint against the content now."""
    if stored == current:
        return VALID, "content unchanged"
    if stored is not None and stored == in_force:
        return IN_FORCE, "matches the in-force content while an amendment is in progress"
    if stored is not None and stored == legacy_fingerprint(data):
        return STALE, (
            "made under rmo 0.1, whose fingerprint also covered status and lifecycle_stage; "
            "the content is unchanged but the sign-off must be made again"
        )
    return STALE, "the charter's content changed since this sign-off"


def _check_one(
    data: dict[str, Any],
    signoff: dict[str, Any],
    trust: Trust,
    current: str,
    in_force: str | None,
) -> tuple[str, str, str | None, str | None]:
    """(state, detail, principal, key fingerprint) of one sign-off, in SPEC §6's order."""
    stored = as_str(signoff.get("fingerprint"))
    signature = as_str(signoff.get("signature"))
    email = signer_email(data, signoff, trust)
    content, detail = _content(data, stored, current, in_force)
    if signature is None:
        if trust.require and data.get("status") in REQUIRE_SIGNED_STATUSES:
            return (
                UNSIGNED,
                ("recorded without an SSH signature, and rmo.yaml requires one (signers.require)"),
                email,
                None,
            )
        return content, f"recorded without a signature; {detail}", email, None
    day = parse_iso_date(signoff.get("date"))
    payload = signed_payload(data.get("id"), signoff, email)
    checked = check_signature(payload, signature, email, trust.signers, day)
    if checked.state == BAD_SIGNATURE and stored:
        # rmo 0.1 signed the fingerprint string alone: intact, but it must be signed again.
        legacy = check_signature(stored.encode("utf-8"), signature, email, trust.signers, day)
        if legacy.state == VALID:
            return (
                STALE,
                (
                    "signed under rmo 0.1, whose signature covered the fingerprint only; "
                    "it must be signed again"
                ),
                email,
                legacy.key,
            )
        if legacy.state == UNKNOWN_SIGNER:
            return UNKNOWN_SIGNER, legacy.detail, email, legacy.key
    if checked.state != VALID:
        return checked.state, checked.detail, email, checked.key
    if content != VALID:
        return content, detail, email, checked.key
    return VALID, f"signature verified: key {checked.key} of {email}", email, checked.key


def verify_document(
    doc: Document,
    trust: Trust | Path | None,
    history: Callable[[Document, str], tuple[str, ...]] | None = None,
    in_force: InForceVersion | None = None,
) -> list[SignoffCheck]:
    """Check every sign-off of a charter (SPEC §6): signature, signer, then content.

    trust: the repository's signers, require flag and register (a bare path: just the
    allowed signers file; None: none configured). history, when given, says what changed
    since a stale sign-off's fingerprint. in_force, when given, is the charter's in-force
    version (SPEC §8): while an amendment is in progress, sign-offs of its content are
    `in-force`.
    """
    checks = verify_signoffs(doc.data, doc.file, trust, in_force)
    if history is None:
        return checks
    return [
        replace(c, changes=history(doc, c.fingerprint)) if c.state == STALE and c.fingerprint else c
        for c in checks
    ]


def verify_signoffs(
    data: Any, file: str, trust: Trust | Path | None, in_force: InForceVersion | None = None
) -> list[SignoffCheck]:
    """The SignoffCheck of every sign-off in charter data (see `verify_document`)."""
    trust = _trust(trust)
    if not isinstance(data, dict):
        return []
    signoffs = data.get("signoffs")
    if not isinstance(signoffs, list):
        return []
    current = fingerprint(data)
    amending = amendment_state(data, in_force)
    # Sign-offs of the in-force content stay in force only while an amendment is under way.
    in_force_print = (
        in_force.fingerprint if in_force is not None and amending == "amending" else None
    )
    checks: list[SignoffCheck] = []
    for index, signoff in enumerate(signoffs):
        if not isinstance(signoff, dict):
            continue
        # A wrong-typed field (the schema's finding) shows as empty, never as a Python repr.
        state, detail, email, key = _check_one(data, signoff, trust, current, in_force_print)
        if state == IN_FORCE and in_force is not None:
            detail = (
                f"matches the in-force version {in_force.version} ({in_force.short}); "
                "sign again to approve the amendment"
            )
        checks.append(
            SignoffCheck(
                file=file,
                person=as_str(signoff.get("person")) or "",
                party=as_str(signoff.get("party")) or "",
                state=state,
                index=index,
                version=as_str(signoff.get("version")),
                date=as_str(signoff.get("date")),
                fingerprint=as_str(signoff.get("fingerprint")),
                current=current,
                signed=as_str(signoff.get("signature")) is not None,
                detail=detail,
                capacity=as_str(signoff.get("capacity")),
                email=email,
                key=key,
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
    signers: Trust | Path | None,
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
