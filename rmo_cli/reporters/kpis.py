"""Outputs of `rmo kpis`: a table fitted to the terminal, JSON, Markdown and CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from rmo_cli.charter.kpis import KPI_STATES, KpiStatus
from rmo_cli.ops.kpis import KpiRow
from rmo_cli.support.escape import md_escape
from rmo_cli.support.table import render_table

FORMATS = ("table", "json", "md", "csv")
_STYLES = {
    "off-track": "\x1b[1;31m",
    "at-risk": "\x1b[33m",
    "on-track": "\x1b[32m",
    "no-data": "\x1b[2m",
}
COLUMNS = ("STATE", "CHARTER", "KPI", "LATEST", "TARGET", "TREND", "MEASURED", "OWNER", "FILE")
_DROP_ORDER = (8, 7, 6, 5, 4)  # file, owner, measured, trend, target go first


def number_text(value: Any) -> str:
    """94.5 → '94.5', 95.0 → '95', text as it is, None → ''."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return str(value)


def value_text(status: KpiStatus) -> str:
    """The latest value with its unit ('94.5 percent'), or '-'."""
    latest = status.latest
    if latest is None:
        return "-"
    unit = f" {status.unit}" if status.unit else ""
    return f"{number_text(latest.value)}{unit}"


def target_text(status: KpiStatus) -> str:
    """'≥ 95' / '≤ 12', with ' (at risk ≥ 92)' when there is a threshold; '' without target."""
    if status.target is None:
        return ""
    sign = "≤" if status.direction == "lower-is-better" else "≥"
    text = f"{sign} {number_text(status.target)}"
    if status.at_risk is not None:
        text += f" (at risk {sign} {number_text(status.at_risk)})"
    return text


def cells(row: KpiRow) -> list[str]:
    """A row's cells in COLUMNS order."""
    k = row.kpi
    latest = k.latest
    return [
        k.state,
        row.charter,
        f"{k.name} ({k.id})" if k.name else k.id,
        value_text(k),
        target_text(k),
        k.trend or "-",
        latest.date.isoformat() if latest else "-",
        k.owner or "-",
        row.file,
    ]


def summary_line(rows: Sequence[KpiRow]) -> str:
    """'5 KPIs: 1 off-track, 1 at-risk, 2 on-track, 1 no-data'."""
    counts = {state: sum(1 for r in rows if r.kpi.state == state) for state in KPI_STATES}
    noun = "KPI" if len(rows) == 1 else "KPIs"
    return f"{len(rows)} {noun}: " + ", ".join(f"{n} {s}" for s, n in counts.items())


def format_table(rows: Sequence[KpiRow], width: int | None = None, colour: bool = False) -> str:
    """Aligned columns fitted to width (None: all columns), then the summary line."""
    if not rows:
        return "No KPIs found.\n"

    def style(r: int, column: int, text: str) -> str:
        code = _STYLES.get(text.strip()) if colour and r and column == 0 else None
        return f"{code}{text}\x1b[0m" if code else text

    lines = render_table(COLUMNS, [cells(r) for r in rows], width, _DROP_ORDER, style)
    return "\n".join([*lines, "", summary_line(rows)]) + "\n"


def format_json(rows: Sequence[KpiRow]) -> str:
    """`{"summary": {state: count}, "kpis": [rows]}`."""
    summary = {state: sum(1 for r in rows if r.kpi.state == state) for state in KPI_STATES}
    data = {"summary": summary, "kpis": [r.as_dict() for r in rows]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def format_md(rows: Sequence[KpiRow]) -> str:
    """A Markdown table (charter text escaped) and the summary line."""
    lines = ["| " + " | ".join(c.title() for c in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join(md_escape(c) for c in cells(r)) + " |")
    return "\n".join([*lines, "", summary_line(rows), ""])


CSV_FIELDS = (
    "file", "charter", "kpi", "name", "state", "latest_value", "latest_date", "unit", "target",
    "direction", "at_risk", "trend", "owner",
)  # fmt: skip


def format_csv(rows: Sequence[KpiRow]) -> str:
    """One CSV record per KPI (RFC 4180, CRLF line ends), with a header record."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for r in rows:
        k = r.kpi
        latest = k.latest
        writer.writerow(
            [
                r.file, r.charter, k.id, k.name, k.state,
                number_text(latest.value) if latest else "",
                latest.date.isoformat() if latest else "",
                k.unit, number_text(k.target), k.direction, number_text(k.at_risk), k.trend,
                k.owner,
            ]
        )  # fmt: skip
    return out.getvalue()
