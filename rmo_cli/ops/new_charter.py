"""`rmo new-charter` as one operation: flags checked, missing answers asked, the file written.

The questions themselves belong to the interface: it passes a `Prompter` (None when there
is no terminal or with --no-input, and then every value must come from a flag). Errors
about a flag name it (`--party: ...`), since they are the answer to what the user typed.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from rmo_cli.ops import scaffold
from rmo_cli.support.errors import RmoError, Suggestion
from rmo_cli.support.ids import MAX_ID
from rmo_cli.support.vocabulary import LEAD_MODELS

T = TypeVar("T")


class Prompter(Protocol):
    """How the interface asks for what the flags did not give (see cli/cmd_scaffold.py)."""

    def start(self) -> None:
        """Say that questions follow."""

    def ask(self, label: str, check: Callable[[str], T], default: str | None = None) -> T:
        """Ask until the answer passes check."""
        ...

    def ask_parties(self, parties: list[scaffold.Party]) -> list[scaffold.Party]:
        """Ask for more parties, after those given."""
        ...

    def ask_governance(self) -> str:
        """Ask for the governance model."""
        ...

    def ask_lead_party(
        self, parties: list[scaffold.Party], check: Callable[[str], str | None]
    ) -> str | None:
        """Ask for the lead party, one of parties."""
        ...

    def ask_representative(self, party: scaffold.Party, taken: set[str]) -> scaffold.Person | None:
        """Ask for the party's representative (name, then email), or None to skip."""
        ...

    def refused(self, message: str) -> None:
        """Say why a value was refused before asking for it again."""


@dataclass
class NewCharterRequest:
    """The flags of `rmo new-charter`, as typed (None: not given)."""

    title: str | None = None
    charter_id: str | None = None
    parties: list[str] = field(default_factory=list)
    governance: str | None = None
    lead_party: str | None = None
    review_every: str | None = None
    effective: str | None = None
    representatives: list[str] = field(default_factory=list)  # PARTY="Full Name <email>"
    purpose: str | None = None
    directory: Path | None = None
    source: Path | None = None
    force: bool = False


@dataclass
class NewCharter:
    """What was made: the charter's path and id, every file written (the charter first),
    and the rmo.yaml whose charters globs do not match the new file, if any."""

    path: Path
    charter_id: str
    written: list[Path]
    outside_globs: Path | None


def display_path(path: Path) -> str:
    """A path as the user reads it: relative to the current folder when below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _flag(option: str, check: Callable[..., T], *args: Any) -> T:
    """Run a check on a flag's value; its error names the flag (exit 2)."""
    try:
        return check(*args)
    except RmoError as exc:
        # A flag is not asked again: an offered value is only advice in the message.
        kind = RmoError if isinstance(exc, Suggestion) else type(exc)
        raise kind(f"{option}: {exc.message}") from None


def id_check(charters_dir: Path, force: bool) -> Callable[[str], str]:
    """The check of a new charter id: a safe slug, not taken, no file in the way."""

    def taken(charter_id: str) -> str | None:
        """Why the id cannot be used (its file exists, another charter has it), or None."""
        path = charters_dir / f"{charter_id}.yaml"
        try:
            scaffold.check_new_file(path, force)
        except RmoError as exc:
            return exc.message
        other = scaffold.id_in_use(charters_dir, charter_id, path)
        if other is not None:
            return f"the id {charter_id!r} is already used by {display_path(other)}"
        return None

    def check(value: str) -> str:
        charter_id = scaffold.check_id(value, shortest=2)  # the charter schema's 2 to 64
        reason = taken(charter_id)
        if reason is None:
            return charter_id
        base = charter_id[: MAX_ID - 4].rstrip("-")
        for n in range(2, 100):  # the first free id, offered as the new default
            free = f"{base}-{n}"
            if taken(free) is None:
                raise Suggestion(f"{reason}; or choose another id, such as {free!r}", free)
        raise RmoError(reason)

    return check


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
    parties: list[scaffold.Party],
    governance: str | None,
    lead_party: str | None,
) -> list[str]:
    """The required flags a run without prompts lacks, each named as the user types it."""
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


def _refuse_with_source(request: NewCharterRequest) -> None:
    """--from takes parties and governance from the source: those flags are refused."""
    if request.source is None:
        return
    given = [
        name
        for name, value in (
            ("--party", request.parties),
            ("--governance", request.governance),
            ("--lead-party", request.lead_party),
            ("--representative", request.representatives),
            ("--purpose", request.purpose),
        )
        if value
    ]
    if given:
        raise RmoError(
            f"{', '.join(given)} cannot be used with --from: the parties, people, purpose "
            f"and governance come from {request.source}; edit the new file to change them"
        )


@dataclass
class _Answers:
    """The flags, checked; None where not given."""

    title: str | None
    parties: list[scaffold.Party]
    governance: str | None
    lead_party: str | None
    review_every: str | None
    effective: dt.date | None
    purpose: str | None = None


def _check_flags(request: NewCharterRequest, interactive: bool) -> _Answers:
    """Every flag given is checked first, so a bad one fails before any question."""
    title = request.title
    if title is not None:
        title = _flag("--title", scaffold.check_text, title, "title")
    parties = [_flag("--party", scaffold.parse_party, spec) for spec in request.parties]
    governance = request.governance
    if governance is not None:
        governance = _flag("--governance", scaffold.check_governance, governance)
    review_every = request.review_every
    if review_every is not None:
        review_every = _flag("--review-every", scaffold.check_cadence, review_every)
    when = None
    if request.effective is not None:
        when = _flag("--effective", scaffold.check_date, request.effective)
    if parties and (len(parties) >= 2 or not interactive):
        parties = _flag("--party", scaffold.check_parties, parties)
    purpose = request.purpose
    if purpose is not None:
        purpose = _flag("--purpose", scaffold.check_text, purpose, "purpose")
    return _Answers(title, parties, governance, request.lead_party, review_every, when, purpose)


def _representatives(
    prompter: Prompter | None, specs: list[str], parties: list[scaffold.Party]
) -> dict[str, scaffold.Person]:
    """Each party's representative: from --representative, else asked (skippable)."""
    reps: dict[str, scaffold.Person] = {}
    for spec in specs:
        taken = {p.id for p in reps.values()}
        party_id, person = _flag(
            "--representative", scaffold.parse_representative, spec, parties, taken
        )
        if party_id in reps:
            raise RmoError(f"--representative: {party_id} is given twice; give one each")
        reps[party_id] = person
    if prompter is not None:
        for party in parties:
            if party.id not in reps:
                asked = prompter.ask_representative(party, {p.id for p in reps.values()})
                if asked is not None:
                    reps[party.id] = asked
    return reps


def _charters_dir(directory: Path | None) -> Path:
    """--dir, else the repository's charters folder (rmo.yaml), else ./charters."""
    from rmo_cli.ops.repository import load_config

    if directory is not None:
        return directory
    config = load_config()
    return config.charters_dir if config.file is not None else Path("charters")


def _complete_spec(
    prompter: Prompter | None,
    answers: _Answers,
    title: str,
    charter_id: str,
    as_of: dt.date,
    specs: list[str],
) -> scaffold.CharterSpec:
    """The new charter's answers: the flags given, the rest asked (or defaults without a tty)."""
    parties, governance, lead_party = answers.parties, answers.governance, answers.lead_party
    if prompter is not None and len(parties) < 2:
        parties = scaffold.check_parties(prompter.ask_parties(parties))
    if governance is None:
        assert prompter is not None  # without prompts, a missing flag was refused
        governance = prompter.ask_governance()
    model = governance
    if lead_party is not None:
        try:
            lead_party = _flag(
                "--lead-party", scaffold.check_lead_party, lead_party, parties, model
            )
        except RmoError as exc:
            if prompter is None:
                raise
            # Keep the answers already typed: say why, then ask for the lead party.
            prompter.refused(exc.message)
            lead_party = None
    if lead_party is None and model in LEAD_MODELS:
        assert prompter is not None
        lead_party = prompter.ask_lead_party(
            parties, lambda v: scaffold.check_lead_party(v, parties, model)
        )
    review_every = answers.review_every
    if review_every is None:
        review_every = scaffold.DEFAULT_REVIEW
        if prompter is not None:
            review_every = prompter.ask(
                "Review every", scaffold.check_cadence, scaffold.DEFAULT_REVIEW
            )
    effective = answers.effective
    if effective is None:
        effective = as_of
        if prompter is not None:
            effective = prompter.ask("Effective date", scaffold.check_date, as_of.isoformat())
    representatives = _representatives(prompter, specs, parties)
    purpose = answers.purpose
    if purpose is None and prompter is not None:
        purpose = (
            prompter.ask(
                "Purpose, in a sentence [dim](empty to write it later)[/dim]", _optional_text
            )
            or None
        )
    return scaffold.CharterSpec(
        title=title,
        id=charter_id,
        parties=parties,
        governance=model,
        effective=effective,
        lead_party=lead_party,
        review_every=review_every,
        representatives=representatives,
        purpose=purpose,
    )


def _optional_text(value: str) -> str:
    """One line of text, or "" (skipped)."""
    return scaffold.check_text(value, "purpose") if value.strip() else ""


def create_charter(
    request: NewCharterRequest, prompter: Prompter | None, clock: Callable[[], dt.date]
) -> NewCharter:
    """Check the flags, ask for the rest (when prompter), write the new draft charter.

    clock gives the as-of date (read once the answers are in, as before any prompt).
    """
    interactive = prompter is not None
    source = request.source
    _refuse_with_source(request)
    answers = _check_flags(request, interactive)
    charters_dir = _charters_dir(request.directory)
    check = id_check(charters_dir, request.force)
    charter_id = request.charter_id
    if charter_id is not None:
        charter_id = _flag("--id", check, charter_id)
    if source is not None and not source.is_file():
        raise RmoError(f"--from {source}: no such file")
    title = answers.title
    if prompter is None:
        missing = _missing_flags(
            source, title, charter_id, answers.parties, answers.governance, answers.lead_party
        )
        if missing:
            raise RmoError(
                f"missing {', '.join(missing)}; without a terminal (or with --no-input) every "
                "value comes from a flag, see rmo new-charter --help"
            )
    else:
        prompter.start()
    if title is None and (source is None or interactive):
        assert prompter is not None  # without prompts, a missing --title was refused
        title = prompter.ask(
            "Title",
            lambda v: scaffold.check_text(v, "title"),
            _source_title(source) if source is not None else None,
        )
    if charter_id is None:
        default_id = scaffold.slugify(title or "")
        if prompter is not None:
            charter_id = prompter.ask("Charter id", check, default_id or None)
        else:
            if not default_id:
                raise RmoError(f"--title: cannot make an id from {title!r}; give --id")
            charter_id = _flag("--id", check, default_id)

    path = charters_dir / f"{charter_id}.yaml"
    root = scaffold.schema_root(charters_dir)
    reference = scaffold.schema_reference(path, root / scaffold.SCHEMA_FILE)
    as_of = clock()
    if source is not None:
        text = scaffold.charter_from(
            source,
            new_id=charter_id,
            schema_ref=reference,
            title=title,
            effective=answers.effective,
            review_every=answers.review_every,
        )
    else:
        assert title is not None
        spec = _complete_spec(prompter, answers, title, charter_id, as_of, request.representatives)
        text = scaffold.charter_text(spec, reference, today=as_of)
    written = scaffold.write_new_charter(path, text, force=request.force, as_of=as_of)
    return NewCharter(path, charter_id, written, scaffold.outside_repository_globs(path))
