"""`rmo sign` and `rmo verify`: sign-offs bound to content, optionally SSH-signed (SPEC §6)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from rmo_cli.cli.app import app
from rmo_cli.cli.common import (
    PATHS_HELP,
    fail,
    parse_date,
    today,
    use_colour,
    warn,
)
from rmo_cli.support import jsontext

if TYPE_CHECKING:
    from rmo_cli.charter.loading import Document
    from rmo_cli.rules.signoffs import SignoffCheck


class VerifyFormat(str, Enum):
    """Output formats of `rmo verify`."""

    text = "text"
    json = "json"


@app.command()
def sign(
    charter: str = typer.Argument(..., help="The charter file to sign.", metavar="CHARTER"),
    person: str = typer.Option(
        ..., "--person", "-p", help="Id of the signing person (one of the parties' people)."
    ),
    capacity: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--capacity",
        help="Capacity in which the person signs (default: their title).",
    ),
    date: Optional[str] = typer.Option(  # noqa: UP045
        None, "--date", help="Date of the sign-off, YYYY-MM-DD (default today).", metavar="DATE"
    ),
    key: Optional[str] = typer.Option(  # noqa: UP045
        None,
        "--key",
        "-k",
        help=(
            "SSH key to sign the sign-off with (ssh-keygen -Y sign, namespace rmo-charter): "
            "a private key file, or a public key whose private key is in ssh-agent."
        ),
        metavar="PATH",
    ),
) -> None:
    """Record a sign-off: PERSON approves the charter's current content.

    Stores person, party, capacity, date, version and the content fingerprint
    (with --key also an SSH signature of that whole record and the signer's
    email), replacing the person's earlier sign-off. Without --key the sign-off
    is recorded, not signed. Refused, file untouched: an invalid charter (exit 1); a person
    outside the parties, a future date, a repeat sign-off of the same content
    (exit 2).

    Example: rmo sign charters/acme-globex.yaml --person jdoe --key ~/.ssh/id_ed25519
    """
    from rmo_cli.ops.signoffs import sign_charter
    from rmo_cli.support.errors import RmoError

    path = Path(charter)
    if not path.is_file():
        raise RmoError(
            f"{charter}: no such file" if not path.exists() else f"{charter}: not a file"
        )
    as_of = today()
    when = parse_date(date, "--date") or as_of
    if key is not None and not key.strip():
        fail("--key: empty; give the SSH key file to sign with, or leave --key out")
    key_path = Path(key).expanduser() if key else None
    result = sign_charter(
        path, person, when, as_of=as_of, capacity=capacity, key=key_path, file=charter
    )
    entry = result.signoff
    done = "signed with an SSH signature" if "signature" in entry else "recorded (no signature)"
    typer.echo(
        f"{charter}: sign-off by {entry['person']} ({entry['party']}) on {entry['date']}, "
        f"version {entry['version']}, {done}"
    )
    typer.echo(f"fingerprint: {entry['fingerprint']}")
    if result.replaced is not None:
        typer.echo(
            f"replaces {entry['person']}'s sign-off of {result.replaced.get('date')} "
            f"(version {result.replaced.get('version')})"
        )
    if "signature" in entry:
        _warn_untrusted(path, entry["person"])


def _warn_untrusted(path: Path, person: str) -> None:
    """Tell the signer when `rmo verify` will not trust the new signature yet."""
    from rmo_cli.charter.loading import read_charter
    from rmo_cli.ops.trust import trust_for
    from rmo_cli.rules.signoffs import verify_document
    from rmo_cli.support.vocabulary import VALID

    doc = read_charter(path).document
    if doc is None:
        return
    trust = trust_for(path)
    signers = trust.signers
    for check in verify_document(doc, trust):
        if check.person == person and check.signed and check.state != VALID:
            where = signers or "an allowed signers file named by rmo.yaml 'signers'"
            warn(
                f"rmo verify will report this sign-off as {check.state}: {check.detail}. "
                f'To trust the key, add the line \'<email> namespaces="rmo-charter" '
                f"<public key>' to {where}."
            )


@app.command()
def verify(
    paths: Optional[list[str]] = typer.Argument(  # noqa: UP045
        None, help=PATHS_HELP, show_default=False, metavar="PATH..."
    ),
    format: VerifyFormat = typer.Option(VerifyFormat.text, "--format", "-f", help="Output format."),
    history: bool = typer.Option(
        True,
        "--history/--no-history",
        help="For stale sign-offs, look up the signed revision in git and say what changed.",
    ),
    signers: Optional[Path] = typer.Option(  # noqa: UP045
        None,
        "--signers",
        help="Allowed signers file for SSH sign-offs (default: rmo.yaml's `signers`).",
        metavar="FILE",
        show_default=False,
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Check every file again; do not read or write the result cache."
    ),
) -> None:
    """Check every sign-off: valid, stale, unsigned, bad-signature or unknown-signer.

    Stale: the content changed after the sign-off (its fingerprint differs).
    SSH signatures cover the whole sign-off record and are checked against
    rmo.yaml's 'signers' file (ssh-keygen -Y verify semantics, on the sign-off's
    date), the signer's email (from the register when there is one) as
    principal. Unsigned: no signature where 'signers: {require: true}'. A
    sign-off without a signature is 'recorded'. An active charter without a
    valid sign-off from every party is a warning. Exit 1 on any stale, unsigned,
    bad-signature or unknown-signer sign-off, or an unreadable charter.

    A rendered PDF (rmo verify DOCUMENT.pdf) is checked offline: the
    embedded charter's fingerprint against the metadata and every page,
    each embedded sign-off again, and a PAdES signature over the whole file.

    Example: rmo verify charters/ --format json
    """
    from rmo_cli.ops.pdf_evidence import is_pdf_path

    if paths and any(is_pdf_path(p) for p in paths):
        _verify_pdfs(paths, format, signers)  # a PDF is judged afresh every time (no cache)
        return
    from rmo_cli.ops.cache import config_token
    from rmo_cli.ops.repository import discover, find_config_file
    from rmo_cli.ops.trust import trust_for
    from rmo_cli.ops.verifying import verify_files
    from rmo_cli.rules.signoffs import Trust, missing_parties
    from rmo_cli.support.paths import RealPaths

    signers_cache: dict[Path, Trust] = {}
    real = RealPaths()

    def trust_of(path: Path | str) -> Trust:
        folder = real.folder(path)
        if folder not in signers_cache:
            trust = trust_for(Path(path))
            # --signers FILE replaces the repository's allowed signers file, nothing else.
            signers_cache[folder] = replace(trust, signers=signers) if signers else trust
        return signers_cache[folder]

    lookup = _history_lookup() if history else None
    context = [config_token(find_config_file())] if not no_cache else []
    results, failed, pending = verify_files(
        discover(paths or []), trust_of, lookup, cache=not no_cache, context=context
    )
    for f in failed:
        typer.echo(str(f), err=True)
    unreadable = bool(failed)
    for warning in pending:
        warn(f"{warning.file}:{warning.line}: {warning.message}")
    checks = [c for _, found in results for c in found]
    if format is VerifyFormat.json:
        payload = {"signoffs": [c.as_dict() for c in checks]}
        typer.echo(jsontext.dumps(payload, indent=2))
        for doc, found in results:
            for _, party_id, name in missing_parties(doc, found):
                warn(f"{doc.file}: active charter has no valid sign-off from {party_id} ({name})")
    else:
        typer.echo(_text_report(results), nl=False)
    if unreadable or any(c.failing for c in checks):
        raise typer.Exit(1)


def _verify_pdfs(paths: list[str], format: VerifyFormat, signers: Path | None) -> None:
    """`rmo verify DOCUMENT.pdf...`: each named check, exit 1 when any fails."""
    from rmo_cli.ops.pdf_evidence import is_pdf_path, verify_pdf

    others = [p for p in paths if not is_pdf_path(p)]
    if others:
        fail(f"verify checks either PDF documents or charters, not both: {others[0]}")
    results = [verify_pdf(Path(p), p, signers) for p in paths]
    if format is VerifyFormat.json:
        typer.echo(jsontext.dumps({"documents": [r.as_dict() for r in results]}, indent=2))
    else:
        for result in results:
            for check in result.checks:
                mark = "ok" if check.ok else "FAILED"
                typer.echo(f"{result.file}: {check.name}: {mark}: {check.detail}")
            verdict = "all checks hold" if result.ok else "checks failed"
            typer.echo(f"{result.file}: {verdict}")
    if not all(r.ok for r in results):
        raise typer.Exit(1)


def _history_lookup() -> Callable[[Document, str], tuple[str, ...]]:
    """The git-history lookup for stale sign-offs, remembering each answer."""
    from rmo_cli.ops.signoffs import changes_since

    cache: dict[tuple[str, str], tuple[str, ...]] = {}

    def lookup(doc: Document, signed: str) -> tuple[str, ...]:
        # Sign-offs of the same content share one walk through the file's history.
        key = (doc.file, signed)
        if key not in cache:
            cache[key] = changes_since(doc, signed)
        return cache[key]

    return lookup


_STATE_STYLE = {
    "valid": "green",
    "in-force": "green",
    "stale": "yellow",
    "unsigned": "red",
    "bad-signature": "red",
    "unknown-signer": "red",
}


def _text_report(results: list[tuple[Document, list[SignoffCheck]]]) -> str:
    """One line a sign-off (FILE:LINE: STATE ...), missing parties, then a summary."""
    from rmo_cli.rules.signoffs import RULE_MISSING, missing_parties
    from rmo_cli.support.vocabulary import STATES

    colour = use_colour(sys.stdout)
    lines: list[str] = []
    counts = dict.fromkeys(STATES, 0)
    for doc, checks in results:
        for check in checks:
            counts[check.state] += 1
            line, _ = doc.locate(("signoffs", check.index))
            state = check.state
            if colour:
                state = typer.style(state, fg=_STATE_STYLE[state], bold=True)
            how = "signed" if check.signed else "recorded"
            lines.append(
                f"{doc.file}:{line}: {state} {check.person} ({check.party}) {how} "
                f"{check.date}, version {check.version}: {check.detail}"
            )
            for change in check.changes:
                lines.append(f"    {change}")
        for index, party_id, name in missing_parties(doc, checks):
            line, _ = doc.locate(("parties", index))
            lines.append(
                f"{doc.file}:{line}: warning[{RULE_MISSING}] active charter has no valid "
                f"sign-off from {party_id} ({name})"
            )
    total = sum(counts.values())
    summary = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    charters = len(results)
    lines.append(
        f"{charters} charter{'s' if charters != 1 else ''}, {total} sign-off"
        f"{'s' if total != 1 else ''}" + (f": {summary}" if summary else "")
    )
    return "\n".join(lines) + "\n"
