"""`rmo status` and `rmo graph`: the portfolio across charters."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import (
    due_soon_window,
    fail,
    parse_date,
    table_width,
    today,
    use_colour,
)
from rmo_cli.support import jsontext
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

if TYPE_CHECKING:
    import datetime as dt

    from rmo_cli.ops.portfolio import StatusRow

STATUS_FORMATS = ("table", "json", "md")
GRAPH_FORMATS = ("mermaid", "dot", "svg", "json")
# Above this many files a progress bar is shown on stderr (only when stderr is a terminal).
PROGRESS_THRESHOLD = 200

_PATHS = typer.Argument(
    None,
    help="Charter files or folders (default: rmo.yaml's charters, else charters/).",
    show_default=False,
    metavar="PATH...",
)
_STATUS = typer.Option(
    None,
    "--status",
    help="Only charters with this status (repeatable).",
    show_default=False,
    metavar="STATUS",
)
_PARTY = typer.Option(
    None,
    "--party",
    help="Only charters with this party id (repeatable).",
    show_default=False,
    metavar="PARTY_ID",
)
_MODEL = typer.Option(
    None,
    "--model",
    help="Only charters with this governance model (repeatable).",
    show_default=False,
    metavar="MODEL",
)


def _check_choice(value: str, choices: tuple[str, ...], option: str) -> None:
    if value not in choices:
        fail(f"{option}: {value!r} is not one of {', '.join(choices)}")


def _scan(
    paths: list[str] | None, as_of: dt.date, within: str, cache: bool = True
) -> tuple[list[StatusRow], bool]:
    """Rows of the charters at paths; unreadable files reported on stderr (then exit 1)."""
    from rmo_cli.ops.portfolio import scan
    from rmo_cli.ops.repository import discover

    files = discover(paths or [])
    if sys.stderr.isatty() and len(files) > PROGRESS_THRESHOLD:
        from rich.progress import Progress

        from rmo_cli.cli.common import stderr_console

        # Refreshed by hand, so no thread runs while worker processes are forked.
        with Progress(console=stderr_console(), transient=True, auto_refresh=False) as bar:
            task = bar.add_task("Reading charters", total=len(files))

            def advance(done: int) -> None:
                bar.advance(task, done)
                bar.refresh()

            bar.refresh()
            found = scan(files, as_of, within, advance, cache=cache)
    else:
        found = scan(files, as_of, within, cache=cache)
    for f in found.unreadable:
        typer.echo(str(f), err=True)
    return found.rows, bool(found.unreadable)


def _check_filters(statuses: list[str] | None, models: list[str] | None) -> None:
    from rmo_cli.support.vocabulary import MODELS, STATUSES

    for value in statuses or ():
        _check_choice(value, STATUSES, "--status")
    for value in models or ():
        _check_choice(value, MODELS, "--model")


@app.command()
def status(
    paths: list[str] = _PATHS,
    format: str = typer.Option(
        "table", "--format", "-f", help="table, json or md.", metavar="FORMAT"
    ),
    statuses: list[str] = _STATUS,
    parties: list[str] = _PARTY,
    models: list[str] = _MODEL,
    as_of: str = typer.Option(None, "--as-of", help="Date for review states (default today)."),
    within: str = typer.Option(
        None, "--within", help="Due-soon window, e.g. P30D (default rmo.yaml due_soon)."
    ),
    wide: bool = typer.Option(False, "--wide", help="Table: every column, however wide."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Read every file again; do not read or write the result cache."
    ),
) -> None:
    """Portfolio: one row per charter with sign-off, review and expiry state.

    Columns: id, title, status, governance model, parties, sign-off (parties
    with a valid sign-off, stale ones), review state and next due date, KPI
    states, expiry. The table fits the terminal (or $COLUMNS); --wide shows all.
    Filters combine: --status active --party acme.

    Example: rmo status charters/ --status active --format json
    """
    from rmo_cli.ops.portfolio import filter_rows
    from rmo_cli.reporters.status import status_json, status_markdown

    _check_choice(format, STATUS_FORMATS, "--format")
    _check_filters(statuses, models)
    day = parse_date(as_of, "--as-of") or today()
    window = due_soon_window(within)
    found, unreadable = _scan(paths, day, window, cache=not no_cache)
    rows = filter_rows(found, statuses or (), parties or (), models or ())
    if format == "json":
        typer.echo(jsontext.dumps(status_json(rows, day), indent=2))
    elif format == "md":
        typer.echo(status_markdown(rows, day), nl=False)
    else:
        _print_table(rows, wide)
    if unreadable:
        raise typer.Exit(1)


def _print_table(rows: list[StatusRow], wide: bool) -> None:
    """Aligned columns fitted to the terminal (or $COLUMNS), wrapped at word boundaries."""
    from rmo_cli.reporters.status import status_text

    typer.echo(status_text(rows, table_width(wide), use_colour(sys.stdout)), nl=False)


@app.command()
def graph(
    paths: list[str] = _PATHS,
    format: str = typer.Option(
        "mermaid", "--format", "-f", help="mermaid, dot, svg or json.", metavar="FORMAT"
    ),
    statuses: list[str] = _STATUS,
    parties: list[str] = _PARTY,
    models: list[str] = _MODEL,
) -> None:
    """The relationship network: parties as nodes, one link per charter.

    Parties in several charters are one node (matched by party id). A charter
    links its lead party (else its first party) to each other party, labelled
    with its title and governance model; lead parties are marked. Mermaid
    renders in GitHub Markdown; dot is for Graphviz:
    rmo graph -f dot | dot -Tsvg > network.svg

    Example: rmo graph charters/ --format mermaid > network.mmd
    """
    from rmo_cli.ops.portfolio import filter_rows
    from rmo_cli.ops.portfolio import graph as build_graph
    from rmo_cli.render.graph import graph_svg, to_dot, to_mermaid

    _check_choice(format, GRAPH_FORMATS, "--format")
    _check_filters(statuses, models)
    found, unreadable = _scan(paths, today(), DEFAULT_DUE_SOON)
    network = build_graph(filter_rows(found, statuses or (), parties or (), models or ()))
    if format == "dot":
        typer.echo(to_dot(network), nl=False)
    elif format == "svg":
        typer.echo(graph_svg(network))
    elif format == "json":
        typer.echo(jsontext.dumps(network.as_dict(), indent=2))
    else:
        typer.echo(to_mermaid(network), nl=False)
    if unreadable:
        raise typer.Exit(1)
