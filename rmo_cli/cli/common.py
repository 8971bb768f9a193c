"""Helpers shared by command modules: consoles, dates, formats and turning results into exits."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import TYPE_CHECKING, NoReturn

import typer

from rmo_cli.cli.exits import EXIT_FINDINGS, EXIT_USAGE
from rmo_cli.support.errors import RefusedError, RmoError
from rmo_cli.support.escape import terminal_text

if TYPE_CHECKING:
    from rich.console import Console

    from rmo_cli.charter.loading import Document


PATHS_HELP = "Charter files or folders (default: rmo.yaml's charters, else ./charters)."


def stderr_console() -> Console:
    """A rich console on stderr: colour only on a terminal and never with NO_COLOR."""
    from rich.console import Console

    return Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")), highlight=False)


def stdout_console() -> Console:
    """A rich console on stdout, with the same colour rules."""
    from rich.console import Console

    return Console(no_color=bool(os.environ.get("NO_COLOR")), highlight=False, soft_wrap=True)


def printable(text: str) -> str:
    """Text from a charter or git, safe for a terminal: control characters as `\\x1b`,
    bidi controls and invisible characters as `\\u202e`.

    An escape sequence in a charter's text must not retitle, recolour or clear the
    terminal of whoever reads `rmo diff`, nor a bidi override reorder what it shows.
    """
    return terminal_text(text)


def use_colour(stream: object = None) -> bool:
    """True when output to stream (default stdout) may be coloured."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def error(message: str) -> None:
    """Print one error line on stderr."""
    typer.echo(f"rmo: error: {message}", err=True)


def warn(message: str) -> None:
    """Print one warning line on stderr."""
    typer.echo(f"rmo: warning: {message}", err=True)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Stop the command with a message and an exit code (1 or 2; raises RmoError)."""
    raise (RefusedError if code == EXIT_FINDINGS else RmoError)(message)


def due_soon_window(within: str | None) -> str:
    """The due-soon window: --within, else rmo.yaml's due_soon; a bad one is exit 2."""
    from rmo_cli.charter.reviews import window
    from rmo_cli.ops.repository import load_config

    span = within if within is not None else load_config().due_soon
    window(span)
    return span


def parse_date(value: str | None, option: str) -> dt.date | None:
    """An ISO date from an option, or a usage error naming the option."""
    if value is None:
        return None
    from rmo_cli.support.dates import read_date

    try:
        return read_date(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date; use YYYY-MM-DD")


def today() -> dt.date:
    """The as-of date when none is given (the only place that reads the clock)."""
    override = os.environ.get("RMO_TODAY")
    if override:
        from rmo_cli.support.dates import read_date

        try:
            return read_date(override)
        except ValueError:
            fail(f"RMO_TODAY={override!r} is not a date; use YYYY-MM-DD or unset it")
    return dt.date.today()


def read_charters(paths: list[str] | None) -> tuple[list[Document], bool]:
    """Discover and read charters; unreadable ones are reported on stderr and skipped.

    Returns the readable documents and whether any file could not be read (exit 1 later).
    """
    from rmo_cli.ops.repository import discover
    from rmo_cli.ops.validation import read_files

    documents: list[Document] = []
    unreadable = False
    for loaded in read_files(discover(paths or [])):
        if loaded.document is None:
            unreadable = True
            for f in loaded.findings:
                typer.echo(str(f), err=True)
        else:
            documents.append(loaded.document)
    return documents, unreadable


def table_width(wide: bool = False) -> int | None:
    """Columns a table may take: None with --wide; else $COLUMNS when set, else the
    terminal's width (of stdout, stderr or stdin, so a piped table fits too), else 100."""
    if wide:
        return None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), 20)
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        try:
            return max(os.get_terminal_size(stream.fileno()).columns, 20)
        except (OSError, ValueError, AttributeError):
            continue
    return 100
