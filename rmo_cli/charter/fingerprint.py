"""The content fingerprint and the signed payload of a sign-off (SPEC §6): one definition each."""

from __future__ import annotations

import hashlib
import json
from typing import Any

FINGERPRINT_PREFIX = "sha256:"
# Top-level keys that are not content: where the charter is in its life, and the sign-offs.
_NOT_CONTENT = ("signoffs", "status", "lifecycle_stage")
_REVIEW_BOOKKEEPING = ("last_reviewed", "next_due", "log")


def canonical_json(value: Any) -> bytes:
    """Canonical JSON (SPEC §6): sorted keys, no spaces, UTF-8, non-ASCII kept."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def _without_review_bookkeeping(content: dict[str, Any]) -> None:
    review = content.get("review")
    if isinstance(review, dict):
        content["review"] = {k: v for k, v in review.items() if k not in _REVIEW_BOOKKEEPING}


def fingerprint_payload(data: dict[str, Any]) -> bytes:
    """The canonical JSON bytes the fingerprint hashes (SPEC §6, fingerprint v2)."""
    # Shallow copies of the mappings that lose keys are enough: nothing else is changed.
    content = {k: v for k, v in data.items() if k not in _NOT_CONTENT}
    _without_review_bookkeeping(content)
    kpis = content.get("kpis")
    if isinstance(kpis, list):
        content["kpis"] = [
            {k: v for k, v in kpi.items() if k != "measurements"} if isinstance(kpi, dict) else kpi
            for kpi in kpis
        ]
    return canonical_json(content)


def fingerprint(data: dict[str, Any]) -> str:
    """`sha256:<hex>` of the charter's signed content: the one fingerprint used everywhere."""
    return FINGERPRINT_PREFIX + hashlib.sha256(fingerprint_payload(data)).hexdigest()


def legacy_fingerprint(data: dict[str, Any]) -> str:
    """rmo 0.1's fingerprint (status and lifecycle_stage included), to explain old sign-offs."""
    content = {k: v for k, v in data.items() if k != "signoffs"}
    _without_review_bookkeeping(content)
    return FINGERPRINT_PREFIX + hashlib.sha256(canonical_json(content)).hexdigest()


# The fields of a sign-off record covered by its signature, besides charter and email.
SIGNED_FIELDS = ("person", "party", "capacity", "date", "version", "fingerprint")


def signed_payload(charter_id: Any, signoff: dict[str, Any], email: str | None) -> bytes:
    """The bytes an SSH signature of a sign-off covers (SPEC §6): the whole record.

    Canonical JSON of {charter, person, party, email, capacity, date, version, fingerprint};
    a field the sign-off lacks is null.
    """
    record: dict[str, Any] = {field: signoff.get(field) for field in SIGNED_FIELDS}
    record["charter"] = charter_id
    record["email"] = email
    return canonical_json(record)


def content_state(data: dict[str, Any], signoff: dict[str, Any], current: str | None = None) -> str:
    """'valid' when the sign-off's fingerprint matches the content now, else 'stale'.

    Content only: SSH signatures are checked by verification, not here.
    """
    current = current or fingerprint(data)
    return "valid" if signoff.get("fingerprint") == current else "stale"


def party_states(
    data: dict[str, Any], current: str | None = None
) -> dict[str, tuple[str, dict[str, Any] | None]]:
    """For each party id: ('valid'|'stale'|'unsigned', its newest sign-off or None).

    Content only (no signatures); current: the charter's fingerprint when the caller has it.
    """
    current = current or fingerprint(data)
    states: dict[str, tuple[str, dict[str, Any] | None]] = {}
    parties, signoffs = data.get("parties"), data.get("signoffs")
    for party in parties if isinstance(parties, list) else []:
        if isinstance(party, dict) and isinstance(party.get("id"), str):
            states[party["id"]] = ("unsigned", None)
    for signoff in signoffs if isinstance(signoffs, list) else []:
        if not isinstance(signoff, dict):
            continue
        party_id = signoff.get("party")
        if not isinstance(party_id, str) or party_id not in states:
            continue
        state = content_state(data, signoff, current)
        previous = states[party_id][0]
        # A valid sign-off of a party outranks a stale one, whatever the order.
        if previous != "valid":
            states[party_id] = (state, signoff)
    return states
