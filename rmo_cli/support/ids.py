"""Identifiers: the one slug pattern for charter, party, person and other ids (SPEC §3)."""

from __future__ import annotations

import re
from typing import TypeGuard

# Lower-case letters, digits and inner hyphens; one character is a slug, SPEC ids need two.
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
MAX_ID = 64


def is_charter_id(value: object) -> TypeGuard[str]:
    """True when value is a charter id as the schema allows: a slug of 2 to 64 characters."""
    return isinstance(value, str) and 2 <= len(value) <= MAX_ID and bool(SLUG_RE.match(value))
