"""What templates receive: the charter as plain data, its document control, and the filters."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Any

from rmo_cli.adapters.worktree import GitState
from rmo_cli.charter.amendment import InForceVersion
from rmo_cli.charter.model import as_list, as_mapping
from rmo_cli.render.markdown import markdown_html
from rmo_cli.rules.signoffs import SignoffCheck
from rmo_cli.support.escape import MdSafe, md_block, md_escape
from rmo_cli.support.findings import Finding
from rmo_cli.support.vocabulary import (
    BAD_SIGNATURE,
    DEFAULT_DUE_SOON,
    IN_FORCE,
    STALE,
    UNKNOWN_SIGNER,
    UNSIGNED,
    VALID,
)

# The state of a party's row when it has no sign-off at all.
MISSING = "missing"

# The shape templates rely on: these hold lists of mappings, or mappings.
_LISTS_OF_MAPPINGS = ("parties", "objectives", "principles", "roles", "kpis", "risks", "signoffs")


_MAPPINGS = ("governance", "escalation", "communication", "term", "review", "exit")


_NESTED_LISTS = {
    "parties": "people",
    "governance": "bodies",
    "escalation": "levels",
    "communication": "meetings",
    "review": "log",
}


_ID_LISTS = ("members", "attendees", "people", "reviewers", "responsibilities", "triggers")


def renderable(data: Any) -> dict[str, Any]:
    """A charter with errors (rendered with --force) in the shape templates rely on.

    Items of the wrong type are dropped: a mapping where a list of mappings belongs, a string
    where a mapping belongs. A valid charter comes back equal to itself.
    """

    def dicts(value: Any) -> list[dict[str, Any]]:
        return (
            [fix(item) for item in value if isinstance(item, dict)]
            if isinstance(value, list)
            else []
        )

    def fix(item: dict[str, Any]) -> dict[str, Any]:
        out = dict(item)
        for key in _ID_LISTS:
            if key in out and not isinstance(out[key], list):
                out[key] = []
        return out

    if not isinstance(data, dict):
        return {}
    out = dict(data)
    for key in _LISTS_OF_MAPPINGS:
        if key in out:
            out[key] = dicts(out[key])
    for key in _MAPPINGS:
        if key in out:
            out[key] = fix(out[key]) if isinstance(out[key], dict) else {}
    for key, inner in _NESTED_LISTS.items():
        section = out.get(key)
        if isinstance(section, dict) and inner in section:
            section[inner] = dicts(section[inner])
        elif isinstance(section, list):
            for item in section:
                if inner in item:
                    item[inner] = dicts(item[inner])
    return out


def next_review(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """The next review date (ISO) and where it comes from: next_due, or last review + cadence.

    Computed whatever the status, since the document shows the agreed schedule.
    """
    from rmo_cli.support.dates import add_duration, parse_iso_date

    review = as_mapping(data.get("review"))
    next_due = parse_iso_date(review.get("next_due"))
    if next_due is not None:
        return next_due.isoformat(), "next_due"
    start = parse_iso_date(review.get("last_reviewed"))
    source = "last_reviewed"
    if start is None:
        start = parse_iso_date(as_mapping(data.get("term")).get("effective"))
        source = "effective"
    cadence = review.get("cadence")
    if start is None or not isinstance(cadence, str):
        return None, None
    try:
        return add_duration(start, cadence).isoformat(), source
    except (ValueError, OverflowError):
        return None, None


def _review_state(data: dict[str, Any], as_of: dt.date, within: str) -> str | None:
    try:
        from rmo_cli.charter.reviews import review_status
    except ImportError:  # pragma: no cover - the reviews module is part of the package
        return None
    return review_status(data, as_of, within).state


# How the document names each sign-off state (SPEC §7): what verify says, in plain words.
_LABELS = {
    MISSING: "Not signed",
    VALID: "Recorded",
    IN_FORCE: "In force",
    STALE: "Stale",
    UNSIGNED: "Unsigned",
    BAD_SIGNATURE: "Bad signature",
    UNKNOWN_SIGNER: "Unknown signer",
}


def _verdict(check: SignoffCheck | None) -> tuple[str, str]:
    """(label, sentence) for a party's sign-off in the document; never a command name."""
    if check is None:
        return _LABELS[MISSING], "Not yet signed."
    state = check.state
    if state in (VALID, IN_FORCE) and check.signed:
        label = "Signed and verified" if state == VALID else "In force, signed and verified"
        sentence = (
            f"Signed and verified: SSH signature by key {check.key} of {check.email}, an "
            "allowed signer, covering this sign-off record and this content."
        )
        if state == IN_FORCE:
            sentence += (
                " It approves the version in force; the amendment in progress takes effect "
                "once this party signs it."
            )
        return label, sentence
    if state == VALID:
        return _LABELS[VALID], (
            "Recorded without a signature: the sign-off matches this content, but no "
            "cryptographic signature shows who made it."
        )
    if state == IN_FORCE:
        return _LABELS[IN_FORCE], (
            "Recorded without a signature for the version in force; the amendment in progress "
            "takes effect once this party signs it."
        )
    if state == STALE:
        if "rmo 0.1" in check.detail:
            return _LABELS[STALE], (
                "Stale: made under an earlier definition of the sign-off; the content is "
                "unchanged but it must be signed again. Not valid."
            )
        return _LABELS[STALE], (
            "Stale: this sign-off approved different content; the charter has changed "
            "since, so it must be signed again. Not valid."
        )
    if state == UNSIGNED:
        return _LABELS[UNSIGNED], (
            "Unsigned: recorded without a signature, but this repository requires every "
            "sign-off to carry a verified signature. Not valid."
        )
    if state == BAD_SIGNATURE:
        return _LABELS[BAD_SIGNATURE], (
            "Bad signature: the signature does not match this sign-off record, which was "
            "changed after signing or carries a damaged signature. Not valid."
        )
    return _LABELS[UNKNOWN_SIGNER], (
        "Unknown signer: the signature is intact, but its key is not an allowed signer "
        f"for {check.email or 'this person'} on the sign-off's date. Not valid."
    )


def signoff_rows(
    data: dict[str, Any],
    checks: Sequence[SignoffCheck],
    parties: dict[str, dict[str, Any]],
    people: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """One row per party for the sign-off block: its best sign-off and verify's verdict.

    A valid sign-off of a party outranks an in-force one, which outranks the rest; among
    equals the last one listed is shown.
    """
    rank = {VALID: 0, IN_FORCE: 1}
    best: dict[str, SignoffCheck] = {}
    for check in checks:
        if check.party not in parties:
            continue
        shown = best.get(check.party)
        if shown is None or rank.get(check.state, 2) <= rank.get(shown.state, 2):
            best[check.party] = check
    rows = []
    for party_id, party in parties.items():
        found = best.get(party_id)
        label, sentence = _verdict(found)
        person_id = found.person if found is not None and found.person else None
        rows.append(
            {
                "party": party,
                "state": found.state if found is not None else MISSING,
                "label": label,
                "verdict": sentence,
                "signed": bool(found and found.signed),
                "verified": bool(found and found.verified),
                "key": found.key if found is not None and found.verified else None,
                "email": found.email if found is not None else None,
                "person_id": person_id,
                "person": people.get(person_id) if isinstance(person_id, str) else None,
                "capacity": found.capacity if found is not None else None,
                "date": found.date if found is not None else None,
                "version": found.version if found is not None else None,
                "fingerprint": found.fingerprint if found is not None else None,
                "ssh_signed": bool(found and found.signed),  # templates before 0.2
            }
        )
    return rows


def charter_context(
    data: dict[str, Any],
    *,
    as_of: dt.date,
    file: str = "",
    git: GitState | None = None,
    findings: Sequence[Finding] = (),
    draft: bool = False,
    within: str = DEFAULT_DUE_SOON,
    checks: Sequence[SignoffCheck] | None = None,
    in_force: InForceVersion | None = None,
) -> dict[str, Any]:
    """Everything a charter template receives: `charter` (the data as loaded) and helpers.

    `people` and `parties` map ids to their records, `signoffs` has one row per party,
    `review` the schedule, `document` the control data for the footer (fingerprint, git).
    checks are the sign-offs' verdicts as `rmo verify` gives them (default: checked with no
    allowed signers, so a signature is never shown as verified).
    """
    from rmo_cli.charter.fingerprint import fingerprint
    from rmo_cli.rules.signoffs import verify_signoffs

    parties: dict[str, dict[str, Any]] = {}
    people: dict[str, dict[str, Any]] = {}
    for party in as_list(data.get("parties")):
        if not isinstance(party, dict) or not isinstance(party.get("id"), str):
            continue
        parties[party["id"]] = party
        for person in as_list(party.get("people")):
            if isinstance(person, dict) and isinstance(person.get("id"), str):
                people[person["id"]] = {
                    **person,
                    "party": party["id"],
                    "party_name": party.get("name"),
                }

    current = fingerprint(data)
    if checks is None:
        checks = verify_signoffs(data, file, None, in_force)
    rows = signoff_rows(data, checks, parties, people)

    next_due, source = next_review(data)
    review = as_mapping(data.get("review"))
    errors = list(  # one line per distinct finding, in order
        dict.fromkeys(str(f) for f in findings)
    )
    return {
        "charter": data,
        "parties": parties,
        "people": people,
        "objectives": {
            o["id"]: o
            for o in as_list(data.get("objectives"))
            if isinstance(o, dict) and isinstance(o.get("id"), str)
        },
        "signoffs": rows,
        "kpis": _kpi_states(data),
        "review": {
            "cadence": review.get("cadence"),
            "last_reviewed": review.get("last_reviewed"),
            "next_due": next_due,
            "next_due_source": source,
            "state": _review_state(data, as_of, within),
        },
        "document": {
            "id": data.get("id"),
            "version": data.get("version"),
            "status": data.get("status"),
            "title": data.get("title"),
            "file": file,
            "fingerprint": current,
            "generated": as_of.isoformat(),
            "git": (
                {"commit": git.commit, "state": git.state, "dirty": git.dirty} if git else None
            ),
            "draft": draft,
            "findings": errors,
            "amendments": _amendments(data),
        },
    }


def _kpi_states(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """KPI id → its state, trend and latest measurement (value, date, note), as plain data."""
    from rmo_cli.charter.kpis import kpi_statuses

    states = {}
    for status in kpi_statuses(data):
        latest = status.latest
        states[status.id] = {
            "state": status.state,
            "trend": status.trend,
            "value": latest.value if latest else None,
            "date": latest.date.isoformat() if latest else None,
            "note": latest.note if latest else None,
        }
    return states


def _amendments(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The amendment record (SPEC §8), oldest first; entries of the wrong type are left out."""
    return [
        {"version": a.get("version"), "date": a.get("date"), "summary": a.get("summary")}
        for a in as_list(data.get("amendments"))
        if isinstance(a, dict)
    ]


def _lookup_person(context: Any, person_id: object) -> dict[str, Any] | None:
    people = context.get("people") or {}
    return people.get(person_id) if isinstance(person_id, str) else None


def _filters() -> dict[str, Callable[..., Any]]:
    from jinja2 import pass_context, pass_eval_context
    from markupsafe import Markup

    from rmo_cli.support.dates import CADENCE_KEYWORDS, date_in_words, duration_in_words

    @pass_context
    def person(context: Any, person_id: object, with_party: bool = False) -> str:
        """`jdoe` → 'Jane Doe (Director, Procurement)'; unknown ids are marked as such."""
        found = _lookup_person(context, person_id)
        if found is None:
            return f"{person_id} (unknown person)"
        text = str(found.get("name", person_id))
        extra = [str(found["title"])] if found.get("title") else []
        if with_party and found.get("party_name"):
            extra.append(str(found["party_name"]))
        return f"{text} ({', '.join(extra)})" if extra else text

    @pass_context
    def person_name(context: Any, person_id: object) -> str:
        """`jdoe` → 'Jane Doe'."""
        found = _lookup_person(context, person_id)
        return str(found.get("name", person_id)) if found else f"{person_id} (unknown person)"

    @pass_context
    def people_list(context: Any, ids: object, titles: bool = True) -> str:
        """A list of person ids as names (with titles), joined with commas."""
        func = person if titles else person_name
        return "; ".join(func(context, i) for i in as_list(ids))

    @pass_context
    def party(context: Any, party_id: object) -> str:
        """`acme` → 'ACME Public Works Agency'."""
        parties = context.get("parties") or {}
        found = parties.get(party_id) if isinstance(party_id, str) else None
        return str(found.get("name", party_id)) if found else f"{party_id} (unknown party)"

    @pass_eval_context
    def richtext(eval_ctx: Any, value: object) -> Any:
        """Charter Markdown: safe HTML in an HTML template, neutralised Markdown otherwise."""
        if eval_ctx.autoescape:
            return Markup(markdown_html(value))
        return md_block(value)

    def label(value: object) -> str:
        """`quasi-hierarchy` → 'Quasi-hierarchy', `lead-party` → 'Lead party'."""
        text = "" if value is None else str(value)
        text = text.replace("_", " ")
        if "-" in text and text not in ("quasi-hierarchy",):
            text = text.replace("-", " ")
        return text[:1].upper() + text[1:]

    def every(value: object) -> str:
        """`P1M` → 'every month', `P6M` → 'every 6 months', `quarterly` → 'quarterly'."""
        text = "" if value is None else str(value)
        if text in CADENCE_KEYWORDS:
            return text
        words = duration_in_words(text)
        if words == text:  # not a duration: shown as it is
            return text
        if words.startswith("1 ") and " " not in words[2:]:
            return f"every {words[2:]}"
        return f"every {words}"

    def time_limit(value: object) -> str:
        """`P5D` → '5 calendar days': ISO 8601 durations count calendar time."""
        words = duration_in_words("" if value is None else str(value))
        return re.sub(r"\b(\d+) (days?)\b", r"\1 calendar \2", words)

    def model_sentence(value: object) -> str:
        """The governance model explained in one plain sentence (empty for unknown models)."""
        from rmo_cli.support.vocabulary import GOVERNANCE_MODELS

        meaning = GOVERNANCE_MODELS.get(value) if isinstance(value, str) else None
        if not meaning:
            return ""
        return f"The governance model is {label(value).lower()}: {meaning}."

    def css_string(value: object) -> Markup:
        """A CSS string literal of any text (quotes, backslashes, `<`, `>`, `&` escaped)."""
        text = "" if value is None else str(value)
        out = [
            f"\\{ord(ch):x} " if ch in "\"'\\<>&" or ord(ch) < 0x20 or ord(ch) == 0x7F else ch
            for ch in text
        ]
        return Markup('"' + "".join(out) + '"')

    def number(value: object) -> str:
        """41200 → '41,200'; 71.5 → '71.5'."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "" if value is None else str(value)
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,}"
        return f"{int(value):,}"

    return {
        "person": person,
        "person_name": person_name,
        "people": people_list,
        "party": party,
        "duration": duration_in_words,
        "every": every,
        "longdate": date_in_words,
        "richtext": richtext,
        "md": md_escape,
        "md_cell": lambda v: MdSafe(md_escape(v, newline="<br>")),
        "label": label,
        "number": number,
        "time_limit": time_limit,
        "model_sentence": model_sentence,
        "css_string": css_string,
    }


def _finalize_factory() -> Callable[..., Any]:
    from jinja2 import pass_eval_context

    @pass_eval_context
    def finalize(eval_ctx: Any, value: Any) -> Any:
        # Markdown templates get every `{{ }}` escaped; HTML templates are autoescaped.
        if value is None:
            return ""
        if eval_ctx.autoescape or isinstance(value, MdSafe):
            return value
        return md_escape(value)

    return finalize
