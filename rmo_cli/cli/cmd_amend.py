"""`rmo amend`: start an amendment of an agreed charter (SPEC §8)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import parse_date, today


@app.command()
def amend(
    charter: str = typer.Argument(..., help="The charter file to amend.", metavar="CHARTER"),
    summary: str = typer.Option(
        ..., "--summary", "-s", help="What the amendment changes, in one sentence."
    ),
    version: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--version",
        help="The amended version (default: the second number up, 1.2.3 -> 1.3.0).",
        metavar="V",
    ),
    date: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--date",
        help="Date of the amendment record, YYYY-MM-DD (default today).",
        metavar="DATE",
    ),
) -> None:
    """Start an amendment: status under-review, version bumped, amendment recorded.

    The signed version stays in force (sign-offs show as in-force, and check
    warns amendment-pending) until every party signs the amended text. Edits
    the file in place, keeping comments and layout. Refused, file untouched:
    a charter already draft, proposed or under-review (exit 2).

    Example: rmo amend charters/acme-globex.yaml --summary "Tighter on-time delivery target"
    """
    from rmo_cli.ops.amendments import amend_charter
    from rmo_cli.support.errors import RmoError

    path = Path(charter)
    if not path.is_file():
        raise RmoError(
            f"{charter}: no such file" if not path.exists() else f"{charter}: not a file"
        )
    when = parse_date(date, "--date") or today()
    result = amend_charter(path, summary, when, version, file=charter)
    typer.echo(
        f"{charter}: amendment started, version {result.old_version} -> {result.version}, "
        "status under-review"
    )
    typer.echo(
        f"next: edit the charter, commit, review 'rmo render {charter} --redline', "
        "then every party signs again"
    )
