"""`rmo status` output: the portfolio table as text, Markdown and JSON."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rmo_cli.ops.portfolio import StatusRow, summarize
from rmo_cli.support.escape import terminal_text

if TYPE_CHECKING:
    pass


def status_json(rows: Sequence[StatusRow], as_of: dt.date) -> dict[str, Any]:
    """`{"as_of", "summary", "charters": [rows]}` for `rmo status --format json`."""
    return {
        "as_of": as_of.isoformat(),
        "summary": summarize(rows).as_dict(),
        "charters": [row.as_dict() for row in rows],
    }


def review_text(row: StatusRow) -> str:
    """'overdue (due 2026-01-01)' / 'ok (due 2027-03-01)' / 'not-scheduled'."""
    return f"{row.review_state} (due {row.next_due})" if row.next_due else row.review_state


def expiry_text(row: StatusRow) -> str:
    """'2028-01-31' plus ' (expired)' or ' (expiring)' when it matters."""
    if not row.expires:
        return ""
    if row.expiry_state in ("expired", "expiring"):
        return f"{row.expires} ({row.expiry_state})"
    return row.expires


STATUS_COLUMNS = ("Id", "Title", "Status", "Model", "Parties", "Sign-off", "Review", "Expires")


def status_cells(row: StatusRow) -> list[str]:
    """The text of a row's cells, in STATUS_COLUMNS order."""
    return [
        row.id,
        row.title,
        row.status,
        row.model,
        ", ".join(row.parties),
        row.signoff_text,
        review_text(row),
        expiry_text(row),
    ]


def status_text(rows: Sequence[StatusRow]) -> str:
    """Plain aligned columns, one charter a line, then the summary line."""
    table = [list(STATUS_COLUMNS)] + [
        [terminal_text(" ".join(cell.split())) for cell in status_cells(r)] for r in rows
    ]
    from rmo_cli.support.width import display_width, ljust

    widths = [max(display_width(line[i]) for line in table) for i in range(len(STATUS_COLUMNS))]
    lines = []
    if rows:
        for line in table:
            cells = (ljust(c, w) for c, w in zip(line, widths, strict=True))
            lines.append("  ".join(cells).rstrip())
        lines.append("")
    lines.append(summarize(rows).text())
    return "\n".join(lines) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!~])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def status_markdown(rows: Sequence[StatusRow], as_of: dt.date) -> str:
    """A Markdown table of the rows with the summary line (charter text escaped)."""
    lines = [
        f"# Charter portfolio as of {as_of.isoformat()}",
        "",
        "| " + " | ".join(STATUS_COLUMNS) + " |",
        "|" + "---|" * len(STATUS_COLUMNS),
    ]
    for r in rows:
        lines.append("| " + " | ".join(_md(c) for c in status_cells(r)) + " |")
    lines += ["", _md(summarize(rows).text()), ""]
    return "\n".join(lines)
