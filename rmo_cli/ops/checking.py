"""`rmo check`: validation, sign-off verification and review state in one pass, one report.

The CI entry point. Each charter is read once; its findings from the schema and semantic
rules, its sign-offs and its review schedule go into one `Report` that any reporter
(text, json, github, sarif, junit) renders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from rmo_cli.charter.loading import Document
from rmo_cli.ops.repository import CharterFile
from rmo_cli.support.errors import RmoError
from rmo_cli.support.findings import Finding, Report
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

# `--fail-on` choices and the review states each makes failing: due-soon is the stricter
# one, so it fails overdue reviews too.
FAIL_ON: dict[str, frozenset[str]] = {
    "overdue": frozenset({"overdue"}),
    "due-soon": frozenset({"overdue", "due-soon"}),
    "none": frozenset(),
}
DEFAULT_FAIL_ON = "overdue"

# A validation rule that says the same as a review finding at the same place; the review
# finding wins because `--fail-on` governs its severity.
_SUPERSEDED_BY = {"active-but-expired": "charter-expired"}

SignersOf = Callable[[Path], "Path | None"]


def fail_on_states(fail_on: str | Iterable[str]) -> frozenset[str]:
    """The review states that fail the check for a `--fail-on` value (or several)."""
    chosen = [fail_on] if isinstance(fail_on, str) else list(fail_on)
    states: set[str] = set()
    for name in chosen:
        if name not in FAIL_ON:
            choices = ", ".join(FAIL_ON)
            raise RmoError(f"--fail-on: {name!r} is not one of {choices}")
        states |= FAIL_ON[name]
    return frozenset(states)


def _signers_lookup(signers: Path | SignersOf | None) -> SignersOf:
    """A function giving each charter's allowed signers file, with one lookup per folder."""
    if signers is None or isinstance(signers, Path):
        fixed = signers
        return lambda _path: fixed
    cache: dict[Path, Path | None] = {}

    def lookup(path: Path) -> Path | None:
        folder = Path(path).resolve().parent
        if folder not in cache:
            cache[folder] = signers(path)
        return cache[folder]

    return lookup


def _without_duplicates(findings: list[Finding]) -> list[Finding]:
    """Drop validation findings that a review finding at the same place supersedes."""
    places = {(f.file, f.line, f.column, f.rule) for f in findings}
    return [
        f
        for f in findings
        if not (
            f.rule in _SUPERSEDED_BY
            and (f.file, f.line, f.column, _SUPERSEDED_BY[f.rule]) in places
        )
    ]


def document_findings(
    doc: Document,
    path: Path,
    as_of: dt.date,
    within: str,
    fail_states: frozenset[str],
    signers_of: SignersOf,
) -> list[Finding]:
    """Sign-off and review findings for one readable charter."""
    from rmo_cli.ops.amendments import in_force_for
    from rmo_cli.rules import signoffs as signoff
    from rmo_cli.rules.reviews import review_findings

    # What changed since a stale sign-off, when the history support is there.
    history = getattr(signoff, "changes_since", None)
    signers = signers_of(path)
    findings = signoff.verify_findings(
        doc, signers, history=history, in_force=in_force_for(doc, path, signers)
    )
    findings.extend(review_findings(doc, as_of, within, fail_states))
    return findings


def check_files(
    files: Sequence[CharterFile],
    as_of: dt.date,
    within: str = DEFAULT_DUE_SOON,
    fail_on: str | Iterable[str] = DEFAULT_FAIL_ON,
    signers: Path | SignersOf | None = None,
    repo_root: Path | None = None,
) -> Report:
    """Validate, verify sign-offs and judge reviews of files on as_of; one report for all.

    within is the due-soon window; fail_on says which review states are errors (others are
    warnings). signers is the allowed signers file for every charter, or a function giving
    it per charter path (default: the `signers` of the charter's nearest rmo.yaml).
    With repo_root set, the rules that read git history run too, each charter against the
    git repository that holds it.
    """
    from rmo_cli.charter.reviews import window
    from rmo_cli.ops.validation import validate_files

    window(within)  # a bad window is a usage error before any work
    fail_states = fail_on_states(fail_on)
    if signers is None:
        from rmo_cli.ops.signoffs import signers_for

        signers = signers_for
    signers_of = _signers_lookup(signers)

    result = validate_files(files, as_of)
    findings = list(result.findings)
    path_of = {f.display: f.path for f in files}
    for doc in result.documents:
        path = path_of.get(doc.file, Path(doc.file))
        findings.extend(document_findings(doc, path, as_of, within, fail_states, signers_of))
    if repo_root is not None:
        from rmo_cli.rules.reviews import history_findings

        findings.extend(history_findings(result.documents))
    return Report(
        files=[f.display for f in files],
        findings=_without_duplicates(findings),
        sources={doc.file: doc.text for doc in result.documents},
    )
