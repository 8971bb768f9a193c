"""Review arithmetic: next due date, review state and expiry of a charter on an as-of date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rmo_cli.charter.model import as_mapping
from rmo_cli.support.dates import Duration, add_duration, parse_duration
from rmo_cli.support.errors import RmoError
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON, REVIEW_STATES

# Statuses whose charter is reviewed on a schedule; every other status is not-scheduled.
SCHEDULED_STATUSES = frozenset({"active", "under-review", "suspended"})


# Statuses of a charter that has ended: its expiry date no longer matters.
ENDED_STATUSES = frozenset({"terminated", "expired", "superseded"})


STATES = REVIEW_STATES


EXPIRY_STATES = ("expired", "expiring", "ok")
# The review state an expiry state fails with under --fail-on.
EXPIRY_FAILS_WITH = {"expired": "overdue", "expiring": "due-soon"}


@dataclass(frozen=True)
class ReviewStatus:
    """The review and expiry state of one charter on an as-of date."""

    state: str  # overdue | due-soon | ok | not-scheduled
    next_due: dt.date | None
    last_reviewed: dt.date | None
    days: int | None  # next_due - as_of in days (negative when overdue)
    expires: dt.date | None = None
    expiry_state: str | None = None  # expired | expiring | ok | None (no expiry date)
    expiry_days: int | None = None  # expires - as_of in days
    # where next_due came from: "next_due" (set in the file) | "last_reviewed" | "effective"
    next_due_source: str | None = None
    cadence: str | None = None
    reason: str | None = None  # why a charter is not-scheduled

    @property
    def scheduled(self) -> bool:
        """True when a review is scheduled (state is not not-scheduled)."""
        return self.state != "not-scheduled"


def as_date(value: object) -> dt.date | None:
    """The date a loaded value spells (ISO string or date), None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def window(within: str | Duration) -> Duration:
    """The due-soon window as a Duration; an invalid one is a usage error."""
    if isinstance(within, Duration):
        return within
    try:
        return parse_duration(str(within).strip())
    except ValueError as exc:
        raise RmoError(f"--within: {exc}") from None


def _add(start: dt.date, duration: Duration | str) -> dt.date | None:
    try:
        return add_duration(start, duration)
    except (ValueError, OverflowError):
        return None


def _window_end(as_of: dt.date, span: Duration) -> dt.date:
    return _add(as_of, span) or dt.date.max


def _unscheduled(reason: str, common: dict[str, Any]) -> ReviewStatus:
    return ReviewStatus("not-scheduled", None, days=None, reason=reason, **common)


def review_status(
    data: Any, as_of: dt.date, within: str | Duration = DEFAULT_DUE_SOON
) -> ReviewStatus:
    """Review and expiry state of a charter's data on as_of (SPEC §5); never raises on data."""
    span = window(within)
    data = as_mapping(data)
    status = data.get("status") if isinstance(data.get("status"), str) else None
    review = as_mapping(data.get("review"))
    term = as_mapping(data.get("term"))
    last_reviewed = as_date(review.get("last_reviewed"))
    cadence = review.get("cadence") if isinstance(review.get("cadence"), str) else None
    end = _window_end(as_of, span)

    expires = as_date(term.get("expires"))
    expiry_state = expiry_days = None
    if expires is not None and status not in ENDED_STATUSES:
        expiry_days = (expires - as_of).days
        expiry_state = "expired" if expires < as_of else "expiring" if expires <= end else "ok"
    common: dict[str, Any] = {
        "last_reviewed": last_reviewed,
        "expires": expires,
        "expiry_state": expiry_state,
        "expiry_days": expiry_days,
        "cadence": cadence,
    }

    if status not in SCHEDULED_STATUSES:
        label = status if isinstance(status, str) and status else "missing"
        return _unscheduled(f"status is {label}", common)

    next_due = as_date(review.get("next_due"))
    source = "next_due"
    if next_due is None:
        start, source = (
            (last_reviewed, "last_reviewed")
            if last_reviewed
            else (
                as_date(term.get("effective")),
                "effective",
            )
        )
        try:
            step = parse_duration(cadence) if cadence is not None else None
        except ValueError:
            step = None
        if step is None:
            return _unscheduled("no valid review cadence", common)
        if start is None:
            return _unscheduled("no last review date and no valid term.effective", common)
        next_due = _add(start, step)
        if next_due is None:
            return _unscheduled("the next review date is out of range", common)

    days = (next_due - as_of).days
    state = "overdue" if next_due < as_of else "due-soon" if next_due <= end else "ok"
    return ReviewStatus(state, next_due, days=days, next_due_source=source, **common)


def review_owner(data: Any) -> tuple[str, str] | None:
    """(person id, name) of whoever owns the review: a Senior Executive Responsible
    (the lead party's first), else the first person of the first party."""
    data = as_mapping(data)
    found = data.get("parties")
    parties = [p for p in found if isinstance(p, Mapping)] if isinstance(found, list) else []
    lead = as_mapping(data.get("governance")).get("lead_party")
    ordered = sorted(parties, key=lambda p: p.get("id") != lead)

    def people(party: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        found = party.get("people")
        return [p for p in found if isinstance(p, Mapping)] if isinstance(found, list) else []

    def label(person: Mapping[str, Any]) -> tuple[str, str]:
        pid = str(person.get("id", ""))
        name = person.get("name")
        return pid, str(name) if isinstance(name, str) and name else pid

    for party in ordered:
        for person in people(party):
            if person.get("ser") is True:
                return label(person)
    for party in parties[:1]:
        for person in people(party)[:1]:
            return label(person)
    return None


def days_in_words(days: int | None, today: str = "due today", past: str = "overdue") -> str:
    """-3 → '3 days overdue', 0 → 'due today', 1 → 'in 1 day', None → ''.

    today and past reword the day itself and the days before it (`today`, `3 days ago`).
    """
    if days is None:
        return ""
    if days == 0:
        return today
    n = abs(days)
    unit = "day" if n == 1 else "days"
    return f"{n} {unit} {past}" if days < 0 else f"in {n} {unit}"


def failing_reasons(status: ReviewStatus, fail_on: Iterable[str]) -> list[str]:
    """What makes a charter fail under `--fail-on`: 'review overdue', 'charter expired'…"""
    chosen = expand_fail_on(fail_on)
    reasons = []
    if status.state in chosen:
        reasons.append(f"review {status.state.replace('-', ' ')}")
    if status.expiry_state and EXPIRY_FAILS_WITH.get(status.expiry_state) in chosen:
        reasons.append(f"charter {status.expiry_state}")
    return reasons


_STATE_ORDER = {state: rank for rank, state in enumerate(STATES)}


def expand_fail_on(fail_on: Iterable[str]) -> set[str]:
    """`due-soon` also fails an overdue review: what is overdue was due soon first."""
    chosen = set(fail_on)
    if "due-soon" in chosen:
        chosen.add("overdue")
    return chosen
