"""Review state of charters (SPEC §5), review findings for `check`, and `record_review`.

The as-of date (and "today" for record_review) is always a parameter, never read from the
clock. Everything but record_review is pure; its outputs are in `rmo_cli.reporters.reviews`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from rmo_cli.charter.loading import Document
from rmo_cli.charter.model import as_mapping
from rmo_cli.charter.reviews import (
    _STATE_ORDER,
    ReviewStatus,
    as_date,
    review_owner,
    review_status,
    window,
)
from rmo_cli.ops.repository import CharterFile
from rmo_cli.support.dates import Duration
from rmo_cli.support.errors import RefusedError, RmoError
from rmo_cli.support.findings import Finding
from rmo_cli.support.vocabulary import DEFAULT_DUE_SOON, OUTCOMES


@dataclass(frozen=True)
class ReviewEntry:
    """One charter's row in `rmo reviews`: who, where, and its ReviewStatus."""

    file: str
    id: Any
    title: str
    status: Any
    owner: tuple[str, str] | None  # (person id, name)
    review: ReviewStatus


def review_entries(
    documents: Iterable[Document], as_of: dt.date, within: str | Duration = DEFAULT_DUE_SOON
) -> list[ReviewEntry]:
    """Review rows for documents: overdue first (most overdue first), then due-soon,
    then ok (soonest first), then not-scheduled (by file)."""
    span = window(within)
    entries = []
    for doc in documents:
        data = as_mapping(doc.data)
        title = data.get("title")
        ident = data.get("id")
        entries.append(
            ReviewEntry(
                file=doc.file,
                id=ident,
                title=title if isinstance(title, str) and title.strip() else str(ident or doc.file),
                status=data.get("status"),
                owner=review_owner(data),
                review=review_status(data, as_of, span),
            )
        )
    return sorted(entries, key=_entry_key)


def _review_item(
    file: CharterFile, raw: bytes, as_of: dt.date, span: Duration
) -> tuple[ReviewEntry | None, list[Finding]]:
    from rmo_cli.charter.loading import parse_charter

    loaded = parse_charter(raw, file.display)
    if loaded.document is None:
        return None, loaded.findings
    return review_entries([loaded.document], as_of, span)[0], []


def _review_pair(
    item: tuple[CharterFile, bytes], as_of: dt.date, span: Duration
) -> tuple[ReviewEntry | None, list[Finding]]:
    file, raw = item
    return _review_item(file, raw, as_of, span)


_DATES = ("next_due", "last_reviewed", "expires")


def _entry_json(item: tuple[ReviewEntry | None, list[Finding]]) -> Any:
    entry = item[0]
    if entry is None:
        raise TypeError("unreadable files are not cached")
    from dataclasses import asdict

    review = asdict(entry.review)
    for name in _DATES:
        value = review[name]
        review[name] = value.isoformat() if value is not None else None
    return {
        "file": entry.file,
        "id": entry.id,
        "title": entry.title,
        "status": entry.status,
        "owner": list(entry.owner) if entry.owner is not None else None,
        "review": review,
    }


def _entry_of(file: CharterFile, value: Any) -> tuple[ReviewEntry | None, list[Finding]]:
    review = dict(value["review"])
    for name in _DATES:
        if review[name] is not None:
            review[name] = dt.date.fromisoformat(review[name])
    owner = value["owner"]
    if value["file"] != file.display:
        raise ValueError("another file's entry")
    entry = ReviewEntry(
        file=value["file"],
        id=value["id"],
        title=value["title"],
        status=value["status"],
        owner=(str(owner[0]), str(owner[1])) if owner is not None else None,
        review=ReviewStatus(**review),
    )
    return entry, []


def _unreadable(_file: CharterFile, loaded: Any) -> tuple[ReviewEntry | None, list[Finding]]:
    return None, list(loaded.findings)


def review_files(
    files: Sequence[CharterFile],
    as_of: dt.date,
    within: str | Duration = DEFAULT_DUE_SOON,
    cache: bool = True,
) -> tuple[list[ReviewEntry], list[Finding]]:
    """Read files and judge their reviews: (sorted entries, findings of unreadable files).

    Many files are read by worker processes that send back only the small entries (not
    the documents), so `rmo reviews` stays cheaper than `rmo validate` on the same files.
    Entries of unchanged files come from the result cache unless cache is False.
    """
    from rmo_cli.ops.cache import ResultCache, cached_map
    from rmo_cli.support.parallel import parallel_map, worker_count

    span = window(within)
    workers = worker_count(len(files))

    def work(
        items: list[tuple[CharterFile, bytes]],
    ) -> Iterable[tuple[ReviewEntry | None, list[Finding]]]:
        review = partial(_review_pair, as_of=as_of, span=span)
        return parallel_map(review, items, min(workers, len(items)))

    store = ResultCache("reviews", [as_of.isoformat(), repr(span)], enabled=cache)
    entries: list[ReviewEntry] = []
    unreadable: list[Finding] = []
    for entry, findings in cached_map(store, files, work, _unreadable, _entry_json, _entry_of):
        if entry is not None:
            entries.append(entry)
        unreadable.extend(findings)
    return sorted(entries, key=_entry_key), unreadable


def _entry_key(entry: ReviewEntry) -> tuple[int, int, str]:
    days = entry.review.days if entry.review.days is not None else 0
    return _STATE_ORDER[entry.review.state], days, entry.file


# --- record-review -------------------------------------------------------------------

# Characters a YAML stream may not contain (YAML 1.2 §5.1, c-printable), plus the
# Unicode line separators (U+0085, U+2028, U+2029) that YAML 1.1 readers treat as breaks.
_NOT_YAML_PRINTABLE = re.compile(
    "[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


@dataclass(frozen=True)
class RecordedReview:
    """What `record_review` wrote: the entry, the new last_reviewed, a removed next_due."""

    file: str
    date: dt.date
    reviewers: tuple[str, ...]
    outcome: str
    notes: str | None
    last_reviewed: dt.date
    removed_next_due: dt.date | None
    data: dict[str, Any]  # the charter's data after the edit


def _people(data: Mapping[str, Any]) -> list[str]:
    from rmo_cli.charter.roster import people

    return list(people(data))


def _refuse(message: str) -> RmoError:
    return RefusedError(message)


def plan_review(
    data: Any,
    file: str,
    *,
    date: dt.date,
    reviewers: Sequence[str],
    outcome: str,
    notes: str | None,
    today: dt.date,
) -> tuple[dict[str, Any], int, dt.date | None]:
    """Check a review against a charter's data; return (log entry, log index, next_due to drop).

    Raises RmoError: exit 2 for arguments that cannot be recorded (no or unknown reviewer,
    unknown outcome, empty notes, a future date or one before term.effective, a review
    already recorded), exit 1 for a charter that cannot take it (unusable review section);
    the same split as `rmo sign`.
    """
    if outcome not in OUTCOMES:
        raise RmoError(f"--outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
    # `--reviewer jdoe,rsmith` is read as two reviewers (person ids never hold a comma).
    people = list(dict.fromkeys(p.strip() for r in reviewers for p in r.split(",")))
    if not people or not all(people):
        raise RmoError("give at least one --reviewer ID (a person id from the charter's parties)")
    if notes is not None:
        notes = notes.replace("\r\n", "\n").replace("\r", "\n")
        if not notes.strip():
            raise RmoError("--notes is empty; leave it out or say what the review decided")
        bad = _NOT_YAML_PRINTABLE.search(notes)
        if bad:
            raise RmoError(
                f"--notes contains the character U+{ord(bad.group()):04X}, which rmo does not "
                "write into YAML; remove it"
            )
    if not isinstance(data, Mapping):
        raise _refuse(f"{file}: the charter is not a mapping")
    if date > today:
        raise RmoError(
            f"the review date {date} is in the future (today is {today}); "
            "record a review once it has taken place"
        )
    known = _people(data)
    unknown = [p for p in people if p not in known]
    if unknown:
        listed = ", ".join(known) if known else "none"
        names = ", ".join(repr(p) for p in unknown)
        raise RmoError(
            f"unknown reviewer{'s' if len(unknown) > 1 else ''} {names} in {file}: reviewers "
            f"must be people of the charter's parties (known: {listed})"
        )
    review = data.get("review")
    if not isinstance(review, Mapping):
        raise _refuse(
            f"{file} has no usable review section (review must be a mapping with a cadence); "
            "fix it first (rmo validate shows where)"
        )
    log = review.get("log", [])
    if not isinstance(log, list):
        raise _refuse(f"{file}: review.log is not a list; fix it first (rmo validate shows where)")
    term = data.get("term")
    effective = as_date(term.get("effective")) if isinstance(term, Mapping) else None
    if effective is not None and date < effective:
        raise RmoError(
            f"the review date {date} is before the charter took effect ({effective}); check --date"
        )
    entry: dict[str, Any] = {"date": date.isoformat(), "reviewers": people, "outcome": outcome}
    if notes is not None:
        entry["notes"] = notes.strip("\n")
    if any(isinstance(e, Mapping) and dict(e) == entry for e in log):
        raise RmoError(f"this review ({date}, {outcome}) is already in {file}'s review.log")
    index = len(log)
    while index > 0:
        previous = log[index - 1]
        when = as_date(previous.get("date")) if isinstance(previous, Mapping) else None
        if when is None or when <= date:
            break
        index -= 1
    next_due = as_date(review.get("next_due"))
    drop = next_due if next_due is not None and next_due <= date else None
    return entry, index, drop


def _expected_after(
    data: Mapping[str, Any], entry: dict[str, Any], index: int, drop: bool
) -> dict[str, Any]:
    """The charter's plain data as it must read after the edit."""
    import copy

    after = copy.deepcopy(dict(data))
    review = after["review"]
    log = review.setdefault("log", [])
    log.insert(index, entry)
    dates = [d for d in (as_date(e.get("date")) for e in log if isinstance(e, Mapping)) if d]
    review["last_reviewed"] = max(dates).isoformat()
    if drop:
        review.pop("next_due", None)
    return after


def record_review(
    path: str | Path,
    *,
    date: dt.date,
    reviewers: Sequence[str],
    outcome: str,
    notes: str | None = None,
    today: dt.date,
    file: str | None = None,
) -> RecordedReview:
    """Append a review to a charter's review.log, set last_reviewed, drop a passed next_due.

    The edit goes through `edit_charter` (comments, order and quoting kept) on a private
    copy; the copy is read back and must hold exactly the expected data and leave every
    other line as it was. Only then is the charter replaced, atomically. Any refusal
    (RmoError) leaves the charter byte-identical. One `edit_in_place`: the file's edit
    lock is held from the read to the rename (no lost update).
    """
    from rmo_cli.ops.editing import edit_in_place

    path = Path(path)
    name = file or str(path)

    def plan(original: bytes, doc: Document) -> tuple[bytes, RecordedReview]:
        return _plan_record(
            path,
            original,
            doc,
            name,
            date=date,
            reviewers=reviewers,
            outcome=outcome,
            notes=notes,
            today=today,
        )

    return edit_in_place(path, name, plan)


def _plan_record(
    path: Path,
    original: bytes,
    doc: Document,
    name: str,
    *,
    date: dt.date,
    reviewers: Sequence[str],
    outcome: str,
    notes: str | None,
    today: dt.date,
) -> tuple[bytes, RecordedReview]:
    """The charter's bytes with the review recorded, and what was recorded (nothing written)."""
    from rmo_cli.charter.loading import parse_charter
    from rmo_cli.ops.editing import edit_block

    data = doc.data
    entry, index, drop = plan_review(
        data, name, date=date, reviewers=reviewers, outcome=outcome, notes=notes, today=today
    )
    expected = _expected_after(data, entry, index, drop is not None)
    last_reviewed = dt.date.fromisoformat(expected["review"]["last_reviewed"])

    def reads_right(raw: bytes) -> bool:
        doc = parse_charter(raw, name).document
        return doc is not None and doc.data == expected

    edited = edit_block(
        path,
        original,
        "review",
        lambda draft: _edit_review(draft, name, entry, index, last_reviewed, drop is not None),
        reads_right,
        "the review",
    )
    if edited is None:
        # E.g. a comment after the last log entry would have become part of the new notes.
        raise _refuse(
            f"rmo's editor would have changed more than the review fields of {name}, so "
            "nothing was changed. Add the review.log entry by hand (`rmo validate` checks "
            "it), and please report the file's layout."
        )
    rewritten = _rewritten_lines(original, edited)
    if rewritten:
        raise _refuse(
            f"recording the review would have rewritten {len(rewritten)} other line(s) of "
            f"{name} (first: {rewritten[0].strip()!r}), probably because the file uses an "
            "indentation rmo's editor does not keep (it keeps 2-space mappings); nothing was "
            "changed. Add the review.log entry by hand, or re-indent the file and try again."
        )
    return edited, RecordedReview(
        file=name,
        date=date,
        reviewers=tuple(entry["reviewers"]),
        outcome=outcome,
        notes=entry.get("notes"),
        last_reviewed=last_reviewed,
        removed_next_due=drop,
        data=expected,
    )


_EDITED_KEYS = ("last_reviewed:", "next_due:", "log:")


def _rewritten_lines(before: bytes, after: bytes) -> list[str]:
    """Lines of `before` that the edit removed or changed, other than the review fields
    it sets (last_reviewed, next_due, an empty `log:`); comment and blank lines that
    only moved are not counted."""
    import difflib

    old = before.decode("utf-8-sig").splitlines()
    new = after.decode("utf-8-sig").splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    added = {
        line for tag, _, _, j1, j2 in matcher.get_opcodes() if tag != "equal" for line in new[j1:j2]
    }
    rewritten = []
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            for line in old[i1:i2]:
                stripped = line.strip()
                if stripped.startswith(_EDITED_KEYS):
                    continue
                if (not stripped or stripped.startswith("#")) and line in added:
                    continue
                rewritten.append(line)
    return rewritten


def _edit_review(
    path: Path, name: str, entry: dict[str, Any], index: int, last_reviewed: dt.date, drop: bool
) -> None:
    """The round-trip edit itself: insert the log entry, set last_reviewed, drop next_due."""
    from ruamel.yaml import YAMLError
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    from rmo_cli.ops.editing import edit_charter, put_trailing, take_trailing

    try:
        with edit_charter(path, "review") as document:
            review = document["review"]
            trailing = take_trailing(review)
            item = CommentedMap()
            item["date"] = dt.date.fromisoformat(entry["date"])
            log = review.get("log")
            reviewers = CommentedSeq(entry["reviewers"])
            if _flow_reviewers(log):
                reviewers.fa.set_flow_style()
            item["reviewers"] = reviewers
            item["outcome"] = entry["outcome"]
            if "notes" in entry:
                notes = entry["notes"]
                item["notes"] = LiteralScalarString(notes) if "\n" in notes else notes
            if isinstance(log, CommentedSeq) and (len(log) or not log.fa.flow_style()):
                log.insert(index, item)
            else:
                review["log"] = CommentedSeq([item])
            if "last_reviewed" in review:
                review["last_reviewed"] = last_reviewed
            else:
                keys = list(review)
                position = keys.index("cadence") + 1 if "cadence" in keys else 0
                review.insert(position, "last_reviewed", last_reviewed)
            if drop:
                del review["next_due"]
            put_trailing(review, trailing)
    except YAMLError as exc:
        raise _refuse(
            f"{name}: cannot edit this file in place ({exc}); nothing was changed"
        ) from None


def _flow_reviewers(log: Any) -> bool:
    """True unless the file's last review-log entry writes its reviewers as a block list."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(log, CommentedSeq) and len(log) and isinstance(log[-1], CommentedMap):
        reviewers = log[-1].get("reviewers")
        if isinstance(reviewers, CommentedSeq):
            return bool(reviewers.fa.flow_style())
    return True
