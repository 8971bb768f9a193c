"""Sign-offs: the content fingerprint (SPEC §6), signing and verification."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

FINGERPRINT_PREFIX = "sha256:"


def fingerprint_payload(data: dict[str, Any]) -> bytes:
    """The canonical JSON bytes the fingerprint hashes (SPEC §6)."""
    content = copy.deepcopy(data)
    content.pop("signoffs", None)
    review = content.get("review")
    if isinstance(review, dict):
        for key in ("last_reviewed", "next_due", "log"):
            review.pop(key, None)
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def fingerprint(data: dict[str, Any]) -> str:
    """`sha256:<hex>` of the charter's signed content: the one fingerprint used everywhere."""
    return FINGERPRINT_PREFIX + hashlib.sha256(fingerprint_payload(data)).hexdigest()
