"""The content fingerprint (SPEC §6): one definition, used by every command."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


FINGERPRINT_PREFIX = "sha256:"


def fingerprint_payload(data: dict[str, Any]) -> bytes:
    """The canonical JSON bytes the fingerprint hashes (SPEC §6)."""
    # Copies of the mappings that lose keys are enough: nothing else is changed.
    content = {k: v for k, v in data.items() if k not in ("signoffs", "status", "lifecycle_stage")}
    review = content.get("review")
    if isinstance(review, dict):
        content["review"] = {
            k: v for k, v in review.items() if k not in ("last_reviewed", "next_due", "log")
        }
    kpis = content.get("kpis")
    if isinstance(kpis, list):
        content["kpis"] = [
            {k: v for k, v in kpi.items() if k != "measurements"} if isinstance(kpi, dict) else kpi
            for kpi in kpis
        ]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def fingerprint(data: dict[str, Any]) -> str:
    """`sha256:<hex>` of the charter's signed content: the one fingerprint used everywhere."""
    return FINGERPRINT_PREFIX + hashlib.sha256(fingerprint_payload(data)).hexdigest()


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

    current: the charter's fingerprint when the caller has it already (saves a deep copy).
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
