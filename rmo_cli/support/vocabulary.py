"""Vocabularies and defaults: the one place for the words and values every layer shares."""

from __future__ import annotations

# Namespace of every SSH signature of a sign-off (SPEC §6).
SIGNATURE_NAMESPACE = "rmo-charter"

# Sign-off states (SPEC §6): a sign-off's state is the first of STATES that applies.
VALID = "valid"
STALE = "stale"
BAD_SIGNATURE = "bad-signature"
UNKNOWN_SIGNER = "unknown-signer"
STATES = (BAD_SIGNATURE, UNKNOWN_SIGNER, STALE, VALID)
FAILING_STATES = frozenset({BAD_SIGNATURE, UNKNOWN_SIGNER, STALE})

# The "due soon" window when rmo.yaml sets none (SPEC §4).
DEFAULT_DUE_SOON = "P30D"

# Outcomes of a recorded review (SPEC §3 review.log[].outcome).
OUTCOMES = ("affirmed", "amended", "renewed", "escalated", "terminated")
