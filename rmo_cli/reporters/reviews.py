"""Outputs of `rmo reviews`: a plain table, JSON (SPEC §5), Markdown and an RFC 5545 calendar.

Every formatter is pure: review entries and the as-of date in, text out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from rmo_cli.charter.reviews import days_in_words
from rmo_cli.ops.reviews import ReviewEntry
from rmo_cli.support import jsontext
from rmo_cli.support.dates import duration_in_words
from rmo_cli.support.escape import md_escape, terminal_text
from rmo_cli.support.ids import MAX_ID, SLUG_RE

FORMATS = ("table", "json", "md", "ics")
_STYLES = {
    "overdue": "\x1b[1;31m",
    "due-soon": "\x1b[33m",
    "ok": "\x1b[32m",
    "not-scheduled": "\x1b[2m",
    "expired": "\x1b[1;31m",
    "expiring": "\x1b[33m",
}


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ident(entry: ReviewEntry) -> str:
    return entry.id if isinstance(entry.id, str) and entry.id else entry.file


def _owner_name(entry: ReviewEntry) -> str:
    return entry.owner[1] if entry.owner else ""


def _ago(days: int | None) -> str:
    return days_in_words(days, today="today", past="ago")


def summary(entries: Sequence[ReviewEntry]) -> dict[str, int]:
    """Counts of each review state and of expired and expiring charters."""
    counts = dict.fromkeys(("overdue", "due-soon", "ok", "not-scheduled", "expired", "expiring"), 0)
    for entry in entries:
        counts[entry.review.state] += 1
        if entry.review.expiry_state in ("expired", "expiring"):
            counts[entry.review.expiry_state] += 1
    return counts


def summary_line(entries: Sequence[ReviewEntry], as_of: dt.date, within: str) -> str:
    """'4 charters: 1 overdue, …; 1 expired, 0 expiring (as of …, due-soon window …)'."""
    c = summary(entries)
    noun = "charter" if len(entries) == 1 else "charters"
    return (
        f"{len(entries)} {noun}: {c['overdue']} overdue, {c['due-soon']} due soon, {c['ok']} ok, "
        f"{c['not-scheduled']} not scheduled; {c['expired']} expired, {c['expiring']} expiring "
        f"(as of {as_of}, window {duration_in_words(within)})"
    )


def _expiring(entries: Sequence[ReviewEntry]) -> list[ReviewEntry]:
    found = [e for e in entries if e.review.expiry_state in ("expired", "expiring")]
    return sorted(found, key=lambda e: (e.review.expiry_days or 0, e.file))


# --- table ----------------------------------------------------------------------------


def _columns(
    rows: list[list[str]], states: list[str], colour: bool, width: int | None = None
) -> list[str]:
    from rmo_cli.support.table import render_table

    rows = [[terminal_text(cell) for cell in row] for row in rows]  # hidden characters shown

    def style(r: int, column: int, text: str) -> str:
        code = _STYLES.get(states[r]) if colour and r and column == 0 else None
        return f"{code}{text}\x1b[0m" if code else text

    # FILE, then OWNER, then WHEN go first when the terminal is narrow.
    return render_table(rows[0], rows[1:], width, (5, 2, 4), style)


def format_table(
    entries: Sequence[ReviewEntry],
    as_of: dt.date,
    within: str,
    colour: bool = False,
    width: int | None = None,
) -> str:
    """Aligned columns: state, charter, owner, next due, when, file; then expiries.

    width: the columns to fit (wrapping cells, dropping file, owner, when); None: all."""
    if not entries:
        return f"No charters found (as of {as_of}).\n"
    rows = [["STATE", "CHARTER", "OWNER", "NEXT DUE", "WHEN", "FILE"]]
    states = [""]
    for e in entries:
        r = e.review
        when = days_in_words(r.days) if r.scheduled else (r.reason or "")
        rows.append([r.state, _ident(e), _owner_name(e), _iso(r.next_due) or "-", when, e.file])
        states.append(r.state)
    lines = _columns(rows, states, colour, width)
    expiring = _expiring(entries)
    if expiring:
        lines.append("")
        rows = [["EXPIRY", "CHARTER", "OWNER", "EXPIRES", "WHEN", "FILE"]]
        states = [""]
        for e in expiring:
            r = e.review
            rows.append(
                [r.expiry_state or "", _ident(e), _owner_name(e), _iso(r.expires) or "-",
                 _ago(r.expiry_days), e.file]
            )  # fmt: skip
            states.append(r.expiry_state or "")
        lines.extend(_columns(rows, states, colour, width))
    lines.append("")
    lines.append(summary_line(entries, as_of, within))
    return "\n".join(lines) + "\n"


# --- JSON -----------------------------------------------------------------------------


def as_json_data(entries: Sequence[ReviewEntry], as_of: dt.date, within: str) -> dict[str, Any]:
    """The `reviews --format json` object of SPEC §5 (with extra fields)."""
    charters = []
    for e in entries:
        r = e.review
        charters.append(
            {
                "id": e.id,
                "file": e.file,
                "title": e.title,
                "status": e.status,
                "owner": {"id": e.owner[0], "name": e.owner[1]} if e.owner else None,
                "cadence": r.cadence,
                "last_reviewed": _iso(r.last_reviewed),
                "next_due": _iso(r.next_due),
                "state": r.state,
                "days": r.days,
                "reason": r.reason,
                "expires": _iso(r.expires),
                "expiry_state": r.expiry_state,
                "expiry_days": r.expiry_days,
            }
        )
    return {
        "as_of": as_of.isoformat(),
        "within": within,
        "summary": summary(entries),
        "charters": charters,
    }


def format_json(entries: Sequence[ReviewEntry], as_of: dt.date, within: str) -> str:
    """JSON text of as_json_data."""
    data = as_json_data(entries, as_of, within)
    return jsontext.dumps(data, indent=2, default=str) + "\n"


# --- Markdown -------------------------------------------------------------------------


def md_code(text: object) -> str:
    """Text as a Markdown code span in a table cell (escaped text when it holds a backtick)."""
    flat = " ".join(str(text).split())
    return md_escape(flat) if "`" in flat else "`" + flat.replace("|", "\\|") + "`"


def format_md(entries: Sequence[ReviewEntry], as_of: dt.date, within: str) -> str:
    """A Markdown report: the review table, then expired and expiring charters."""
    lines = [f"# Charter reviews as of {as_of}", ""]
    if not entries:
        return "\n".join([*lines, "No charters found.", ""])
    lines += [
        "| State | Charter | Owner | Next due | When | File |",
        "|---|---|---|---|---|---|",
    ]
    for e in entries:
        r = e.review
        state = f"**{r.state}**" if r.state == "overdue" else r.state
        when = days_in_words(r.days) if r.scheduled else (r.reason or "")
        lines.append(
            f"| {state} | {md_escape(e.title)} ({md_code(_ident(e))}) | "
            f"{md_escape(_owner_name(e))} | {_iso(r.next_due) or '–'} | {md_escape(when)} | "
            f"{md_code(e.file)} |"
        )
    expiring = _expiring(entries)
    if expiring:
        lines += ["", "## Expired and expiring charters", ""]
        lines += ["| Expiry | Charter | Owner | Expires | When |", "|---|---|---|---|---|"]
        for e in expiring:
            r = e.review
            lines.append(
                f"| {r.expiry_state} | {md_escape(e.title)} ({md_code(_ident(e))}) | "
                f"{md_escape(_owner_name(e))} | {_iso(r.expires)} | {_ago(r.expiry_days)} |"
            )
    lines += ["", md_escape(summary_line(entries, as_of, within)), ""]
    return "\n".join(lines)


# --- iCalendar (RFC 5545) -------------------------------------------------------------

PRODID = "-//rmo//Relationship charter reviews//EN"


def ics_text(value: object) -> str:
    """RFC 5545 TEXT escaping: backslash, semicolon, comma and line breaks."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1) without splitting a character."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    if len(raw) == len(line):  # ASCII: one octet a character
        return "\r\n ".join([line[:75], *(line[i : i + 74] for i in range(75, len(line), 74))])
    parts: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = char, width + 1, 75  # a continuation starts with a space
        else:
            current += char
            size += width
    parts.append(current)
    return "\r\n ".join(parts)


def review_uid(entry: ReviewEntry, due: dt.date) -> str:
    """A UID that stays the same between runs: `<charter-id>-review-<date>@rmo`."""
    slug = isinstance(entry.id, str) and len(entry.id) <= MAX_ID and SLUG_RE.match(entry.id)
    ident = entry.id if slug else None
    if ident is None:  # a charter without a usable id: derive one from its file name
        ident = "file-" + hashlib.sha256(entry.file.encode("utf-8")).hexdigest()[:16]
    return f"{ident}-review-{due:%Y%m%d}@rmo"


def _description(entry: ReviewEntry) -> str:
    r = entry.review
    lines = [f"Charter: {entry.title} ({_ident(entry)})", f"File: {entry.file}"]
    if entry.owner:
        lines.append(f"Owner: {entry.owner[1]} ({entry.owner[0]})")
    if r.cadence:
        lines.append(f"Cadence: {duration_in_words(r.cadence)}")
    if r.last_reviewed:
        lines.append(f"Last reviewed: {r.last_reviewed.isoformat()}")
    lines.append(
        f"After the review: rmo record-review {entry.file} --reviewer ID --outcome affirmed"
    )
    return "\n".join(lines)


def format_ics(entries: Sequence[ReviewEntry], as_of: dt.date, within: str = "") -> str:
    """An RFC 5545 calendar: one all-day event per scheduled review, alarm 7 days before.

    DTSTAMP is midnight UTC of the as-of date, so the same inputs give the same bytes.
    """
    stamp = f"{as_of:%Y%m%d}T000000Z"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Charter reviews",
        "REFRESH-INTERVAL;VALUE=DURATION:P1D",  # RFC 7986: subscribers re-fetch daily
        "X-PUBLISHED-TTL:P1D",
    ]
    seen: set[str] = set()
    for entry in entries:
        due = entry.review.next_due
        if not entry.review.scheduled or due is None:
            continue
        uid = review_uid(entry, due)
        if uid in seen:  # two files with one id (an error validate reports): keep UIDs unique
            digest = hashlib.sha256(entry.file.encode("utf-8")).hexdigest()[:8]
            uid = uid.replace("@rmo", f"-{digest}@rmo")
        seen.add(uid)
        # 9999-12-31 has no next day: an all-day event may say its length instead.
        end = (
            f"DTEND;VALUE=DATE:{due + dt.timedelta(days=1):%Y%m%d}"
            if due < dt.date.max
            else "DURATION:P1D"
        )
        summary_text = ics_text(f"Review: {entry.title}")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{due:%Y%m%d}",
            end,
            f"SUMMARY:{summary_text}",
            f"DESCRIPTION:{ics_text(_description(entry))}",
            "TRANSP:TRANSPARENT",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{summary_text}",
            "TRIGGER:-P7D",
            "END:VALARM",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


FORMATTERS: dict[str, Callable[[Sequence[ReviewEntry], dt.date, str], str]] = {
    "json": format_json,
    "md": format_md,
    "ics": format_ics,
}
