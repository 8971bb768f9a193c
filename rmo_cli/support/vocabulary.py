"""Vocabularies and defaults: the one place for the words and values every layer shares."""

from __future__ import annotations

# Namespace of every SSH signature of a sign-off (SPEC §6).
SIGNATURE_NAMESPACE = "rmo-charter"

# Sign-off states (SPEC §6): a sign-off's state is the first of STATES that applies.
VALID = "valid"
STALE = "stale"
BAD_SIGNATURE = "bad-signature"
UNKNOWN_SIGNER = "unknown-signer"
UNSIGNED = "unsigned"  # no signature where rmo.yaml `signers.require` is true
IN_FORCE = "in-force"  # matches the in-force content during an amendment (SPEC §8)
STATES = (BAD_SIGNATURE, UNKNOWN_SIGNER, UNSIGNED, IN_FORCE, STALE, VALID)
FAILING_STATES = frozenset({BAD_SIGNATURE, UNKNOWN_SIGNER, UNSIGNED, STALE})
# Statuses under which `signers.require` demands a verified signature of every sign-off.
REQUIRE_SIGNED_STATUSES = frozenset({"proposed", "active", "under-review", "suspended"})

# Statuses in which an amendment is in progress, and those of a past agreement (SPEC §8).
AMENDING_STATUSES = frozenset({"draft", "proposed", "under-review"})
RETIRED_STATUSES = frozenset({"terminated", "expired", "superseded"})

# How the scaffold's placeholder sentences begin (`rmo new-charter`): `placeholder-text`
# always recognises them (SPEC §8).
PLACEHOLDER_MARKS = ("To be agreed:", "To be written together:")

# The "due soon" window when rmo.yaml sets none (SPEC §4).
DEFAULT_DUE_SOON = "P30D"

# Outcomes of a recorded review (SPEC §3 review.log[].outcome).
OUTCOMES = ("affirmed", "amended", "renewed", "escalated", "terminated")

# Charter statuses (SPEC §3), in lifecycle order.
STATUSES = (
    "draft",
    "proposed",
    "active",
    "under-review",
    "suspended",
    "terminated",
    "expired",
    "superseded",
)

# Governance models with one-line meanings from Humphrey & Schmitz's typology (domain.md).
GOVERNANCE_MODELS: dict[str, str] = {
    "market": "arm's-length relations: price is the main mechanism, switching is cheap",
    "network": "organisations of roughly equal power that cooperate and share competencies",
    "quasi-hierarchy": "legally independent, but a lead party sets the rules the others follow",
    "hierarchy": "one party owns the other; the owner is the lead party",
}
MODELS = tuple(GOVERNANCE_MODELS)
# Models under which a lead party must be named.
LEAD_MODELS = frozenset({"quasi-hierarchy", "hierarchy"})

# Review states of a charter on an as-of date, most urgent first.
REVIEW_STATES = ("overdue", "due-soon", "ok", "not-scheduled")
