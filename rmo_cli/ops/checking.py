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
from rmo_cli.rules.signoffs import Trust
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
# KPI states are opt-in: `--fail-on off-track` (or at-risk, which includes off-track).
KPI_FAIL_ON: dict[str, frozenset[str]] = {
    "off-track": frozenset({"off-track"}),
    "at-risk": frozenset({"off-track", "at-risk"}),
}
DEFAULT_FAIL_ON = "overdue"

# A validation rule that says the same as a review finding at the same place; the review
# finding wins because `--fail-on` governs its severity.
_SUPERSEDED_BY = {"active-but-expired": "charter-expired"}

SignersOf = Callable[[Path], "Trust | Path | None"]


def fail_on_states(fail_on: str | Iterable[str]) -> frozenset[str]:
    """The review states that fail the check for a `--fail-on` value (or several)."""
    chosen = [fail_on] if isinstance(fail_on, str) else list(fail_on)
    states: set[str] = set()
    for name in chosen:
        if name in KPI_FAIL_ON:
            continue
        if name not in FAIL_ON:
            choices = ", ".join([*FAIL_ON, *KPI_FAIL_ON])
            raise RmoError(f"--fail-on: {name!r} is not one of {choices}")
        states |= FAIL_ON[name]
    if chosen and all(name in KPI_FAIL_ON for name in chosen):
        states |= FAIL_ON[DEFAULT_FAIL_ON]  # naming a KPI state keeps the review default
    return frozenset(states)


def kpi_fail_states(fail_on: str | Iterable[str]) -> frozenset[str]:
    """The KPI states that fail the check for a `--fail-on` value (or several); none by default."""
    chosen = [fail_on] if isinstance(fail_on, str) else list(fail_on)
    states: set[str] = set()
    for name in chosen:
        states |= KPI_FAIL_ON.get(name, frozenset())
    return frozenset(states)


def _signers_lookup(
    signers: Trust | Path | SignersOf | None,
) -> Callable[[Path | str], Trust | Path | None]:
    """A function giving each charter's Trust (signers, require, register), one lookup per
    folder."""
    if signers is None or isinstance(signers, (Path, Trust)):
        fixed = signers
        return lambda _path: fixed
    from rmo_cli.support.paths import RealPaths

    cache: dict[Path, Trust | Path | None] = {}
    real = RealPaths()

    def lookup(path: Path | str) -> Trust | Path | None:
        folder = real.folder(path)
        if folder not in cache:
            cache[folder] = signers(Path(path))
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
    kpi_states: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Sign-off and review findings (and KPI findings in kpi_states) for one readable charter."""
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
    if kpi_states:
        from rmo_cli.rules.kpis import kpi_findings

        findings.extend(kpi_findings(doc, kpi_states))
    return findings


def _signers_token(path: Path | None) -> str | None:
    """What sign-off verdicts depend on besides the charter: the allowed signers file's
    bytes. None (results not cached) when it holds time-limited entries (valid-after,
    valid-before, certificates), whose verdicts change with the clock."""
    from rmo_cli.ops.cache import file_token

    if path is None:
        return "none"
    try:
        data = Path(path).read_bytes().lower()
    except OSError:
        return f"{path}:{file_token(path)}"
    if b"valid-after" in data or b"valid-before" in data or b"cert-authority" in data:
        return None
    return f"{path}:{file_token(path)}"


def _trust_token(trust: Trust | Path | None) -> str | None:
    """What a charter's sign-off verdicts depend on besides its bytes: the allowed signers
    file's bytes (see `_signers_token`), whether signatures are required, and the
    register's name and content (whose emails signatures are checked against)."""
    if not isinstance(trust, Trust):
        return _signers_token(trust)
    signers = _signers_token(trust.signers)
    if signers is None:
        return None
    import hashlib

    register = hashlib.sha256(repr(trust.register).encode()).hexdigest()
    return f"{signers}\0require={trust.require}\0{register}"


def _document_hook(
    doc: Document,
    file: CharterFile,
    trust: Trust | Path | None,
    as_of: dt.date,
    within: str,
    fail_states: frozenset[str],
    kpi_states: frozenset[str] = frozenset(),
) -> tuple[list[Finding], bool]:
    """check's per-document findings (sign-offs, reviews), run where the document is, and
    whether they may be cached: not when git history (a stale sign-off's words, the in-force
    version) went into them."""
    from rmo_cli.rules import signoffs as signoff

    findings = document_findings(
        doc, file.path, as_of, within, fail_states, lambda _p: trust, kpi_states
    )
    from rmo_cli.ops.amendments import history_matters

    history = getattr(signoff, "changes_since", None) is not None
    stale = getattr(signoff, "RULE_STALE", None)
    # Verdicts that depend on git history (what changed since, the in-force version) are
    # not cached: the same bytes may be judged otherwise after a commit.
    from_history = history and any(f.rule == stale for f in findings)
    return findings, not (from_history or history_matters(doc, file.path))


def check_files(
    files: Sequence[CharterFile],
    as_of: dt.date,
    within: str = DEFAULT_DUE_SOON,
    fail_on: str | Iterable[str] = DEFAULT_FAIL_ON,
    signers: Trust | Path | SignersOf | None = None,
    repo_root: Path | None = None,
    cache: bool = True,
    context: Sequence[str] = (),
) -> Report:
    """Validate, verify sign-offs and judge reviews of files on as_of; one report for all.

    within is the due-soon window; fail_on says which review states are errors (others are
    warnings) and which KPI states are reported as errors (none unless named). signers is
    the Trust (or just the allowed signers file) for every charter, or a function giving it
    per charter path (default: the charter's nearest rmo.yaml's).
    With repo_root set, the rules that read git history run too, each charter against the
    git repository that holds it. Per-file results come from the result cache when the
    file, its allowed signers file and context (e.g. the configuration) are unchanged,
    unless cache is False.
    """
    from functools import partial

    from rmo_cli.charter.reviews import window
    from rmo_cli.ops.validation import add_sources, validate_files

    window(within)  # a bad window is a usage error before any work
    fail_states = fail_on_states(fail_on)
    kpi_states = kpi_fail_states(fail_on)
    if signers is None:
        from rmo_cli.ops.trust import trust_for

        signers = trust_for
    signers_of = _signers_lookup(signers)
    tokens: dict[int, str | None] = {}
    held: list[object] = []  # the trusts tokens are keyed by (by id), kept alive

    def hook_values(file: CharterFile) -> tuple[Trust | Path | None, str | None]:
        trust = signers_of(file.where)
        key = id(trust)
        if key not in tokens:
            held.append(trust)
            tokens[key] = _trust_token(trust)
        return trust, tokens[key]

    hook = partial(
        _document_hook,
        as_of=as_of,
        within=within,
        fail_states=fail_states,
        kpi_states=kpi_states,
    )
    states = ",".join(sorted(fail_states))
    kpis = ",".join(sorted(kpi_states))
    result = validate_files(
        files,
        as_of,
        signers_of,
        cache=cache,
        context=["check", within, states, kpis, *context],
        hook=hook,
        hook_values=hook_values,
        kind="check",
    )
    findings = list(result.findings)
    findings.extend(result.extra)
    if repo_root is not None:
        from rmo_cli.rules.reviews import history_findings

        history = history_findings(result.readable)
        findings.extend(history)
        add_sources(result, history, files)
    return Report(
        files=[f.display for f in files],
        findings=_without_duplicates(findings),
        sources=result.sources,
    )
