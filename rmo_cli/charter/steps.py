"""One step of a charter's history in words (for `rmo log`): created, sign-offs, reviews."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rmo_cli.charter.changes import (
    Change,
    canonical_key,
    diff_charters,
    fingerprint_changed,
    unmatched,
    version_bumped,
)
from rmo_cli.charter.wording import Describer, group_by_section


def _signoff_keys(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    signoffs = data.get("signoffs")
    for item in signoffs if isinstance(signoffs, list) else []:
        if isinstance(item, dict):
            result[canonical_key(item)] = item
    return result


def _review_entries(data: Mapping[str, Any]) -> list[str]:
    review = data.get("review")
    log = review.get("log") if isinstance(review, dict) else None
    return [canonical_key(e) for e in log] if isinstance(log, list) else []


def _surely_signed(change: Change) -> bool:
    """True for a change the fingerprint surely sees (SPEC §6 leaves out sign-offs and
    review bookkeeping; a whole `review` added or removed may be either)."""
    seg = change.segments
    if seg[:1] in (("signoffs",), ("status",), ("lifecycle_stage",)) or seg in (
        (),
        ("review",),
        ("kpis",),
    ):
        return False
    if seg[0] == "kpis" and (len(seg) < 3 or seg[2] == "measurements"):
        return False  # a whole KPI may carry measurements only
    return not (seg[0] == "review" and seg[1] in ("last_reviewed", "next_due", "log"))


# Up to this many other changes a commit made are each told in words; more are counted.
_STEP_DETAIL = 3


def describe_step(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    fingerprints: tuple[str, str] | None = None,
) -> list[str]:
    """What one commit did to a charter, in words (`created`, `status draft → active`, ...).

    `old` is None when the charter was created, `new` is None when it was deleted.
    `fingerprints` (old, new) may be given when already known, to save computing them.
    """
    if old is None and new is None:
        return []
    if old is None:
        return ["created"]
    if new is None:
        return ["deleted"]
    describer = Describer(old, new)
    events: list[str] = []
    for key in ("status", "version"):
        if canonical_key(old.get(key)) != canonical_key(new.get(key)):
            before, after = describer.pair(old.get(key), new.get(key))
            events.append(f"{key} {before} → {after}")
    old_signoffs, new_signoffs = _signoff_keys(old), _signoff_keys(new)
    for key, item in new_signoffs.items():
        if key not in old_signoffs:
            events.append(f"sign-off added by {describer.person(item.get('person'))}")
    removed = [k for k in old_signoffs if k not in new_signoffs]
    replaced = {str(new_signoffs[k].get("person")) for k in new_signoffs if k not in old_signoffs}
    for key in removed:
        person = old_signoffs[key].get("person")
        if str(person) not in replaced:
            events.append(f"sign-off removed: {describer.person(person)}")
    old_log, new_log = _review_entries(old), _review_entries(new)
    for entry in unmatched(new_log, new_log, old_log):
        data = json.loads(entry)
        if isinstance(data, dict):
            events.append(f"review recorded ({describer.value(data)})")
        else:
            events.append("review recorded")
    changes = diff_charters(old, new)
    others = [
        c
        for c in changes
        if c.section not in ("status", "version", "signoffs")
        and not (c.segments[:2] == ("review", "log"))
        and not (
            c.segments[:2] in (("review", "last_reviewed"), ("review", "next_due"))
            and new_log != old_log
        )
    ]
    worded = describer.lines(others)
    if 0 < len(worded) <= _STEP_DETAIL:
        events.extend(text for _, text in worded)
    elif worded:
        sections = list(group_by_section(others))
        events.append(f"{len(worded)} other changes ({', '.join(sections)})")
    if fingerprints is not None:
        signed_changed = fingerprints[0] != fingerprints[1]
    elif any(_surely_signed(c) for c in changes):
        signed_changed = True  # a change of signed content always changes the fingerprint
    else:
        signed_changed = fingerprint_changed(old, new)  # a reorder may still change it
    if signed_changed:
        if not changes:
            events.append("items reordered (no change in content, but the fingerprint changed)")
        elif not version_bumped(old, new):
            events.append("content changed without a version bump")
    return events
