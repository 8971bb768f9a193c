"""Amendments (SPEC §8): the in-force version from git history, and `rmo amend`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rmo_cli.charter.amendment import InForceVersion
from rmo_cli.support.errors import RmoError
from rmo_cli.support.vocabulary import AMENDING_STATUSES, VALID

if TYPE_CHECKING:
    from rmo_cli.charter.loading import Document
    from rmo_cli.rules.signoffs import Trust

    Signers = Trust | Path | None


@dataclass(frozen=True)
class InForce:
    """A charter's in-force version: the commit, the file's path there and its content."""

    ref: InForceVersion
    path: str
    data: dict[str, Any]


# One answer per (file, HEAD, signers) and run: `check` and `status` ask once a charter.
_CACHE: dict[tuple[str, str | None, str], InForce | None] = {}


def _fully_signed(doc: Document, signers: Signers) -> bool:
    """True when every party of the charter has a `valid` sign-off (today's signers)."""
    from rmo_cli.rules.signoffs import verify_document

    data = doc.data if isinstance(doc.data, dict) else {}
    parties = data.get("parties")
    ids = {
        p["id"]
        for p in (parties if isinstance(parties, list) else [])
        if isinstance(p, dict) and isinstance(p.get("id"), str)
    }
    if not ids:
        return False
    valid = {c.party for c in verify_document(doc, signers) if c.state == VALID}
    return ids <= valid


# Each folder's git repository (None outside git), looked up once a process: a portfolio
# asks git about its folder once, not once per charter. (HEAD is asked each time: commits
# happen while a language server or a test runs.)
_REPOS: dict[str, Any] = {}


def _repository(path: str | Path) -> Any:
    """The git repository holding path, or None outside git (cached by folder)."""
    import os

    from rmo_cli.adapters import git as gitrepo

    folder = os.path.dirname(os.path.abspath(path))
    if folder not in _REPOS:
        try:
            _REPOS[folder] = gitrepo.open_repo(path)
        except RmoError:
            _REPOS[folder] = None
    return _REPOS[folder]


def forget_git_state() -> None:
    """Start a new run: forget each folder's repository and HEAD and the in-force versions
    found, so that a commit made since (in a long-lived process: the language server, a
    test, a library user) is seen."""
    _REPOS.clear()
    _CACHE.clear()


def in_git(path: str | Path) -> bool:
    """True when the charter at path is in a git repository: only then can an in-force
    version (and so git history) change its sign-offs' verdicts."""
    return _repository(path) is not None


def in_force(path: str | Path, signers: Signers = None) -> InForce | None:
    """The in-force version of the charter at path (SPEC §8), or None.

    The content at the newest commit of HEAD's history (renames followed) at which every
    party had a valid sign-off, judged with today's allowed signers, register and require.
    None outside git, before the first commit, or when no commit was ever fully signed.
    """
    from rmo_cli.adapters import git as gitrepo
    from rmo_cli.charter.loading import parse_charter

    repo = _repository(path)
    if repo is None:
        return None
    try:
        relative = gitrepo.relative_path(repo, path)
        head = gitrepo.head_sha(repo)
    except RmoError:
        return None
    if head is None:
        return None
    key = (str(Path(path).resolve()), head, repr(signers))
    if key in _CACHE:
        return _CACHE[key]
    found: InForce | None = None
    try:
        entries = gitrepo.file_history(repo, relative)
    except RmoError:
        entries = []
    for entry in entries:
        if entry.blob is None:
            continue
        try:
            doc = parse_charter(
                gitrepo.read_blob_id(repo, entry.blob), f"{entry.path}@{entry.sha[:7]}"
            ).document
        except (OSError, ValueError):
            continue
        if doc is None or not isinstance(doc.data, dict) or not _fully_signed(doc, signers):
            continue
        from rmo_cli.charter.fingerprint import fingerprint

        version = doc.data.get("version")
        found = InForce(
            InForceVersion(
                fingerprint(doc.data), entry.sha, "" if version is None else str(version)
            ),
            entry.path,
            doc.data,
        )
        break
    _CACHE[key] = found
    return found


def history_matters(doc: Document, path: str | Path) -> bool:
    """True when git history can change doc's sign-off verdicts (so results that hold them
    are not cached): the in-force version matters and the charter is in git."""
    return in_force_matters(doc.data) and in_git(path)


def in_force_matters(data: Any) -> bool:
    """True when a charter's in-force version can change its sign-offs' verdicts: it has
    sign-offs and one of them does not match the content, or its status says an amendment
    may be in progress. Depends on the charter alone (results that do not may be cached)."""
    from rmo_cli.charter.fingerprint import fingerprint

    if not isinstance(data, dict):
        return False
    signoffs = data.get("signoffs")
    if not isinstance(signoffs, list) or not signoffs:
        return False
    if str(data.get("status")) in AMENDING_STATUSES:
        return True
    current = fingerprint(data)
    return any(isinstance(s, dict) and s.get("fingerprint") != current for s in signoffs)


def in_force_for(doc: Document, path: str | Path, signers: Signers) -> InForceVersion | None:
    """The in-force version when it can matter for doc's sign-offs (see `in_force_matters`),
    else None without asking git."""
    if not in_force_matters(doc.data):
        return None
    found = in_force(path, signers)
    return None if found is None else found.ref


def in_force_revision(path: str | Path) -> str | None:
    """The commit SHA of the charter's in-force version (the default redline base), or None."""
    from rmo_cli.ops.trust import trust_for

    found = in_force(path, trust_for(Path(path)))
    return None if found is None else found.ref.commit


# --- rmo amend ----------------------------------------------------------------------------


def bump_version(version: str) -> str:
    """The next amendment version: the second number up, the rest zeroed (1.2.3 -> 1.3.0)."""
    parts = version.strip().split(".")
    if not all(re.fullmatch(r"\d+", p) for p in parts) or not parts:
        raise RmoError(
            f"version {version!r} is not numbers separated by dots; give the new one with --version"
        )
    if len(parts) == 1:
        return f"{parts[0]}.1"
    return ".".join([parts[0], str(int(parts[1]) + 1), *("0" for _ in parts[2:])])


@dataclass(frozen=True)
class AmendResult:
    """What `amend_charter` did: the versions before and after and the record added."""

    file: str
    old_version: str
    version: str
    record: dict[str, str]


def amend_charter(
    path: Path,
    summary: str,
    date: dt.date,
    version: str | None = None,
    file: str | None = None,
) -> AmendResult:
    """Start an amendment (SPEC §8): status under-review, version bumped, record appended.

    Refuses (RmoError, file byte-identical) a charter already draft, proposed or
    under-review, an unreadable one, and an empty summary. One `edit_in_place`: the file's
    edit lock is held from the read to the rename, so of two runs the second sees the
    first's under-review and is refused.
    """
    from rmo_cli.ops.editing import edit_in_place

    path = Path(path)
    name = file or str(path)

    def plan(original: bytes, doc: Document) -> tuple[bytes, AmendResult]:
        return _plan_amendment(path, original, doc, name, summary, date, version)

    return edit_in_place(
        path,
        name,
        plan,
        refuse=RmoError,
        unreadable=lambda _: RmoError(
            f"{name} cannot be read; fix it first (see 'rmo validate {name}')"
        ),
    )


def _plan_amendment(
    path: Path,
    original: bytes,
    doc: Document,
    name: str,
    summary: str,
    date: dt.date,
    version: str | None,
) -> tuple[bytes, AmendResult]:
    """The charter's bytes with the amendment started, and what it did (nothing written)."""
    from rmo_cli.ops.scaffold import check_text

    if not isinstance(doc.data, dict):
        raise RmoError(f"{name} cannot be read; fix it first (see 'rmo validate {name}')")
    data = doc.data
    status = data.get("status")
    if isinstance(status, str) and status in AMENDING_STATUSES:
        raise RmoError(
            f"{name}: status is {status}, so it is not an agreed charter; an amendment starts "
            "from an active (or suspended) charter: edit this one directly"
        )
    try:
        summary = check_text(summary, "summary")
    except RmoError as exc:
        raise RmoError(f"--summary: {exc.message}") from None
    if not summary.strip():
        raise RmoError("--summary: say in a sentence what the amendment changes")
    old_version = "" if data.get("version") is None else str(data.get("version"))
    if version is not None:
        new_version = check_text(version, "version").strip()
        if not re.fullmatch(r"\d+\.\d+(\.\d+)?", new_version):
            raise RmoError(f"--version {new_version!r}: give MAJOR.MINOR or MAJOR.MINOR.PATCH")
    else:
        new_version = bump_version(old_version)
    if new_version == old_version:
        raise RmoError(f"--version {new_version}: the charter is at that version already")
    record = {"version": new_version, "date": date.isoformat(), "summary": summary}
    final = _write_amendment(path, original, name, data, new_version, record)
    return final, AmendResult(name, old_version, new_version, record)


def _write_amendment(
    path: Path,
    original: bytes,
    name: str,
    data: dict[str, Any],
    version: str,
    record: dict[str, str],
) -> bytes:
    """The charter's bytes with status, version and the amendments list edited, checked."""
    from rmo_cli.charter.loading import parse_charter
    from rmo_cli.ops.editing import edit_block

    expected = dict(data)
    expected["status"] = "under-review"
    expected["version"] = version
    earlier = data.get("amendments")
    expected["amendments"] = [*(earlier if isinstance(earlier, list) else []), record]

    def reads_right(raw: bytes) -> bool:
        doc = parse_charter(raw, name).document
        if doc is None or not isinstance(doc.data, dict):
            return False
        got = dict(doc.data)
        amendments = got.get("amendments")
        if isinstance(amendments, list):
            got["amendments"] = [
                {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in a.items()}
                if isinstance(a, dict)
                else a
                for a in amendments
            ]
        return got == expected

    current = original
    for key, edit in (
        ("status", lambda d: _set_scalar(d, "status", "under-review", name)),
        ("version", lambda d: _set_scalar(d, "version", version, name)),
        ("amendments", lambda d: _append_record(d, record, name)),
    ):
        last = key == "amendments"
        result = edit_block(
            path,
            current,
            key,
            edit,
            reads_right if last else (lambda raw: parse_charter(raw, name).document is not None),
            "the amendment",
        )
        if result is None:
            raise RmoError(
                f"{name}: rmo's editor would have changed other content of the charter while "
                f"recording the amendment ({key}), so nothing was changed; edit status, version "
                "and amendments by hand"
            )
        current = result
    return current


def _yaml_errors(name: str) -> Any:
    from ruamel.yaml.error import YAMLError

    return YAMLError


def _set_scalar(draft: Path, key: str, value: str, name: str) -> None:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    from rmo_cli.ops.editing import edit_charter

    try:
        with edit_charter(draft, key) as document:
            old = document.get(key)
            if isinstance(old, str) and type(old) is not str:
                document[key] = type(old)(value)  # the same quoting as before
            elif key == "version":
                document[key] = DoubleQuotedScalarString(value)
            else:
                document[key] = value
    except _yaml_errors(name) as exc:
        raise RmoError(
            f"{name}: cannot edit this file in place ({exc}); nothing was written"
        ) from None


def _append_record(draft: Path, record: dict[str, str], name: str) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from rmo_cli.ops.editing import edit_charter, put_trailing, take_trailing

    item = CommentedMap()
    item["version"] = record["version"]
    item["date"] = dt.date.fromisoformat(record["date"])
    item["summary"] = record["summary"]
    try:
        with edit_charter(draft, "amendments") as document:
            amendments = document.get("amendments")
            if not isinstance(amendments, list) or not amendments:
                amendments = CommentedSeq()
                document["amendments"] = amendments
            trailing = take_trailing(amendments)
            amendments.append(item)
            put_trailing(amendments, trailing)
    except _yaml_errors(name) as exc:
        raise RmoError(
            f"{name}: cannot edit this file in place ({exc}); nothing was written"
        ) from None


# --- the redline's base ---------------------------------------------------------------------


@dataclass(frozen=True)
class RedlineBase:
    """What a redline compares against: the old content and the words naming it."""

    data: dict[str, Any]
    label: str
    commit: str


def redline_base(path: str | Path, rev: str | None) -> RedlineBase:
    """The charter at rev (default: its in-force version) for `rmo render --redline`.

    Without git history, or without an in-force version when rev is None, an RmoError
    (exit 2) saying so.
    """
    from rmo_cli.adapters import git as gitrepo
    from rmo_cli.ops.history import load_at_revision, path_at_revision
    from rmo_cli.ops.trust import trust_for

    try:
        repo = gitrepo.open_repo(path)
    except RmoError:
        raise RmoError(
            f"{path}: --redline needs the charter's git history, and it is not in a git repository"
        ) from None
    if rev is None:
        found = in_force(path, trust_for(Path(path)))
        if found is None:
            raise RmoError(
                f"{path}: no in-force version to compare with (no commit has a valid sign-off "
                "from every party); give the revision: --redline REV"
            )
        version = found.ref.version
        return RedlineBase(
            found.data, f"version {version} in force (commit {found.ref.short})", found.ref.commit
        )
    sha = gitrepo.resolve_revision(repo, rev)
    relative = gitrepo.relative_path(repo, path)
    old_path = path_at_revision(repo, sha, relative)
    if old_path is None:
        raise RmoError(f"{path} does not exist at {rev} ({sha[:7]})")
    loaded = load_at_revision(repo, sha, old_path)
    if loaded.document is None or not isinstance(loaded.document.data, dict):
        raise RmoError(f"{path} at {rev} ({sha[:7]}) cannot be read as a charter")
    data = loaded.document.data
    shown = data.get("version")
    return RedlineBase(data, f"version {shown} (commit {sha[:7]})", sha)


@dataclass(frozen=True)
class AmendmentStatus:
    """For `rmo status` and `rmo log`: the in-force version, and whether an amendment of it
    is in progress (the working content differs and the status is draft, proposed or
    under-review)."""

    in_force: InForceVersion | None
    pending: bool
    version: str | None


def amendment_status(path: str | Path, data: dict[str, Any] | None = None) -> AmendmentStatus:
    """The in-force version of the charter at path and whether an amendment is pending."""
    from rmo_cli.charter.amendment import amendment_state
    from rmo_cli.charter.loading import read_charter
    from rmo_cli.ops.trust import trust_for

    found = in_force(path, trust_for(Path(path)))
    if found is None:
        return AmendmentStatus(None, False, None)
    if data is None:
        doc = read_charter(Path(path), str(path)).document
        data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    ref = found.ref
    version = data.get("version")
    return AmendmentStatus(
        ref, amendment_state(data, ref) == "amending", None if version is None else str(version)
    )
