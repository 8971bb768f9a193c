"""`rmo status` output: the portfolio table as text, Markdown and JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rmo_cli.ops.portfolio import StatusRow, summarize
from rmo_cli.support.escape import md_escape, terminal_text

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


STATUS_COLUMNS = (
    "Id", "Title", "Status", "Model", "Parties", "Sign-off", "Review", "KPIs", "Expires",
)  # fmt: skip
# Columns left out first when the table is wider than the terminal (least valuable first).
_DROP_ORDER = (3, 4, 8, 1)


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
        row.kpi_text,
        expiry_text(row),
    ]


_STYLES = {
    "overdue": "\x1b[1;31m",
    "due-soon": "\x1b[33m",
    "ok": "\x1b[32m",
    "expired": "\x1b[1;31m",
    "expiring": "\x1b[33m",
    "off-track": "\x1b[1;31m",
    "at-risk": "\x1b[33m",
}


def _style(rows: Sequence[StatusRow]) -> Callable[[int, int, str], str]:
    """Colours for the review, KPI and expiry cells of a row (row 0 is the header)."""

    def style(r: int, column: int, text: str) -> str:
        if not r:
            return text
        row = rows[r - 1]
        state = {
            6: row.review_state,
            7: next((s for s in ("off-track", "at-risk") if s in row.kpi_states), None),
            8: row.expiry_state,
        }.get(column)
        if column == 5 and row.stale:
            return f"\x1b[31m{text}\x1b[0m"
        code = _STYLES.get(state or "")
        return f"{code}{text}\x1b[0m" if code else text

    return style


def status_text(rows: Sequence[StatusRow], width: int | None = None, colour: bool = False) -> str:
    """Aligned columns fitted to width (None: every column), then the summary line."""
    from rmo_cli.support.table import render_table

    lines = []
    if rows:
        style = _style(rows) if colour else None
        # Hidden and control characters from charter text are shown escaped (Trojan Source).
        cells = [[terminal_text(c) for c in status_cells(r)] for r in rows]
        lines = render_table(STATUS_COLUMNS, cells, width, _DROP_ORDER, style)
        lines.append("")
    lines.append(summarize(rows).text())
    return "\n".join(lines) + "\n"


def status_markdown(rows: Sequence[StatusRow], as_of: dt.date) -> str:
    """A Markdown table of the rows with the summary line (charter text escaped)."""
    lines = [
        f"# Charter portfolio as of {as_of.isoformat()}",
        "",
        "| " + " | ".join(STATUS_COLUMNS) + " |",
        "|" + "---|" * len(STATUS_COLUMNS),
    ]
    for r in rows:
        lines.append("| " + " | ".join(md_escape(c) for c in status_cells(r)) + " |")
    lines += ["", md_escape(summarize(rows).text()), ""]
    return "\n".join(lines)
