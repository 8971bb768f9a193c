"""`rmo validate` and `rmo schema`."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Optional

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import PATHS_HELP, parse_date, today, use_colour
from rmo_cli.reporters import FORMATS

ReportFormat = Enum("ReportFormat", {name: name for name in FORMATS}, type=str)  # type: ignore[misc]


@app.command()
def validate(
    paths: Optional[list[str]] = typer.Argument(  # noqa: UP045
        None, help=PATHS_HELP, show_default=False, metavar="PATH..."
    ),
    format: ReportFormat = typer.Option("text", "--format", "-f", help="Report format."),  # type: ignore[valid-type]
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 1)."),
    as_of: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--as-of",
        help="Judge dates as of this day (YYYY-MM-DD; default today).",
        metavar="DATE",
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Check every file again; do not read or write the result cache."
    ),
) -> None:
    """Check charters: reading rules, the JSON Schema and the semantic rules.

    Exit 0 when nothing fails, 1 when a charter has errors (or warnings with --strict),
    2 when a path does not exist.

    Example: rmo validate sample_charters --format sarif > rmo.sarif
    """
    from rmo_cli.ops.cache import config_token
    from rmo_cli.ops.repository import discover, find_config_file
    from rmo_cli.ops.validation import add_sources, validate_files
    from rmo_cli.reporters import render
    from rmo_cli.support.findings import Report, is_failing

    when = parse_date(as_of, "--as-of") or today()
    files = discover(paths or [])
    fmt = format.value
    colour = fmt == "text" and use_colour(sys.stdout)
    context = [config_token(find_config_file())] if not no_cache else []
    result = validate_files(files, when, cache=not no_cache, context=context, keep_sources=colour)
    if result.readable:
        # Rules that read git history run once per run, not once per charter (uncached).
        from rmo_cli.rules.reviews import history_findings

        history = history_findings(result.readable)
        result.findings.extend(history)
        if colour:
            add_sources(result, history, files)
    report = Report([f.display for f in files], result.findings, result.sources)
    typer.echo(render(fmt, report, colour=colour), nl=False)
    if not files:
        typer.echo("rmo: warning: no charter files found", err=True)
    if is_failing(result.findings, strict):
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the charter JSON Schema (draft 2020-12), e.g. for an editor.

    Example: rmo schema > charter.schema.json
    """
    from rmo_cli.support.resources import schema_path

    typer.echo(schema_path().read_text(encoding="utf-8"), nl=False)
