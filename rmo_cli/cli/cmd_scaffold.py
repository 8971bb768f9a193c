"""`rmo init` and `rmo new-charter`: a charter repository and new charters."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Optional, TypeVar

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import today

if TYPE_CHECKING:
    from rich.console import Console

    from rmo_cli.charter.scaffold import Party, Person

T = TypeVar("T")


@app.command("init")
def init_command(
    directory: Path = typer.Argument(
        Path("."),
        help="Folder to make a charter repository (created if missing).",
        show_default=False,
        metavar="DIR",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Replace an existing rmo.yaml, pre-commit config and workflow (never README.md).",
    ),
) -> None:
    """Make a charter repository: rmo.yaml, charters/, editor schema, pre-commit and CI.

    Runs `git init` when DIR is not inside a git repository and sets up readable
    charter diffs (git config diff.rmo.textconv). Running it again keeps the
    files that exist; an rmo.yaml that differs from the default is refused
    (exit 1) unless --force.

    Example: rmo init my-charters
    """
    from rmo_cli.cli.common import warn
    from rmo_cli.ops.new_charter import display_path as _display
    from rmo_cli.ops.scaffold import init_repository

    report = init_repository(directory, force=force)
    root = report.root
    typer.echo(f"Charter repository ready in {_display(root)}")
    for path in report.written:
        suffix = "/" if path.is_dir() else ""
        typer.echo(f"  wrote {_display(path)}{suffix}")
    for path in report.kept:
        suffix = "/" if path.is_dir() else ""
        typer.echo(f"  kept  {_display(path)}{suffix}")
    if report.git_initialised:
        typer.echo("  git init: new repository")
    if report.git_configured:
        typer.echo(
            "  git config diff.rmo.textconv: charter diffs through rmo (plain text without it)"
        )
    for note in report.notes:
        warn(note)
    typer.echo("Next steps:")
    if root.resolve() != Path.cwd().resolve():
        typer.echo(f"  cd {_display(root)}")
    typer.echo("  rmo new-charter          # make your first charter")
    typer.echo("  pre-commit install       # check charters on every commit")


def _ask(console: Console, label: str, check: Callable[[str], T], default: str | None = None) -> T:
    """Prompt until the answer passes check; each refusal says why and asks again."""
    from rich.markup import escape
    from rich.prompt import Prompt

    from rmo_cli.support.errors import RmoError, Suggestion

    while True:
        try:
            answer = Prompt.ask(
                label, console=console, default=default or "", show_default=bool(default)
            )
        except (KeyboardInterrupt, EOFError):
            typer.echo("\nrmo: interrupted; nothing was written", err=True)
            raise typer.Exit(130) from None
        try:
            return check(answer)
        except Suggestion as exc:  # asked again with the corrected value as the default
            console.print(f"[red]✗ {escape(exc.message)}[/red]")
            default = exc.value
        except RmoError as exc:
            console.print(f"[red]✗ {escape(exc.message)}[/red]")


def _ask_parties(console: Console, parties: list[Party]) -> list[Party]:
    from rich.markup import escape

    from rmo_cli.charter.scaffold import Party, check_id, check_text, slugify
    from rmo_cli.support.errors import RmoError

    parties = list(parties)
    while True:
        n = len(parties) + 1
        optional = n > 2
        label = f"Party {n} name" + (" [dim](empty to finish)[/dim]" if optional else "")

        def name_check(value: str, optional: bool = optional) -> str:
            if optional and not value.strip():
                return ""
            return check_text(value, "party name")

        name = _ask(console, label, name_check)
        if not name:
            return parties
        taken = {p.id for p in parties}

        def party_id_check(value: str, taken: set[str] = taken) -> str:
            party_id = check_id(value, "party id")
            if party_id in taken:
                raise RmoError(f"{party_id!r} is already the id of another party")
            return party_id

        party_id = _ask(console, f"Id of {escape(name)}", party_id_check, slugify(name) or None)
        parties.append(Party(party_id, name))


def _ask_governance(console: Console) -> str:
    from rmo_cli.charter.scaffold import check_governance
    from rmo_cli.support.vocabulary import GOVERNANCE_MODELS

    console.print("Governance models:")
    for number, (model, meaning) in enumerate(GOVERNANCE_MODELS.items(), 1):
        console.print(f"  {number}. [bold]{model}[/bold]: {meaning}")
    return _ask(console, "Governance model (name or number)", check_governance)


class _Prompter:
    """The questions of `rmo new-charter` on a terminal (ops.new_charter.Prompter)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def start(self) -> None:
        """Say that questions follow."""
        self.console.print(
            "[bold]New relationship charter[/bold] (Ctrl-C to stop, nothing is written)"
        )

    def ask(self, label: str, check: Callable[[str], T], default: str | None = None) -> T:
        """Ask until the answer passes check."""
        return _ask(self.console, label, check, default)

    def ask_parties(self, parties: list[Party]) -> list[Party]:
        """Ask for more parties, after those given."""
        return _ask_parties(self.console, parties)

    def ask_governance(self) -> str:
        """Ask for the governance model."""
        return _ask_governance(self.console)

    def ask_lead_party(
        self, parties: list[Party], check: Callable[[str], str | None]
    ) -> str | None:
        """Ask for the lead party, one of parties."""
        ids = "/".join(p.id for p in parties)
        return _ask(self.console, f"Lead party [dim]({ids})[/dim]", check, parties[0].id)

    def ask_representative(self, party: Party, taken: set[str]) -> Person | None:
        """Ask for the party's representative (name, then email), or None to skip."""
        from rich.markup import escape

        from rmo_cli.charter.scaffold import Person, check_email, check_text, person_id

        def name_check(value: str) -> str:
            return check_text(value, "name") if value.strip() else ""

        name = _ask(
            self.console,
            f"Representative of {escape(party.name)}, who signs for it "
            "[dim](full name; empty to add later)[/dim]",
            name_check,
        )
        if not name:
            return None
        email = _ask(
            self.console,
            f"Email of {escape(name)} [dim](the sign-off needs one)[/dim]",
            check_email,
        )
        return Person(person_id(name, taken), name, email)

    def refused(self, message: str) -> None:
        """Say why a value was refused before asking for it again."""
        from rich.markup import escape

        self.console.print(f"[red]✗ {escape(message)}[/red]")


@app.command("new-charter")
def new_charter(
    title: Optional[str] = typer.Option(None, "--title", help="The charter's title."),  # noqa: UP045
    charter_id: Optional[str] = typer.Option(  # noqa: UP045
        None, "--id", help="The charter id, a slug (default: the slug of the title)."
    ),
    party: Optional[list[str]] = typer.Option(  # noqa: UP045
        None,
        "--party",
        metavar="ID=NAME",
        help="A party, as ID=NAME (or NAME, whose slug is the id); repeat, at least two.",
    ),
    governance: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--governance",
        metavar="MODEL",
        help="Governance model: market, network, quasi-hierarchy or hierarchy.",
    ),
    lead_party: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--lead-party",
        metavar="ID",
        help="The lead party's id (required for quasi-hierarchy and hierarchy).",
    ),
    review_every: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--review-every",
        metavar="CADENCE",
        help='Review cadence: P6M (default), P1Y, "6 months"... or monthly, quarterly, annual.',
    ),
    effective: Optional[str] = typer.Option(  # noqa: UP045
        None, "--effective", metavar="DATE", help="Effective date, YYYY-MM-DD (default today)."
    ),
    representative: Optional[list[str]] = typer.Option(  # noqa: UP045
        None,
        "--representative",
        metavar='PARTY="NAME <EMAIL>"',
        help="The person who signs for a party, with their email; repeat for each party.",
    ),
    purpose: Optional[str] = typer.Option(  # noqa: UP045
        None, "--purpose", help="Why the parties work together, in a sentence."
    ),
    directory: Optional[Path] = typer.Option(  # noqa: UP045
        None,
        "--dir",
        metavar="DIR",
        help="Folder for the new file (default: the repository's charters folder).",
    ),
    source: Optional[Path] = typer.Option(  # noqa: UP045
        None,
        "--from",
        metavar="CHARTER",
        help="Start from an existing charter: new id, version 0.1.0, draft, no sign-offs.",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    no_input: bool = typer.Option(
        False, "--no-input", help="Never prompt: take every value from the flags."
    ),
) -> None:
    """Create a new draft charter that passes `rmo validate`, by prompts or by flags.

    On a terminal it asks for each value not given as a flag and checks every
    answer as it is typed. With --no-input, or when input is not a terminal, only
    the flags are used: --title, two or more --party, --governance (and
    --lead-party for a quasi-hierarchy or hierarchy) are then required.

    A wrong answer is explained and asked again; where rmo can tell what was
    meant (an id with capitals, a misspelt model, an id whose file exists) it
    offers the corrected value as the new default. Each party's representative
    (the person who signs for it: name and email) and the purpose are asked for
    too, and may be left for later.

    Example: rmo new-charter --no-input --title "Acme Globex Alliance"
    --party acme=ACME --party globex="Globex Ltd" --governance network
    --representative acme="Jane Doe <jane@acme.example>"
    """

    from rmo_cli.cli.common import stderr_console, warn
    from rmo_cli.ops.new_charter import NewCharterRequest, create_charter, display_path

    interactive = not no_input and sys.stdin.isatty()
    request = NewCharterRequest(
        title=title,
        charter_id=charter_id,
        parties=list(party or []),
        governance=governance,
        lead_party=lead_party,
        review_every=review_every,
        effective=effective,
        representatives=list(representative or []),
        purpose=purpose,
        directory=directory,
        source=source,
        force=force,
    )
    made = create_charter(request, _Prompter(stderr_console()) if interactive else None, today)
    shown = display_path(made.path)
    typer.echo(f"Created {shown}")
    if made.outside_globs is not None:
        warn(
            f"{shown} is not matched by the charters globs of {display_path(made.outside_globs)}, "
            "so rmo validate without paths will not check it; move it or add a glob"
        )
    for extra in made.written[1:]:
        typer.echo(f"Created {display_path(extra)} (the schema your editor checks charters with)")
    typer.echo("Next steps:")
    typer.echo("  1. Fill it in with your editor; uncomment the example sections you need.")
    typer.echo(f"  2. rmo validate {shown}")
    typer.echo(f"  3. rmo render {shown} --to html -o {made.charter_id}.html   # share the draft")
    typer.echo(f"  4. When agreed, set status: active and rmo sign {shown} --person PERSON_ID")
