"""Review integrity rules: a `last_reviewed` must be backed by a review-log entry.

`last-reviewed-mismatch` is a per-charter rule in the registry of `rmo_cli.rules.registry`.
`review-date-without-log` needs git history, so it is not run per charter: callers
(`validate`, `check`) call `review_history_findings(repo_root, documents)` once per run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rmo_cli.charter.loading import Document
from rmo_cli.charter.model import as_mapping
from rmo_cli.charter.reviews import (
    EXPIRY_FAILS_WITH,
    as_date,
    days_in_words,
    expand_fail_on,
    review_status,
)
from rmo_cli.rules.registry import declare, rule
from rmo_cli.support.dates import Duration
from rmo_cli.support.errors import RmoError
from rmo_cli.support.findings import ERROR, WARNING, Finding
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON

MISMATCH_RULE = "last-reviewed-mismatch"
HISTORY_RULE = "review-date-without-log"
HISTORY_DESCRIPTION = (
    "review.last_reviewed was changed (in a commit, or in the working tree against HEAD) "
    "without adding a review.log entry dated the new value"
)


def _log_entries(data: Any) -> list[tuple[int, Mapping[str, Any]]]:
    review = data.get("review") if isinstance(data, Mapping) else None
    log = review.get("log") if isinstance(review, Mapping) else None
    if not isinstance(log, list):
        return []
    return [(i, entry) for i, entry in enumerate(log) if isinstance(entry, Mapping)]


def _last_reviewed(data: Any) -> dt.date | None:
    review = data.get("review") if isinstance(data, Mapping) else None
    return as_date(review.get("last_reviewed")) if isinstance(review, Mapping) else None


@rule(
    MISMATCH_RULE,
    "review.last_reviewed differs from the date of the newest review.log entry",
    ERROR,
)
def check_last_reviewed_matches_log(doc: Document, as_of: dt.date) -> Iterable[Finding]:
    """review.last_reviewed must equal the newest dated review.log entry (when there is a log)."""
    dated = [(as_date(entry.get("date")), i) for i, entry in _log_entries(doc.data)]
    dated_ok = [(d, i) for d, i in dated if d is not None]
    if not dated_ok:
        return []
    newest, index = max(dated_ok)
    review = doc.data["review"]
    if newest > as_of:
        # future-date reports that entry; copying it into last_reviewed would be wrong.
        return []
    if "last_reviewed" not in review:
        return [
            doc.finding(
                ("review", "log", index, "date"),
                MISMATCH_RULE,
                f"review.log's newest entry is dated {newest} but review.last_reviewed is "
                f"not set; add 'last_reviewed: {newest}' under review",
            )
        ]
    last = as_date(review.get("last_reviewed"))
    if last is None or last == newest:
        return []  # an unparseable date is the schema's finding, not ours
    if last > newest:
        message = (
            f"review.last_reviewed is {last} but the newest review.log entry is dated "
            f"{newest}: record the review with `rmo record-review {doc.file}` "
            f"(which adds the log entry) or set last_reviewed back to {newest}"
        )
    else:
        message = (
            f"review.last_reviewed is {last} but review.log has a newer entry dated "
            f"{newest}; set last_reviewed to {newest}"
        )
    return [doc.finding(("review", "last_reviewed"), MISMATCH_RULE, message)]


@rule(HISTORY_RULE, HISTORY_DESCRIPTION, ERROR)
def _history_rule_placeholder(doc: Document, as_of: dt.date) -> Iterable[Finding]:
    """Registered for its id and description only; the check is review_history_findings."""
    return ()


# --- the git-history rule -------------------------------------------------------------

_LAST_REVIEWED_RE = r"^[[:space:]]*last_reviewed[[:space:]]*:"
_PATHSPECS = ("*.yaml", "*.yml")


@dataclass(frozen=True)
class _Change:
    """The newest change of a file's last_reviewed line: the commit (or working tree)."""

    rel: str
    commit: str | None  # None: the working tree against HEAD
    subject: str = ""


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes | None:
    """git's output in root, or None when git is missing or fails (the rule then stays quiet)."""
    from rmo_cli.adapters.git import run_git

    try:
        done = run_git(root, *args, stdin=stdin)
    except RmoError:
        return None
    return done.stdout if done.returncode == 0 else None


def _changed_files(listing: bytes) -> list[tuple[str, str, str]]:
    """(commit, subject, path) for every file in `git log -z --name-only` output (headers
    `\\x01commit SHA SUBJECT`) or `git diff -z --name-only`; names exactly as stored, even
    those git would quote (`"`, `\\`, tab, newline)."""
    found: list[tuple[str, str, str]] = []
    commit = subject = ""
    first = False
    for token in listing.split(b"\0"):
        if token.startswith(b"\x01commit "):
            _, commit, *rest = token[1:].decode("utf-8", "replace").split(" ", 2)
            subject = rest[0] if rest else ""
            first = True  # git puts a newline between the header and the first name
            continue
        if first:
            token = token.removeprefix(b"\n")
            first = False
        if token:
            found.append((commit, subject, token.decode("utf-8", "surrogateescape")))
    return found


def _newest_changes(root: Path, rels: set[str]) -> dict[str, _Change]:
    """For each tracked charter, the newest change of its last_reviewed line."""
    changes: dict[str, _Change] = {}
    # A user's textconv driver (`rmo init` sets one up) would run once per blob.
    common = ["--no-color", "--no-ext-diff", "--no-textconv"]
    head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head is None:
        return changes  # no commits yet
    # Uncommitted edits first: they supersede anything committed.
    worktree = _git(
        root, "diff", *common, "-z", "--name-only", "--no-renames",
        "--diff-filter=M", f"-G{_LAST_REVIEWED_RE}", "HEAD", "--", *_PATHSPECS,
    )  # fmt: skip
    for _, _, rel in _changed_files(worktree or b""):
        if rel in rels:
            changes.setdefault(rel, _Change(rel, None))
    # One walk over the whole history: modified files whose last_reviewed line changed,
    # newest commit first (a file's first appearance is its newest change).
    log = _git(
        root, "log", *common, "-z", "--name-only", "--no-renames",
        "--diff-filter=M", f"-G{_LAST_REVIEWED_RE}", "--format=%x01commit %H %s", "HEAD",
        "--", *_PATHSPECS,
    )  # fmt: skip
    for commit, subject, rel in _changed_files(log or b""):
        if rel in rels and rel not in changes:
            changes[rel] = _Change(rel, commit, subject)
    return changes


def _read_blobs(root: Path, specs: Sequence[str]) -> list[bytes | None]:
    """The contents of `<rev>:<path>` objects via one `git cat-file --batch`."""
    if not specs:
        return []
    if any("\n" in spec for spec in specs):
        # The batch reads one name a line: a name with a newline goes as an argument.
        batched = [s for s in specs if "\n" not in s]
        found = dict(zip(batched, _read_blobs(root, batched), strict=True))
        return [found[s] if s in found else _git(root, "cat-file", "blob", s) for s in specs]
    out = _git(root, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in specs).encode())
    results: list[bytes | None] = []
    pos = 0
    try:
        for _ in specs:
            if out is None:
                break
            end = out.index(b"\n", pos)
            header = out[pos:end].split(b" ")
            pos = end + 1
            if len(header) < 3 or header[-1] == b"missing" or header[1] != b"blob":
                results.append(None)
                continue
            size = int(header[2])
            results.append(out[pos : pos + size])
            pos += size + 1
    except ValueError:  # output cut short: what is left is unknown
        pass
    return results + [None] * (len(specs) - len(results))


def _canonical(entry: Mapping[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, default=str, ensure_ascii=False)


def _backed_by_new_entry(before: Any, now: Any) -> bool:
    """True when `now`'s last_reviewed is honest against `before`: unchanged, moved back,
    removed, or accompanied by a review.log entry (dated the new value) that `before`
    did not have, with the log longer than it was."""
    old_date, new_date = _last_reviewed(before), _last_reviewed(now)
    if new_date is None or (old_date is not None and new_date <= old_date):
        return True
    old_entries = _log_entries(before)
    new_entries = _log_entries(now)
    if len(new_entries) <= len(old_entries):
        return False
    old_keys = {_canonical(entry) for _, entry in old_entries}
    return any(
        as_date(entry.get("date")) == new_date and _canonical(entry) not in old_keys
        for _, entry in new_entries
    )


def _repo_top(repo_root: Path) -> Path | None:
    out = _git(repo_root, "rev-parse", "--show-toplevel")
    return Path(out.decode("utf-8", "surrogateescape").strip()).resolve() if out else None


def review_history_findings(
    repo_root: str | Path, documents: Sequence[Document | str]
) -> list[Finding]:
    """Findings of `review-date-without-log` for documents tracked in the git repository.

    One `git diff` (working tree vs HEAD), one `git log --name-only` over the history (only modified
    files whose `last_reviewed:` line changed) and one `git cat-file --batch` for the
    versions before those changes; the cost does not grow with unchanged charters.
    Returns no findings outside a git repository or when git fails.
    """
    from rmo_cli.charter.loading import parse_charter

    top = _repo_top(Path(repo_root))
    if top is None or not documents:
        return []
    by_rel: dict[str, Document | str] = {}
    for doc in documents:
        try:
            name = doc if isinstance(doc, str) else doc.file
            rel = Path(name).resolve().relative_to(top).as_posix()
        except (ValueError, OSError):
            continue
        by_rel[rel] = doc
    changes = _newest_changes(top, set(by_rel))
    if not changes:
        return []
    ordered = sorted(changes.values(), key=lambda c: c.rel)
    # The version before the change: HEAD for the working tree, else the commit's parent.
    specs = [f"{c.commit + '^' if c.commit else 'HEAD'}:{c.rel}" for c in ordered]
    blobs = _read_blobs(top, specs)
    findings: list[Finding] = []
    for change, blob in zip(ordered, blobs, strict=True):
        if blob is None:
            continue
        given = by_rel[change.rel]
        if isinstance(given, str):
            from rmo_cli.charter.loading import read_charter

            current = read_charter(given, given).document
            if current is None:
                continue
            doc = current
        else:
            doc = given
        before = parse_charter(blob, doc.file).document
        if before is None or _backed_by_new_entry(before.data, doc.data):
            continue
        new_date = _last_reviewed(doc.data)
        if change.commit is None:
            where = "in the working tree (since HEAD)"
        else:
            subject = f' "{change.subject}"' if change.subject else ""
            where = f"in commit {change.commit[:10]}{subject}"
        message = (
            f"review.last_reviewed was changed to {new_date} {where} without adding a "
            f"review.log entry dated {new_date}; record reviews with `rmo record-review`, "
            "which adds both"
        )
        findings.append(doc.finding(("review", "last_reviewed"), HISTORY_RULE, message))
    return findings


def history_findings(documents: Sequence[Document | str]) -> list[Finding]:
    """`review-date-without-log` for documents wherever they live: grouped by the git
    repository that holds each one's folder (one `rev-parse` per folder, not per file).

    A document may be given by its file name alone: it is read again only if git shows a
    change to its `last_reviewed` (so callers need not keep every document)."""
    from rmo_cli.support.paths import RealPaths

    top_of: dict[Path, Path | None] = {}
    groups: dict[Path, list[Document | str]] = {}
    real = RealPaths()
    for doc in documents:
        folder = real.folder(doc if isinstance(doc, str) else doc.file)
        if folder not in top_of:
            top_of[folder] = _repo_top(folder) if folder.is_dir() else None
        top = top_of[folder]
        if top is not None:
            groups.setdefault(top, []).append(doc)
    findings: list[Finding] = []
    for top, docs in groups.items():
        findings.extend(review_history_findings(top, docs))
    return findings


# `--fail-on` values, and the expiry state that fails with each.


# Rule ids of review_findings (reported by `rmo check`), with one-line descriptions.
for _id, _text, _severity in (
    (
        "review-overdue",
        "The charter's next review date has passed (error under --fail-on overdue).",
        ERROR,
    ),
    (
        "review-due-soon",
        "The next review is due within the window (error under --fail-on due-soon).",
        WARNING,
    ),
    ("charter-expired", "term.expires has passed (error under --fail-on overdue).", ERROR),
    (
        "charter-expiring",
        "term.expires falls within the window (error under --fail-on due-soon).",
        WARNING,
    ),
):
    declare(_id, _text, _severity)


def review_findings(
    doc: Document,
    as_of: dt.date,
    within: str | Duration = DEFAULT_DUE_SOON,
    fail_on: Iterable[str] = (),
) -> list[Finding]:
    """Findings for `rmo check`: overdue or due-soon reviews, expired or expiring charters.

    A finding is an error when its state is in fail_on ("overdue", "due-soon"; an expired
    charter counts as overdue, an expiring one as due soon, and "due-soon" also fails an
    overdue review), otherwise a warning.
    """
    chosen = expand_fail_on(fail_on)
    status = review_status(doc.data, as_of, within)
    data = as_mapping(doc.data)
    review = as_mapping(data.get("review"))
    findings: list[Finding] = []
    if status.state in ("overdue", "due-soon") and status.next_due is not None:
        if status.next_due_source == "next_due":
            path: tuple[str, ...] = ("review", "next_due")
        elif "last_reviewed" in review:
            path = ("review", "last_reviewed")
        else:
            path = ("review", "cadence")
        due = status.next_due.isoformat()
        if status.state == "overdue":
            rule = "review-overdue"
            message = f"review overdue: due {due}, {days_in_words(status.days)}"
        else:
            rule = "review-due-soon"
            message = f"review due soon: due {due} ({days_in_words(status.days)})"
        message += f"; after the review run `rmo record-review {doc.file}`"
        severity = ERROR if status.state in chosen else WARNING
        findings.append(doc.finding(path, rule, message, severity))
    if status.expiry_state in ("expired", "expiring") and status.expires is not None:
        when = status.expires.isoformat()
        days = abs(status.expiry_days or 0)
        if status.expiry_state == "expired":
            rule = "charter-expired"
            message = f"charter expired on {when} ({days} day{'s' if days != 1 else ''} ago)"
            message += "; renew it (new term.expires) or set its status to expired"
        else:
            rule = "charter-expiring"
            soon = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            message = f"charter expires on {when} ({soon})"
            message += "; plan its renewal or exit"
        severity = ERROR if EXPIRY_FAILS_WITH[status.expiry_state] in chosen else WARNING
        findings.append(doc.finding(("term", "expires"), rule, message, severity))
    return findings
