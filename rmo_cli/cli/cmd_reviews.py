"""`rmo reviews` and `rmo record-review`."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Optional

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import (
    PATHS_HELP,
    due_soon_window,
    parse_date,
    table_width,
    today,
    use_colour,
)


class ReviewsFormat(str, Enum):
    """Output formats of `rmo reviews`."""

    table = "table"
    json = "json"
    md = "md"
    ics = "ics"


class FailOn(str, Enum):
    """States that make `rmo reviews` exit 1."""

    overdue = "overdue"
    due_soon = "due-soon"


class Outcome(str, Enum):
    """Outcomes of a review (the schema's enum)."""

    affirmed = "affirmed"
    amended = "amended"
    renewed = "renewed"
    escalated = "escalated"
    terminated = "terminated"


@app.command()
def reviews(
    paths: Optional[list[str]] = typer.Argument(  # noqa: UP045
        None, help=PATHS_HELP, show_default=False, metavar="PATH..."
    ),
    as_of: Optional[str] = typer.Option(  # noqa: UP045
        None, "--as-of", metavar="DATE", help="Judge reviews as of this day (default today)."
    ),
    within: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--within",
        metavar="DURATION",
        help="Due-soon window, e.g. P30D or P2W (default rmo.yaml due_soon, else P30D).",
    ),
    format: ReviewsFormat = typer.Option(
        ReviewsFormat.table, "--format", "-f", help="Output format."
    ),
    fail_on: Optional[list[FailOn]] = typer.Option(  # noqa: UP045
        None,
        "--fail-on",
        help="Exit 1 when a review is overdue (or expired), or with due-soon also when one is "
        "due soon (or expiring).",
    ),
    wide: bool = typer.Option(False, "--wide", help="Table: every column, however wide."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Read every file again; do not read or write the result cache."
    ),
) -> None:
    """Show the review state of charters: overdue, due soon, ok or not scheduled.

    Overdue first (most overdue first), then due soon, then ok; then expired and expiring.

    --format ics: a calendar to subscribe to, one all-day event per review, alarm 7 days before.

    Exit 1 when a state named by --fail-on is found, or when a file can't be read.

    Example: rmo reviews charters --as-of 2026-12-01 --within P6W --fail-on overdue
    """
    from rmo_cli.charter.reviews import failing_reasons
    from rmo_cli.ops.repository import discover
    from rmo_cli.ops.reviews import review_files
    from rmo_cli.reporters.reviews import FORMATTERS, format_table

    when = parse_date(as_of, "--as-of") or today()
    span = due_soon_window(within)  # a bad --within is a usage error before any file is read
    entries, unreadable = review_files(discover(paths or []), when, span, cache=not no_cache)
    for f in unreadable:  # reported like every command reports a file it can't read
        typer.echo(str(f), err=True)
    fmt = format.value
    if fmt == "table":
        width = table_width(wide)
        text = format_table(entries, when, span, colour=use_colour(sys.stdout), width=width)
    elif fmt == "ics":
        # Charters named by their place in their repository, never by a local path.
        from dataclasses import replace
        from pathlib import Path

        from rmo_cli.ops.repository import repository_path

        named = [replace(e, file=repository_path(Path(e.file))) for e in entries]
        text = FORMATTERS[fmt](named, when, span)
    else:
        text = FORMATTERS[fmt](entries, when, span)
    if fmt == "ics":
        sys.stdout.buffer.write(text.encode("utf-8"))  # keep CRLF exactly
        sys.stdout.flush()
    else:
        typer.echo(text, nl=False)
    if not entries and not unreadable:
        typer.echo("rmo: warning: no charter files found", err=True)
    chosen = [f.value for f in fail_on or []]
    failing = [r for r in (failing_reasons(e.review, chosen) for e in entries) if r]
    if failing:
        option = "due-soon" if "due-soon" in chosen else "overdue"
        typer.echo(f"rmo: {_failing_summary(failing, option)}", err=True)
    if failing or unreadable:
        raise typer.Exit(1)


def _failing_summary(failing: list[list[str]], option: str) -> str:
    """'2 charters fail --fail-on due-soon: 1 review overdue, 1 charter expiring; …'."""
    from collections import Counter

    counts = Counter(reason for reasons in failing for reason in reasons)
    noun = "charter fails" if len(failing) == 1 else "charters fail"
    parts = ", ".join(f"{n} {what}" for what, n in counts.items())
    return (
        f"{len(failing)} {noun} --fail-on {option}: {parts}; after a review run "
        "`rmo record-review CHARTER --reviewer ID --outcome OUTCOME`"
    )


@app.command("record-review")
def record_review(
    charter: str = typer.Argument(..., help="The charter file reviewed.", show_default=False),
    reviewer: list[str] = typer.Option(
        ...,
        "--reviewer",
        "-r",
        metavar="ID",
        help="Person id of a reviewer (repeat for each); must be one of the charter's people.",
        show_default=False,
    ),
    outcome: Outcome = typer.Option(
        ..., "--outcome", help="The result of the review.", show_default=False
    ),
    date: Optional[str] = typer.Option(  # noqa: UP045
        None, "--date", metavar="DATE", help="The day of the review (default today; not later)."
    ),
    notes: Optional[str] = typer.Option(  # noqa: UP045
        None, "--notes", help="What the review discussed or decided (Markdown allowed)."
    ),
) -> None:
    """Record a completed review: append to review.log and set review.last_reviewed.

    Also removes a review.next_due on or before the review date (the cadence takes over).

    The rest of the file keeps its comments, order and quoting; the write is atomic.

    Refused, file untouched: an unknown reviewer, a future date, a date before
    term.effective, a review already recorded (exit 2); a charter that cannot be read or
    has no usable review section (exit 1). Sign-offs stay valid (review fields are not signed).

    Example: rmo record-review charters/acme-globex.yaml -r jdoe -r rsmith --outcome affirmed
    """
    from pathlib import Path

    from rmo_cli.charter.reviews import days_in_words, review_status
    from rmo_cli.ops.reviews import record_review
    from rmo_cli.support.dates import date_in_words

    now = today()
    when = parse_date(date, "--date") or now
    done = record_review(
        Path(charter),
        date=when,
        reviewers=reviewer,
        outcome=outcome.value,
        notes=notes,
        today=now,
        file=charter,
    )
    who = ", ".join(done.reviewers)
    typer.echo(
        f"Recorded the review of {done.file} on {date_in_words(done.date.isoformat())} "
        f"({done.outcome}, by {who})."
    )
    if done.removed_next_due is not None:
        typer.echo(f"Removed review.next_due {done.removed_next_due} (now passed).")
    status = review_status(done.data, now)
    if status.next_due is not None:
        typer.echo(
            f"Next review due {status.next_due} ({days_in_words(status.days)}); "
            "commit the change to keep the review in history."
        )
