"""`rmo diff`, `rmo log` and the hidden `rmo textconv` (git's diff driver for charters)."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import fail, printable, use_colour
from rmo_cli.cli.exits import EXIT_FINDINGS
from rmo_cli.support import jsontext

if TYPE_CHECKING:
    from rmo_cli.charter.diff import CharterDiff, Describer
    from rmo_cli.charter.loading import LoadResult


class DiffFormat(str, Enum):
    text = "text"
    md = "md"
    json = "json"


class LogFormat(str, Enum):
    text = "text"
    json = "json"


CHARTER_HELP = "The charter: a file path, or a charter id found among the repository's charters."


def _split_revisions(revisions: list[str]) -> list[str]:
    """REV_A REV_B, or REV_A..REV_B (an empty side is HEAD, as in git)."""
    if len(revisions) > 2:
        fail(f"at most two revisions, got {len(revisions)}: {' '.join(revisions)}")
    if len(revisions) == 1 and ".." in revisions[0] and not revisions[0].startswith("-"):
        if "..." in revisions[0]:
            fail(f"{revisions[0]!r}: use REV_A..REV_B (two dots) or two revisions")
        left, right = revisions[0].split("..", 1)
        return [left or "HEAD", right or "HEAD"]
    return list(revisions)


def _unreadable(result: LoadResult) -> None:
    for f in result.findings:
        typer.echo(str(f), err=True)
    typer.echo(
        f"rmo: error: {result.file} cannot be read as a charter, so it cannot be compared", err=True
    )
    raise typer.Exit(EXIT_FINDINGS)


@app.command()
def diff(
    charter: str = typer.Argument(..., help=CHARTER_HELP, metavar="CHARTER"),
    revisions: Optional[list[str]] = typer.Argument(  # noqa: UP045
        None,
        metavar="REV",
        help="No revision: HEAD against the working tree; one: REV_A against the working tree; "
        "two (or REV_A..REV_B): REV_A against REV_B.",
        show_default=False,
    ),
    format: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f", help="Output format."),
    exit_code: bool = typer.Option(
        False, "--exit-code", help="Exit 1 when there are changes (like git diff --exit-code)."
    ),
) -> None:
    """Show what changed in a charter between revisions, in the agreement's own words.

    Items with an id are matched by id, so reordering is no change; renames are followed.
    Says whether signed content changed and whether the version was bumped.

    Example: rmo diff charters/acme-globex.yaml main --format md
    """
    from rmo_cli.adapters import git as gitrepo
    from rmo_cli.charter.diff import compare
    from rmo_cli.ops import history
    from rmo_cli.ops.repository import find_charter

    revs = _split_revisions(revisions or [])
    path = find_charter(charter)
    sides = history.diff_sides(path, revs)
    for result in (sides.old, sides.new):
        if result is not None and result.document is None:
            _unreadable(result)
    assert sides.new.document is not None
    # A charter new since REV_A compares with nothing: everything in it is added.
    old_data = sides.old.document.data if sides.old and sides.old.document else {}
    new_data = sides.new.document.data
    verdict = compare(old_data, new_data)
    payload: dict[str, Any] = {
        "file": str(path),
        "from": sides.old_sha,
        "to": sides.new_sha or gitrepo.WORKING_TREE,
        "changes": [c.as_dict() for c in verdict.changes],
        "paths": {"from": sides.old_path, "to": sides.new_path},
    }
    payload.update({k: v for k, v in verdict.as_dict().items() if k != "changes"})
    labels = (sides.old_label, sides.new_label)
    old_path, new_path = sides.old_path, sides.new_path
    if format is DiffFormat.json:
        typer.echo(jsontext.dumps(payload, indent=2))
    else:
        from rmo_cli.charter.diff import Describer

        describer = Describer(old_data, new_data)
        heading = (payload["file"], labels, old_path, new_path, sides.copied)
        if format is DiffFormat.md:
            typer.echo(_markdown(heading, verdict, describer), nl=False)
        else:
            typer.echo(_text(heading, verdict, describer, use_colour(sys.stdout)), nl=False)
    if exit_code and verdict.changes:
        raise typer.Exit(EXIT_FINDINGS)


REORDERED = (
    "Items were reordered: no change in content, but the fingerprint follows list order, "
    "so sign-offs made before this no longer match."
)
_MARKS = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}


def _text(
    heading: tuple[str, tuple[str, str], str | None, str, bool],
    verdict: CharterDiff,
    describer: Describer,
    colour: bool,
) -> str:
    from rmo_cli.charter.diff import group_by_section

    def style(text: str, **kw: Any) -> str:
        return typer.style(text, **kw) if colour else text

    file, (old_label, new_label), old_path, new_path, copied = heading
    file, old_label, new_label, new_path = map(printable, (file, old_label, new_label, new_path))
    lines = [style(f"{file}: {old_label} → {new_label}", bold=True)]
    if old_path is None:
        lines.append(f"new charter: {new_path} does not exist at {old_label}")
    elif old_path != new_path:
        verb = "copied" if copied else "renamed"
        lines.append(f"{verb}: {printable(old_path)} → {new_path}")
    if not verdict.changes:
        lines.append("No changes.")
        if verdict.reordered_only:
            lines.append(REORDERED)
        return "\n".join(lines) + "\n"
    for section, changes in group_by_section(verdict.changes).items():
        lines.append("")
        lines.append(style(section, bold=True))
        for change, phrase in describer.phrases(changes):
            mark, fg = _MARKS[change.op]
            lines.append(style(f"  {mark} {printable(phrase.text)}", fg=fg))
    lines.append("")
    lines.append(_verdict_words(verdict, style))
    return "\n".join(lines) + "\n"


def _verdict_words(verdict: CharterDiff, style: Any = None, warn: bool = True) -> str:
    old_v, new_v = verdict.old_version, verdict.new_version
    if not verdict.fingerprint_changed:
        return "Signed content unchanged: existing sign-offs still match."
    text = "Signed content changed: sign-offs made before this change no longer match."
    if verdict.version_bumped:
        return f"{text} Version {old_v} → {new_v}."
    if not warn:
        return text
    warning = f"Warning: the version was not bumped (still {new_v})."
    if style is not None:
        warning = style(warning, fg="red", bold=True)
    return f"{text} {warning}"


def _markdown(
    heading: tuple[str, tuple[str, str], str | None, str, bool],
    verdict: CharterDiff,
    describer: Describer,
) -> str:
    from rmo_cli.charter.diff import group_by_section
    from rmo_cli.support.escape import md_escape

    file, (old_label, new_label), old_path, new_path, copied = heading
    lines = [
        f"### Charter changes: `{file}`",
        "",
        f"{md_escape(old_label)} → {md_escape(new_label)}",
    ]
    if old_path is None:
        lines.append(f"(new charter: not in {md_escape(old_label)})")
    elif old_path != new_path:
        lines.append(f"({'copied' if copied else 'renamed'} from `{old_path}`)")
    lines.append("")
    if not verdict.changes:
        lines.append("No changes.")
        if verdict.reordered_only:
            lines += ["", md_escape(REORDERED)]
        return "\n".join(lines) + "\n"
    if verdict.needs_version_bump:
        lines += [
            f"> **Warning:** signed content changed but the version was not bumped (still "
            f"{md_escape(str(verdict.new_version))}).",
            "",
        ]
    for section, changes in group_by_section(verdict.changes).items():
        lines += [f"#### {section}", ""]
        for change, phrase in describer.phrases(changes):
            lead = md_escape(phrase.lead)
            if phrase.old is not None and phrase.new is not None:
                lines.append(
                    f"- {lead}{phrase.sep}~~{md_escape(phrase.old or '')}~~ → "
                    f"**{md_escape(phrase.new or '')}**"
                )
            elif phrase.old is None and phrase.new is None:
                lines.append(f"- **{lead}**" if change.op == "added" else f"- ~~{lead}~~")
            elif phrase.new is not None:
                lines.append(f"- {lead}{phrase.sep}**{md_escape(phrase.new or '')}**")
            else:
                lines.append(f"- {lead}{phrase.sep}~~{md_escape(phrase.old or '')}~~")
        lines.append("")
    # The missing version bump is already the warning at the top.
    lines.append(md_escape(_verdict_words(verdict, warn=False)))
    return "\n".join(lines) + "\n"


@app.command()
def log(
    charter: str = typer.Argument(..., help=CHARTER_HELP, metavar="CHARTER"),
    format: LogFormat = typer.Option(LogFormat.text, "--format", "-f", help="Output format."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Neither read nor write the cache in .git/rmo/."
    ),
) -> None:
    """List the commits that changed a charter, following renames, with what each did.

    One line per commit: short SHA, date, author, version and status at that commit, and
    what happened (created, status draft → active, sign-off added by …, review recorded).

    Example: rmo log charters/acme-globex.yaml
    """
    from rmo_cli.adapters import git as gitrepo
    from rmo_cli.ops import history
    from rmo_cli.ops.repository import find_charter

    path = find_charter(charter)
    if path.is_dir():
        fail(f"{path} is a folder; give one charter file (or a charter id)")
    if path.is_symlink():
        # A link to the charter (charters/current.yaml): the history is the charter's own.
        target = os.path.realpath(path)
        try:
            path = Path(os.path.relpath(target))
        except ValueError:  # another drive
            path = Path(target)
    repo = gitrepo.open_repo(path)
    gitrepo.require_full_history(repo)
    rel = gitrepo.relative_path(repo, path)
    rows = [row.as_dict() for row in history.charter_log(repo, rel, cache=not no_cache)]
    if not rows:
        fail(
            f"{charter}: no committed history (commit it first, or check the path with "
            "'git log --follow -- FILE')"
        )
    from rmo_cli.ops.amendments import AmendmentStatus, amendment_status

    # Only a charter that was ever signed can have an in-force version (SPEC §8); the rows
    # say so without reading any version again.
    ever_signed = any(e.startswith("sign-off added") for row in rows for e in row["events"])
    amendment = amendment_status(path) if ever_signed else AmendmentStatus(None, False, None)
    forced = amendment.in_force
    if format is LogFormat.json:
        extra = {
            "in_force": None
            if forced is None
            else {"sha": forced.commit, "version": forced.version},
            "amendment_pending": amendment.pending,
        }
        typer.echo(jsontext.dumps({"file": str(path), "commits": rows, **extra}, indent=2))
        return
    for row in rows:
        if forced is not None and row["sha"] == forced.commit:
            row["events"] = [*row["events"], "in force from here"]
    if forced is not None and amendment.pending:
        typer.echo(
            f"amendment pending: version {printable(str(amendment.version))} is not yet signed "
            f"by every party; version {printable(forced.version)} ({forced.short}) is in force"
        )
    elif forced is not None:
        typer.echo(f"in force: version {printable(forced.version)} ({forced.short})")
    colour = use_colour(sys.stdout)
    cells = [
        (
            row["sha"][:7],
            row["date"][:10],
            printable(str(row["author"])),
            "-" if row["version"] is None else printable(str(row["version"])),
            "-" if row["status"] is None else printable(str(row["status"])),
            printable("; ".join(row["events"])) or "no change to the charter's content",
        )
        for row in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    for sha, *middle, events in cells:
        first = typer.style(sha, fg="yellow") if colour else sha
        padded = [value.ljust(width) for value, width in zip(middle, widths[1:], strict=True)]
        typer.echo("  ".join([first, *padded, events]))


@app.command(hidden=True)
def textconv(file: Path = typer.Argument(..., help="The file git hands over.")) -> None:
    """Print a charter as canonical, line-diffable text (git's textconv for charters).

    Set up once per clone: `*.yaml diff=rmo` in .gitattributes and
    `git config diff.rmo.textconv "rmo textconv"`. Any file that is not a readable
    charter is printed unchanged, so git diff always works.

    Example: git config diff.rmo.textconv "rmo textconv"
    """
    from rmo_cli.charter.diff import canonical_lines
    from rmo_cli.charter.loading import parse_charter

    try:
        raw = file.read_bytes()
    except OSError as exc:
        raw, problem = b"", f"{file}: cannot read: {exc.strerror or exc}"
    else:
        problem = ""
    if problem:
        fail(problem)
    result = parse_charter(raw, str(file))
    if result.document is None or not isinstance(result.document.data, dict):
        typer.echo(raw, nl=False)
    else:
        text = "".join(line + "\n" for line in canonical_lines(result.document.data))
        typer.echo(text.encode("utf-8"), nl=False)
