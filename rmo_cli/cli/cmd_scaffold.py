"""`rmo init` and `rmo new-charter`: a charter repository and new charters."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, TypeVar

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import today

if TYPE_CHECKING:
    from rich.console import Console

    from rmo_cli.ops.scaffold import CharterSpec, Party

T = TypeVar("T")


def _display(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


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


def _flag(option: str, check: Callable[..., T], *args: Any) -> T:
    """Run a check on a flag's value; its error names the flag (exit 2)."""
    from rmo_cli.support.errors import RmoError

    try:
        return check(*args)
    except RmoError as exc:
        raise type(exc)(f"{option}: {exc.message}") from None


def _ask(console: Console, label: str, check: Callable[[str], T], default: str | None = None) -> T:
    """Prompt until the answer passes check; each refusal says why and asks again."""
    from rich.markup import escape
    from rich.prompt import Prompt

    from rmo_cli.support.errors import RmoError

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
        except RmoError as exc:
            console.print(f"[red]✗ {escape(exc.message)}[/red]")


def _id_check(charters_dir: Path, force: bool) -> Callable[[str], str]:
    """The check of a new charter id: a safe slug, not taken, no file in the way."""
    from rmo_cli.ops.scaffold import check_id, check_new_file, id_in_use

    def check(value: str) -> str:
        from rmo_cli.support.errors import RmoError

        charter_id = check_id(value, shortest=2)  # the charter schema's 2 to 64
        path = charters_dir / f"{charter_id}.yaml"
        check_new_file(path, force)
        other = id_in_use(charters_dir, charter_id, path)
        if other is not None:
            raise RmoError(f"the id {charter_id!r} is already used by {_display(other)}")
        return charter_id

    return check


def _ask_parties(console: Console, parties: list[Party]) -> list[Party]:
    from rich.markup import escape

    from rmo_cli.ops.scaffold import Party, check_id, check_text, slugify
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
    from rmo_cli.ops.scaffold import check_governance
    from rmo_cli.support.vocabulary import GOVERNANCE_MODELS

    console.print("Governance models:")
    for number, (model, meaning) in enumerate(GOVERNANCE_MODELS.items(), 1):
        console.print(f"  {number}. [bold]{model}[/bold]: {meaning}")
    return _ask(console, "Governance model (name or number)", check_governance)


def _source_title(source: Path) -> str | None:
    """The title of the charter --from starts with, the default answer for the new title."""
    from rmo_cli.charter.loading import read_charter

    document = read_charter(source).document
    title = document.data.get("title") if document and isinstance(document.data, dict) else None
    return title if isinstance(title, str) else None


def _missing_flags(
    source: Path | None,
    title: str | None,
    charter_id: str | None,
    parties: list[Party],
    governance: str | None,
    lead_party: str | None,
) -> list[str]:
    """The required flags a run without prompts lacks, each named as the user types it."""
    from rmo_cli.support.vocabulary import LEAD_MODELS

    if source is not None:
        if title is None and charter_id is None:
            return ["--id (or --title, whose slug becomes the id)"]
        return []
    missing: list[str] = []
    if title is None:
        missing.append("--title")
    if len(parties) < 2:
        missing.append(f"--party (at least two, as ID=NAME; {len(parties)} given)")
    if governance is None:
        missing.append("--governance")
    elif governance in LEAD_MODELS and lead_party is None:
        missing.append(f"--lead-party (a {governance} needs one)")
    return missing


def _complete_spec(
    console: Console,
    interactive: bool,
    title: str,
    charter_id: str,
    parties: list[Party],
    governance: str | None,
    lead_party: str | None,
    review_every: str | None,
    effective: dt.date | None,
    as_of: dt.date,
) -> CharterSpec:
    """The new charter's answers: the flags given, the rest asked (or defaults without a tty)."""
    from rich.markup import escape

    from rmo_cli.ops.scaffold import (
        DEFAULT_REVIEW,
        CharterSpec,
        check_cadence,
        check_date,
        check_lead_party,
        check_parties,
    )
    from rmo_cli.support.errors import RmoError
    from rmo_cli.support.vocabulary import LEAD_MODELS

    if interactive and len(parties) < 2:
        parties = check_parties(_ask_parties(console, parties))
    if governance is None:
        governance = _ask_governance(console)
    model = governance
    if lead_party is not None:
        try:
            lead_party = _flag("--lead-party", check_lead_party, lead_party, parties, model)
        except RmoError as exc:
            if not interactive:
                raise
            # Keep the answers already typed: say why, then ask for the lead party.
            console.print(f"[red]✗ {escape(exc.message)}[/red]")
            lead_party = None
    if lead_party is None and model in LEAD_MODELS:
        ids = "/".join(p.id for p in parties)
        lead_party = _ask(
            console,
            f"Lead party [dim]({ids})[/dim]",
            lambda v: check_lead_party(v, parties, model),
            parties[0].id,
        )
    if review_every is None:
        review_every = DEFAULT_REVIEW
        if interactive:
            review_every = _ask(console, "Review every", check_cadence, DEFAULT_REVIEW)
    if effective is None:
        effective = as_of
        if interactive:
            effective = _ask(console, "Effective date", check_date, as_of.isoformat())
    return CharterSpec(
        title=title,
        id=charter_id,
        parties=parties,
        governance=model,
        effective=effective,
        lead_party=lead_party,
        review_every=review_every,
    )


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
        help="Review cadence: P6M (default), P1Y, P3M... or monthly, quarterly, annual.",
    ),
    effective: Optional[str] = typer.Option(  # noqa: UP045
        None, "--effective", metavar="DATE", help="Effective date, YYYY-MM-DD (default today)."
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

    Example: rmo new-charter --no-input --title "Acme Globex Alliance"
    --party acme=ACME --party globex="Globex Ltd" --governance network
    """

    from rmo_cli.cli.common import stderr_console, warn
    from rmo_cli.ops.repository import load_config
    from rmo_cli.ops.scaffold import (
        SCHEMA_FILE,
        charter_from,
        charter_text,
        check_cadence,
        check_date,
        check_governance,
        check_parties,
        check_text,
        outside_repository_globs,
        parse_party,
        schema_reference,
        schema_root,
        slugify,
        write_new_charter,
    )
    from rmo_cli.support.errors import RmoError

    interactive = not no_input and sys.stdin.isatty()
    if source is not None:
        given = [
            name
            for name, value in (
                ("--party", party),
                ("--governance", governance),
                ("--lead-party", lead_party),
            )
            if value
        ]
        if given:
            raise RmoError(
                f"{', '.join(given)} cannot be used with --from: the parties and governance "
                f"come from {source}; edit the new file to change them"
            )
    # Every flag given is checked first, so a bad one fails before any question.
    if title is not None:
        title = _flag("--title", check_text, title, "title")
    parties = [_flag("--party", parse_party, spec) for spec in party or []]
    if governance is not None:
        governance = _flag("--governance", check_governance, governance)
    if review_every is not None:
        review_every = _flag("--review-every", check_cadence, review_every)
    when = _flag("--effective", check_date, effective) if effective is not None else None
    if parties and (len(parties) >= 2 or not interactive):
        parties = _flag("--party", check_parties, parties)

    if directory is not None:
        charters_dir = directory
    else:
        config = load_config()
        charters_dir = config.charters_dir if config.file is not None else Path("charters")
    id_check = _id_check(charters_dir, force)
    if charter_id is not None:
        charter_id = _flag("--id", id_check, charter_id)
    if source is not None and not source.is_file():
        raise RmoError(f"--from {source}: no such file")

    if not interactive:
        missing = _missing_flags(source, title, charter_id, parties, governance, lead_party)
        if missing:
            raise RmoError(
                f"missing {', '.join(missing)}; without a terminal (or with --no-input) every "
                "value comes from a flag, see rmo new-charter --help"
            )

    console = stderr_console()
    if interactive:
        console.print("[bold]New relationship charter[/bold] (Ctrl-C to stop, nothing is written)")
    if title is None and (source is None or interactive):
        title = _ask(
            console,
            "Title",
            lambda v: check_text(v, "title"),
            _source_title(source) if source is not None else None,
        )
    if charter_id is None:
        default_id = slugify(title or "")
        if interactive:
            charter_id = _ask(console, "Charter id", id_check, default_id or None)
        else:
            if not default_id:
                raise RmoError(f"--title: cannot make an id from {title!r}; give --id")
            charter_id = _flag("--id", id_check, default_id)

    path = charters_dir / f"{charter_id}.yaml"
    root = schema_root(charters_dir)
    reference = schema_reference(path, root / SCHEMA_FILE)
    as_of = today()
    if source is not None:
        text = charter_from(
            source,
            new_id=charter_id,
            schema_ref=reference,
            title=title,
            effective=when,
            review_every=review_every,
        )
    else:
        assert title is not None
        spec = _complete_spec(
            console,
            interactive,
            title,
            charter_id,
            parties,
            governance,
            lead_party,
            review_every,
            when,
            as_of,
        )
        text = charter_text(spec, reference, today=as_of)
    written = write_new_charter(path, text, force=force, as_of=as_of)
    shown = _display(path)
    typer.echo(f"Created {shown}")
    config_file = outside_repository_globs(path)
    if config_file is not None:
        warn(
            f"{shown} is not matched by the charters globs of {_display(config_file)}, so "
            "rmo validate without paths will not check it; move it or add a glob"
        )
    for extra in written[1:]:
        typer.echo(f"Created {_display(extra)} (the schema your editor checks charters with)")
    typer.echo("Next steps:")
    typer.echo("  1. Fill it in with your editor; uncomment the example sections you need.")
    typer.echo(f"  2. rmo validate {shown}")
    typer.echo(f"  3. rmo render {shown} --to html -o {charter_id}.html   # share the draft")
    typer.echo(f"  4. When agreed, set status: active and rmo sign {shown} --person PERSON_ID")
