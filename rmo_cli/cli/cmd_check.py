"""`rmo check`: validate + verify + reviews in one pass, for CI."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import parse_date, today, use_colour

# The reporters' formats (rmo_cli.reporters.FORMATS), spelt out so `--help` stays fast;
# tests check that the two agree.
FORMAT_CHOICES = ("text", "json", "github", "sarif", "junit")
FAIL_ON_CHOICES = ("overdue", "due-soon", "none")


def _choice(value: str, choices: tuple[str, ...], option: str) -> str:
    if value not in choices:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}", param_hint=option)
    return value


@app.command()
def check(
    paths: list[str] = typer.Argument(
        None,
        help="Charter files or folders (default: rmo.yaml's charters, else charters/).",
        show_default=False,
    ),
    format: str = typer.Option(
        "text",
        "--format",
        "-f",
        help=f"Report format: {', '.join(FORMAT_CHOICES)}.",
        callback=lambda v: _choice(v, FORMAT_CHOICES, "--format"),
    ),
    output: Path = typer.Option(
        None,
        "--output",
        "-o",
        help="Write the report to this file; the text report then goes to stderr.",
        dir_okay=False,
    ),
    as_of: str = typer.Option(
        None, "--as-of", help="Judge reviews and dates on this day (YYYY-MM-DD; default today)."
    ),
    within: str = typer.Option(
        None,
        "--within",
        help="The due-soon window, an ISO 8601 duration (default: rmo.yaml due_soon, P30D).",
    ),
    fail_on: str = typer.Option(
        "overdue",
        "--fail-on",
        help="Review state that fails the check: overdue, due-soon (includes overdue), none.",
        callback=lambda v: _choice(v, FAIL_ON_CHOICES, "--fail-on"),
    ),
    strict: bool = typer.Option(False, "--strict", help="Make warnings fail too."),
) -> None:
    """Validate charters, verify sign-offs and check reviews in one pass (for CI).

    Exits 1 for an invalid charter, a stale or bad sign-off, or a review in the --fail-on state.

    Warnings (a missing sign-off, a review due soon) fail only with --strict.

    Example: rmo check --format sarif --output rmo.sarif charters/
    """
    from rmo_cli.checking import check_files
    from rmo_cli.editing import atomic_write
    from rmo_cli.findings import is_failing
    from rmo_cli.reporters import render
    from rmo_cli.reporters.text import summary
    from rmo_cli.repository import discover, load_config

    day = parse_date(as_of, "--as-of") or today()
    config = load_config()
    files = discover(paths or [], config)
    report = check_files(files, day, within or config.due_soon, fail_on)

    if output is not None:
        atomic_write(output, render(format, report))
        typer.echo(render("text", report, colour=use_colour(sys.stderr)), err=True, nl=False)
        typer.echo(f"rmo: {format} report written to {output}", err=True)
    else:
        colour = format == "text" and use_colour(sys.stdout)
        typer.echo(render(format, report, colour=colour), nl=False)
        if format != "text":
            typer.echo(summary(report), err=True)
    if is_failing(report.findings, strict):
        raise typer.Exit(1)
