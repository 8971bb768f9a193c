"""Charter history over git: a charter at a revision, `rmo log` rows and cache, `rmo diff` sides."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from rmo_cli.adapters.git import (
    _SHOWN,
    WORKING_TREE,
    GitRepo,
    file_history,
    head_sha,
    open_repo,
    read_blob,
    read_blob_id,
    relative_path,
    repo_root,
    resolve_revision,
    tree_changes,
)
from rmo_cli.support.errors import RmoError

if TYPE_CHECKING:
    from rmo_cli.charter.loading import LoadResult


def path_at_revision(
    repo: GitRepo,
    sha: str,
    path: str,
    other: str | None = None,
    charter_id: str | None = None,
) -> str | None:
    """Where the file now at path was at commit sha, following renames; None if absent.

    `other` is the revision where the file is at `path` (None: the working tree). A rename
    git guesses from the two trees alone is taken only when the charter id matches; else
    the file's own history decides; a file moved without git (plain `mv`) is found by
    `charter_id` among the files the newer side lost.
    """
    if read_blob(repo, sha, path) is not None:
        return path
    renames, deleted = tree_changes(repo, sha, other)
    old = renames.get(path)
    if old is not None and charter_id is not None and _has_id(repo, sha, old, charter_id):
        return old
    # The file's own history, one commit at a time (this walk is the slow path).
    start = other or head_sha(repo)
    if start is not None and read_blob(repo, start, path) is not None:
        copied = False
        for entry in file_history(repo, path, start):
            # Past a copy (a charter started from another) only the same charter id counts.
            copied = copied or entry.status == "C"
            for name in (entry.path, entry.old_path):
                if not name or name == path or read_blob(repo, sha, name) is None:
                    continue
                if not copied or charter_id is None or _has_id(repo, sha, name, charter_id):
                    return name
    if charter_id is not None:
        for candidate in deleted:
            if candidate.endswith((".yaml", ".yml")) and _has_id(repo, sha, candidate, charter_id):
                return candidate
    return None


def _has_id(repo: GitRepo, sha: str, path: str, charter_id: str) -> bool:
    """True when path at sha is a readable charter whose `id` is charter_id."""
    from rmo_cli.charter.loading import parse_charter

    raw = read_blob(repo, sha, path)
    if raw is None:
        return False
    doc = parse_charter(raw, path).document
    return doc is not None and isinstance(doc.data, dict) and doc.data.get("id") == charter_id


def load_at_revision(repo: GitRepo, sha: str, path: str) -> LoadResult:
    """The charter at path in commit sha, read under the reading rules (display `path@sha7`)."""
    from rmo_cli.charter.loading import parse_charter

    raw = read_blob(repo, sha, path)
    name = f"{path}@{sha[:7]}"
    if raw is None:
        raise RmoError(f"{path} does not exist at {sha[:7]}")
    return parse_charter(raw, name)


class LogRow(NamedTuple):
    """One commit of a charter's history with its version, status and what happened."""

    sha: str
    date: str
    author: str
    email: str
    subject: str
    path: str
    version: Any
    status: Any
    events: list[str]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `rmo log --format json`."""
        return self._asdict()


_CACHE_FORMAT = 2


class _BlobSummary(NamedTuple):
    id: Any
    version: Any
    status: Any
    problem: str | None


class _LogCache:
    """One charter's per-blob summaries and per-step words, keyed by blob SHAs.

    Kept in `.git/rmo/log/<hash of the path>.json`, so a second `rmo log` of the charter
    needn't read or parse any version again, and its cost doesn't grow with how many other
    charters were logged. Blob SHAs never change meaning; entries this run didn't use (a
    rewritten history) are dropped when it is written back. Any problem reading or writing
    it only costs speed.
    """

    def __init__(self, repo: GitRepo, path: str, enabled: bool) -> None:
        import hashlib

        from rmo_cli import __version__

        self.version = __version__
        name = hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()[:20]
        self.file = repo.common_dir / "rmo" / "log" / f"{name}.json"
        self.enabled = enabled
        self.blobs: dict[str, list[Any]] = {}
        self.steps: dict[str, list[str]] = {}
        self.used: set[str] = set()
        self.learnt = False
        if enabled:
            self._load()

    def _load(self) -> None:
        import json

        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if (
            isinstance(data, dict)
            and data.get("format") == _CACHE_FORMAT
            and data.get("rmo") == self.version
            and isinstance(data.get("blobs"), dict)
            and isinstance(data.get("steps"), dict)
        ):
            self.blobs, self.steps = data["blobs"], data["steps"]

    def blob(self, key: str) -> list[Any] | None:
        self.used.add(key)
        return self.blobs.get(key)

    def step(self, key: str) -> list[str] | None:
        self.used.add(key)
        return self.steps.get(key)

    def save(self) -> None:
        """Write back what this run used, when it learnt or dropped something (best effort)."""
        import json

        from rmo_cli.support.atomic import atomic_write

        if not self.enabled:
            return
        blobs = {k: v for k, v in self.blobs.items() if k in self.used}
        steps = {k: v for k, v in self.steps.items() if k in self.used}
        if not self.learnt and len(blobs) + len(steps) == len(self.blobs) + len(self.steps):
            return
        payload = {"format": _CACHE_FORMAT, "rmo": self.version, "blobs": blobs, "steps": steps}
        try:
            atomic_write(self.file, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
        except (RmoError, OSError):
            pass


def charter_log(
    repo: GitRepo, path: str, rev: str | None = None, cache: bool = True
) -> list[LogRow]:
    """The commits that changed a charter, newest first, each told in words.

    Follows renames; stops at the commit where the charter began as a copy of another
    one (a different id). Versions git cannot read as a charter are rows that say so.
    `path` is repository-relative, `rev` a resolved SHA (default HEAD).
    """
    # Parsing and diffing are imported only when the cache lacks something.
    entries = file_history(repo, path, rev)
    store = _LogCache(repo, path, cache)
    parsed: dict[str, tuple[dict[str, Any] | None, str | None]] = {}

    def full(blob: str) -> tuple[dict[str, Any] | None, str | None]:
        """(data, problem) of the charter in a blob."""
        if blob not in parsed:
            from rmo_cli.charter.loading import parse_charter

            result = parse_charter(read_blob_id(repo, blob), f"{path}@{blob[:7]}")
            doc = result.document
            if doc is None or not isinstance(doc.data, dict):
                first = result.findings[0].message if result.findings else "cannot be read"
                parsed[blob] = (None, first)
            else:
                parsed[blob] = (doc.data, None)
        return parsed[blob]

    def summary(blob: str | None) -> _BlobSummary | None:
        if blob is None:
            return None
        known = store.blob(blob)
        if isinstance(known, list) and len(known) == 4:
            return _BlobSummary(*known)
        data, problem = full(blob)
        found = _BlobSummary(
            data.get("id") if data else None,
            data.get("version") if data else None,
            data.get("status") if data else None,
            problem,
        )
        store.blobs[blob] = list(found)
        store.learnt = True
        return found

    def step(old_blob: str, new_blob: str) -> list[str]:
        key = f"{old_blob}>{new_blob}"
        known = store.step(key)
        if isinstance(known, list) and all(isinstance(word, str) for word in known):
            return known
        from rmo_cli.charter.diff import describe_step

        words = describe_step(full(old_blob)[0], full(new_blob)[0])
        store.steps[key] = words
        store.learnt = True
        return words

    _prefill(repo, path, entries, store)
    rows: list[LogRow] = []
    for entry in entries:
        # Each commit against its own (first) parent, not against the row below it: on a
        # branchy history the row below may be on another branch.
        here, before = summary(entry.blob), summary(entry.old_blob)
        events: list[str] = []
        if entry.status in ("R", "C") and entry.old_path:
            verb = "renamed" if entry.status == "R" else "copied"
            events.append(f"{verb} from {entry.old_path}")
        copied_from_another = (
            entry.status == "C"
            and here is not None
            and before is not None
            and here.problem is None
            and before.problem is None
            and before.id != here.id
        )
        if here is None:
            events.append("deleted")
        elif here.problem is not None:
            events.append(f"unreadable at this commit: {here.problem}")
        elif copied_from_another:
            events = [f"created (copied from {entry.old_path})"]
        elif before is None or entry.old_blob is None:
            events = events or ["created"]
        elif before.problem is not None:
            events.append("readable again")
        else:
            events.extend(step(entry.old_blob, entry.blob or ""))
        rows.append(
            LogRow(
                entry.sha,
                entry.date,
                entry.author,
                entry.email,
                entry.subject,
                entry.path,
                here.version if here else None,
                here.status if here else None,
                events,
            )
        )
        if copied_from_another:
            break  # started as a copy of another charter: its history ends here
    store.save()
    return rows


# Versions to parse before a cold `rmo log` parses them in worker processes.
PARALLEL_VERSIONS = 200


def _prefill(repo: GitRepo, path: str, entries: list[Any], store: _LogCache) -> None:
    """Parse the versions the log cache lacks in worker processes, many at a time.

    Each worker takes a run of consecutive commits with the bytes of their versions, parses
    each version once (no positions: the log needs none) and sends back only the summaries
    and the worded steps, which `charter_log` then finds as if they were cached. Below
    PARALLEL_VERSIONS missing versions (or with one worker) nothing is done here.
    """
    missing = {
        blob
        for entry in entries
        for blob in (entry.blob, entry.old_blob)
        if blob is not None and blob not in store.blobs
    }
    if len(missing) < PARALLEL_VERSIONS:
        return  # (a warm log stops here, before importing any parser)
    from rmo_cli.support.parallel import parallel_map, worker_count

    workers = worker_count(len(missing))
    if workers <= 1:
        return

    pairs = [(entry.old_blob, entry.blob) for entry in entries]
    size = max(16, -(-len(pairs) // (workers * 4)))
    chunks = [pairs[i : i + size] for i in range(0, len(pairs), size)]
    tasks = []
    for chunk in chunks:
        blobs = {b for pair in chunk for b in pair if b is not None}
        tasks.append((path, chunk, {b: read_blob_id(repo, b) for b in blobs}))
    for summaries, steps in parallel_map(_log_chunk, tasks, workers):
        for blob, found in summaries.items():
            store.blobs.setdefault(blob, found)
        for key, words in steps.items():
            store.steps.setdefault(key, words)
    store.learnt = True


def _log_chunk(
    task: tuple[str, list[tuple[str | None, str | None]], dict[str, bytes]],
) -> tuple[dict[str, list[Any]], dict[str, list[str]]]:
    """Summaries of a run of versions and the worded step of each commit (in a worker)."""
    from rmo_cli.charter.diff import describe_step
    from rmo_cli.charter.loading import parse_charter

    path, pairs, raws = task
    parsed: dict[str, tuple[dict[str, Any] | None, str | None]] = {}
    for blob, raw in raws.items():
        result = parse_charter(raw, f"{path}@{blob[:7]}", positions=False)
        doc = result.document
        if doc is None or not isinstance(doc.data, dict):
            first = result.findings[0].message if result.findings else "cannot be read"
            parsed[blob] = (None, first)
        else:
            parsed[blob] = (doc.data, None)
    summaries: dict[str, list[Any]] = {}
    for blob, (data, problem) in parsed.items():
        summaries[blob] = [
            data.get("id") if data else None,
            data.get("version") if data else None,
            data.get("status") if data else None,
            problem,
        ]
    steps: dict[str, list[str]] = {}
    for old, new in pairs:
        if old is None or new is None:
            continue
        before, after = parsed[old][0], parsed[new][0]
        if before is not None and after is not None:
            steps[f"{old}>{new}"] = describe_step(before, after)
    return summaries, steps


class DiffSides(NamedTuple):
    """A charter at two revisions, ready to compare: SHAs, labels, paths and loaded files.

    `new_sha` is None for the working tree. `old`/`new` are `LoadResult`s: a side git
    holds but that cannot be read as a charter has `document` None and findings saying why.
    `old_path` and `old` are None for a charter that did not exist at the old revision (a
    new charter, as in a pull request that adds one: everything in it is added).
    """

    old_sha: str
    new_sha: str | None
    old_label: str
    new_label: str
    old_path: str | None
    new_path: str
    old: LoadResult | None
    new: LoadResult
    copied: bool = False  # the old file is still there on the new side: a copy, not a rename


def diff_sides(path: str | Path, revisions: list[str]) -> DiffSides:
    """Resolve `rmo diff`'s revisions for the charter at path and load both sides.

    No revision: HEAD against the working tree; one: it against the working tree; two:
    the first against the second. Revisions are resolved to SHAs before anything is read;
    the charter's path at each side follows renames. Problems are RmoError (exit 2).
    """
    from rmo_cli.charter.loading import read_charter

    path = Path(path)
    if path.is_dir():
        raise RmoError(f"{path} is a folder; give one charter file (or a charter id)")
    repo = open_repo(path)
    shas = [resolve_revision(repo, rev) for rev in revisions]
    labels = list(revisions)
    if not shas:
        head = head_sha(repo)
        if head is None:
            raise RmoError(f"{repo_root(repo)} has no commits yet: nothing to compare with")
        shas, labels = [head], ["HEAD"]
    rel = relative_path(repo, path)
    old_sha = shas[0]
    new_sha = shas[1] if len(shas) > 1 else None
    current = read_charter(path, str(path)) if path.is_file() else None
    data = current.document.data if current is not None and current.document else None
    charter_id = data.get("id") if isinstance(data, dict) else None
    if new_sha is None:
        if current is None:
            raise RmoError(
                f"{path}: not in the working tree; to compare two commits give REV_A REV_B"
            )
        new_path, new_result = rel, current
    else:
        found = path_at_revision(repo, new_sha, rel, None, charter_id)
        if found is None:
            raise RmoError(f"{rel} does not exist at {_label(labels[1], new_sha)}")
        new_path, new_result = found, load_at_revision(repo, new_sha, found)
    old_path = path_at_revision(repo, old_sha, new_path, new_sha, charter_id)
    copied = (
        old_path is not None
        and old_path != new_path
        and (
            (repo.root / old_path).is_file()
            if new_sha is None
            else read_blob(repo, new_sha, old_path) is not None
        )
    )
    return DiffSides(
        old_sha,
        new_sha,
        _label(labels[0], old_sha),
        _label(labels[1], new_sha) if new_sha else WORKING_TREE,
        old_path,
        new_path,
        load_at_revision(repo, old_sha, old_path) if old_path is not None else None,
        new_result,
        copied,
    )


def _label(rev: str, sha: str) -> str:
    """How a side is named: `main (4a8f42e)`, or just `4a8f42e` when a SHA was typed."""
    if sha.startswith(rev.lower()):
        return sha[:7]
    shown = rev if len(rev) <= _SHOWN else rev[:_SHOWN] + "…"
    return f"{shown} ({sha[:7]})"
