"""What templates receive: the charter as plain data, its document control, and the filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from rmo_cli.adapters.git import GitState
from rmo_cli.charter.amendment import InForceVersion
from rmo_cli.charter.model import as_list, as_mapping
from rmo_cli.render.markdown import markdown_html
from rmo_cli.support.escape import MdSafe, md_block, md_escape
from rmo_cli.support.findings import Finding
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

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


def charter_context(
    data: dict[str, Any],
    *,
    as_of: dt.date,
    file: str = "",
    git: GitState | None = None,
    findings: Sequence[Finding] = (),
    draft: bool = False,
    within: str = DEFAULT_DUE_SOON,
    in_force: InForceVersion | None = None,
) -> dict[str, Any]:
    """Everything a charter template receives: `charter` (the data as loaded) and helpers.

    `people` and `parties` map ids to their records, `signoffs` has one row per party,
    `review` the schedule, `document` the control data for the footer (fingerprint, git).
    """
    from rmo_cli.charter.amendment import amendment_state
    from rmo_cli.charter.fingerprint import fingerprint, party_states

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

    rows = []
    current = fingerprint(data)
    amending = amendment_state(data, in_force) == "amending"
    for party_id, (state, signoff) in party_states(data, current).items():
        signoff = signoff or {}
        if amending and state == "stale" and in_force is not None:
            # The sign-off of the version in force while an amendment is in progress (SPEC §8).
            state = "in-force" if signoff.get("fingerprint") == in_force.fingerprint else state
        person_id = signoff.get("person")
        rows.append(
            {
                "party": parties.get(party_id, {"id": party_id, "name": party_id}),
                "state": state,
                "person_id": person_id,
                "person": people.get(person_id) if isinstance(person_id, str) else None,
                "capacity": signoff.get("capacity"),
                "date": signoff.get("date"),
                "version": signoff.get("version"),
                "fingerprint": signoff.get("fingerprint"),
                "ssh_signed": bool(signoff.get("signature")),
            }
        )

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
