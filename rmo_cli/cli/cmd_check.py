"""`rmo check`: validate + verify + reviews in one pass, for CI."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.cmd_validate import ReportFormat
from rmo_cli.cli.common import PATHS_HELP, parse_date, today, use_colour


class FailOn(str, Enum):
    """`--fail-on` choices (rmo_cli.ops.checking.FAIL_ON)."""

    overdue = "overdue"
    due_soon = "due-soon"
    none = "none"
    off_track = "off-track"
    at_risk = "at-risk"


@app.command()
def check(
    paths: Optional[list[str]] = typer.Argument(  # noqa: UP045
        None, help=PATHS_HELP, show_default=False, metavar="PATH..."
    ),
    format: ReportFormat = typer.Option("text", "--format", "-f", help="Report format."),  # type: ignore[valid-type]
    output: Optional[Path] = typer.Option(  # noqa: UP045
        None,
        "--output",
        "-o",
        help="Write the report to this file; the text report then goes to stderr.",
        dir_okay=False,
        metavar="FILE",
    ),
    as_of: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--as-of",
        help="Judge reviews and dates as of this day (YYYY-MM-DD; default today).",
        metavar="DATE",
    ),
    within: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--within",
        help="The due-soon window, an ISO 8601 duration (default: rmo.yaml due_soon, P30D).",
        metavar="DURATION",
    ),
    fail_on: Optional[list[FailOn]] = typer.Option(  # noqa: UP045
        None,
        "--fail-on",
        help="What fails (repeatable): review state overdue (the default), due-soon (overdue "
        "too) or none; KPI state off-track or at-risk (off-track too), opt-in.",
    ),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 1)."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Check every file again; do not read or write the result cache."
    ),
) -> None:
    """Validate charters, verify sign-offs and check reviews in one pass (for CI).

    Exits 1 for an invalid charter, a stale or bad sign-off, a review in the --fail-on
    state, or (only when named) a KPI off-track or at risk.

    Warnings (a missing sign-off, a review due soon) fail only with --strict.

    Example: rmo check --format sarif --output rmo.sarif charters/
    """
    from rmo_cli.ops.checking import check_files
    from rmo_cli.ops.repository import discover, load_config
    from rmo_cli.reporters import render
    from rmo_cli.reporters.text import summary
    from rmo_cli.support.atomic import atomic_write
    from rmo_cli.support.findings import is_failing

    day = parse_date(as_of, "--as-of") or today()
    config = load_config()
    files = discover(paths or [], config)
    from rmo_cli.ops.cache import config_token

    report = check_files(
        files,
        day,
        within or config.due_soon,
        [f.value for f in fail_on] if fail_on else "overdue",
        repo_root=config.root,
        cache=not no_cache,
        context=[config_token(config.file)] if not no_cache else [],
    )
    fmt = format.value

    if output is not None:
        atomic_write(output, render(fmt, report))
        colour = use_colour(sys.stderr)
        typer.echo(render("text", report, colour=colour), err=True, nl=False)
        typer.echo(f"rmo: {fmt} report written to {output}", err=True)
    else:
        colour = fmt == "text" and use_colour(sys.stdout)
        rendered = render(fmt, report, colour=colour)
        typer.echo(rendered, nl=False)
        # Machine formats without a summary line of their own get one in the log.
        if summary(report) not in rendered:
            typer.echo(summary(report), err=True)
    if not files:
        typer.echo("rmo: warning: no charter files found", err=True)
    if is_failing(report.findings, strict):
        raise typer.Exit(1)
