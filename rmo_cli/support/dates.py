"""ISO 8601 durations (PnYnMnWnD), cadence keywords and calendar arithmetic."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_DURATION_RE = re.compile(r"^P(?=\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
CADENCE_KEYWORDS = {"monthly": "P1M", "quarterly": "P3M", "semiannual": "P6M", "annual": "P1Y"}


@dataclass(frozen=True)
class Duration:
    """A calendar duration: years and months are calendar units, weeks and days are days."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0


def parse_duration(text: str) -> Duration:
    """Parse `P3M`, `P1Y6M`, `P2W`, `P90D` or a cadence keyword; ValueError otherwise."""
    text = CADENCE_KEYWORDS.get(text, text)
    match = _DURATION_RE.match(text or "")
    if not match:
        raise ValueError(
            f"{text!r} is not a duration: use ISO 8601 such as P3M, P1Y, P2W or P90D"
            f" (or one of {', '.join(CADENCE_KEYWORDS)})"
        )
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    return Duration(years, months, weeks, days)


def is_duration(text: str) -> bool:
    """True when text parses as a duration or cadence keyword."""
    try:
        parse_duration(text)
    except ValueError:
        return False
    return True


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_date(text: str) -> dt.date:
    """A date written exactly YYYY-MM-DD, as charters write them; else ValueError.

    (Python 3.11's `date.fromisoformat` also takes 20250201 and 2025-W05-1.)
    """
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not YYYY-MM-DD")
    return dt.date.fromisoformat(text)


def add_duration(start: dt.date, duration: Duration | str) -> dt.date:
    """start + duration, months first with the day clamped to the month's end.

    2024-01-31 + P1M = 2024-02-29; 2023-01-31 + P1M = 2023-02-28.
    """
    if isinstance(duration, str):
        duration = parse_duration(duration)
    month_index = start.month - 1 + duration.months + 12 * duration.years
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day) + dt.timedelta(days=7 * duration.weeks + duration.days)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def duration_in_words(text: str) -> str:
    """`P5D` → '5 days', `P1Y6M` → '1 year 6 months', `quarterly` → 'quarterly'."""
    if text in CADENCE_KEYWORDS:
        return text
    try:
        d = parse_duration(text)
    except ValueError:
        return text
    parts = [
        _plural(n, unit)
        for n, unit in ((d.years, "year"), (d.months, "month"), (d.weeks, "week"), (d.days, "day"))
        if n
    ]
    return " ".join(parts) if parts else "0 days"


def parse_iso_date(text: object) -> dt.date | None:
    """The date an ISO string spells, or None when it is missing or not a date."""
    if not isinstance(text, str):
        return None
    try:
        return read_date(text)
    except ValueError:
        return None


def date_in_words(text: object) -> str:
    """`2025-02-01` → '1 February 2025' (unparseable values are returned as they are)."""
    value = parse_iso_date(text)
    if value is None:
        return "" if text is None else str(text)
    return f"{value.day} {value.strftime('%B')} {value.year}"
