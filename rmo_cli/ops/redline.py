"""The earlier side of a redline: a charter as it was at a revision, following its path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from rmo_cli.adapters.git import GitState, open_repo, relative_path, resolve_revision
from rmo_cli.ops.history import load_at_revision, path_at_revision
from rmo_cli.support.errors import RmoError


class RevisionSide(NamedTuple):
    """A charter at a commit: its data, where it was, and the git state to show for it."""

    data: dict[str, Any]
    sha: str
    path: str
    git: GitState
    moved: bool = False  # the file was at another path then (renamed since)
    rev: str = ""  # the revision as the user named it
    label: str = ""  # how documents name this side, when not by rev ("version 1.0 in force")


def charter_at(path: str | Path, rev: str, charter_id: str | None = None) -> RevisionSide:
    """The charter now at path as it was at rev (renames followed); RmoError (exit 2) when
    rev names no commit, the charter did not exist then, or it could not be read there."""
    repo = open_repo(path)
    sha = resolve_revision(repo, rev)
    rel = relative_path(repo, path)
    found = path_at_revision(repo, sha, rel, None, charter_id)
    if found is None:
        raise RmoError(f"{rel} does not exist at {rev} ({sha[:7]}): nothing to compare with")
    loaded = load_at_revision(repo, sha, found)
    if loaded.document is None or not isinstance(loaded.document.data, dict):
        reason = loaded.findings[0].message if loaded.findings else "not a charter"
        raise RmoError(f"{found}@{sha[:7]}: cannot be read as a charter: {reason}")
    return RevisionSide(
        loaded.document.data, sha, found, GitState(sha[:12], "clean"), moved=found != rel, rev=rev
    )
