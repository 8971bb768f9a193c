"""`rmo kpis` and `rmo record-kpi`."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Optional

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import PATHS_HELP, parse_date, table_width, today, use_colour


class KpisFormat(str, Enum):
    """Output formats of `rmo kpis`."""

    table = "table"
    json = "json"
    md = "md"
    csv = "csv"


class KpiFailOn(str, Enum):
    """KPI states that make `rmo kpis` exit 1 (at-risk includes off-track)."""

    off_track = "off-track"
    at_risk = "at-risk"


@app.command()
def kpis(
    paths: Optional[list[str]] = typer.Argument(  # noqa: UP045
        None, help=PATHS_HELP, show_default=False, metavar="PATH..."
    ),
    format: KpisFormat = typer.Option(KpisFormat.table, "--format", "-f", help="Output format."),
    fail_on: Optional[list[KpiFailOn]] = typer.Option(  # noqa: UP045
        None,
        "--fail-on",
        help="Exit 1 when a KPI is off-track, or with at-risk also when one is at risk.",
    ),
    wide: bool = typer.Option(False, "--wide", help="Show every column, however wide."),
) -> None:
    """Show every KPI with its latest value, state and trend.

    States: on-track (target met), at-risk (missed, within thresholds.at_risk), off-track
    (missed beyond it, or missed with no threshold), no-data. Worst first.

    Example: rmo kpis charters --fail-on off-track --format csv > kpis.csv
    """
    from rmo_cli.ops.kpis import failing_rows, kpi_files
    from rmo_cli.ops.repository import discover
    from rmo_cli.reporters import kpis as report

    rows, unreadable = kpi_files(discover(paths or []))
    for f in unreadable:
        typer.echo(str(f), err=True)
    fmt = format.value
    if fmt == "table":
        text = report.format_table(rows, table_width(wide), colour=use_colour(sys.stdout))
    elif fmt == "csv":
        text = report.format_csv(rows)
    elif fmt == "md":
        text = report.format_md(rows)
    else:
        text = report.format_json(rows)
    typer.echo(text, nl=False)
    chosen = [f.value for f in fail_on or []]
    failing = failing_rows(rows, chosen) if chosen else []
    if failing:
        names = ", ".join(f"{r.charter}/{r.kpi.id} ({r.kpi.state})" for r in failing[:5])
        more = f" and {len(failing) - 5} more" if len(failing) > 5 else ""
        noun = "KPI fails" if len(failing) == 1 else "KPIs fail"
        typer.echo(f"rmo: {len(failing)} {noun} --fail-on {chosen[-1]}: {names}{more}", err=True)
    if failing or unreadable:
        raise typer.Exit(1)


@app.command("record-kpi")
def record_kpi(
    charter: str = typer.Argument(..., help="The charter file.", show_default=False),
    kpi: str = typer.Argument(..., help="The KPI id, such as kpi-otd.", show_default=False),
    value: str = typer.Option(
        ...,
        "--value",
        metavar="V",
        help="The measured value (a number for a numeric target).",
        show_default=False,
    ),  # fmt: skip
    date: Optional[str] = typer.Option(  # noqa: UP045
        None, "--date", metavar="DATE", help="The day measured (default today; not later)."
    ),
    note: Optional[str] = typer.Option(  # noqa: UP045
        None, "--note", metavar="TEXT", help="What the value covers, such as October."
    ),
) -> None:
    """Record a KPI measurement: append {date, value, note} to the KPI's measurements.

    Only lines are added; the rest of the file keeps its comments, order and quoting, and
    the write is atomic.

    Refused, file untouched: an unknown KPI, a future date, a value that is not a number
    for a KPI with a numeric target, the same measurement again (exit 2); a charter that
    cannot be read or edited in place (exit 1).

    Example: rmo record-kpi charters/acme-globex.yaml kpi-otd --value 94.5 --note October
    """
    from pathlib import Path

    from rmo_cli.ops.kpis import record_kpi as record
    from rmo_cli.reporters.kpis import number_text, target_text

    now = today()
    when = parse_date(date, "--date") or now
    done = record(Path(charter), kpi, value=value, date=when, note=note, today=now, file=charter)
    target = target_text(done.status)
    typer.echo(
        f"Recorded {number_text(done.value)} for {done.kpi} in {done.file} on {done.date}: "
        f"{done.status.state}" + (f" (target {target})" if target else "") + "."
    )
