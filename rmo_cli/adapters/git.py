"""All of rmo's git access: safe revisions, blobs from the object database, renames followed.

Every revision a user types is resolved to a commit SHA by `git rev-parse --verify
--end-of-options REV^{commit}` before anything else sees it, so an option-like revision
(`--output=x`) can never reach a git command as an option. Blobs are read through
GitPython's object database (one `cat-file --batch` process, not one process per file).
A file's history is ONE `git log --follow` call.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from rmo_cli.support.errors import RmoError

if TYPE_CHECKING:
    from git import Repo


WORKING_TREE = "working tree"
UNSHALLOW_HINT = (
    "this is a shallow clone, so its history is incomplete: run 'git fetch --unshallow' "
    "(in GitHub Actions, set 'fetch-depth: 0' on actions/checkout)"
)
_SHOWN = 80  # characters of a revision quoted back in a message
# Options that keep a user's git configuration out of output rmo parses.
_PLUMBING = ("--no-color", "--no-ext-diff", "--no-textconv")
_RECORD = "\x1e"
_FIELD = "\x1f"
_LOG_FORMAT = f"{_RECORD}%H{_FIELD}%P{_FIELD}%an{_FIELD}%ae{_FIELD}%aI{_FIELD}%s"
_RECORD_START = re.compile(f"{_RECORD}(?=[0-9a-f]{{40,64}}{_FIELD})")


class LogEntry(NamedTuple):
    """One commit that changed a file: its SHA and the file's path at that commit first.

    `status` is git's letter (A, M, R, C, D, T); `old_path` the name before a rename or
    copy; `blob` the file's blob SHA after the commit (None when it was deleted);
    `old_blob` its blob in the commit's first parent (None when it was created there).
    """

    sha: str
    path: str
    status: str
    old_path: str | None
    blob: str | None
    author: str
    email: str
    date: str
    subject: str
    old_blob: str | None = None
    parents: tuple[str, ...] = ()


class GitRepo:
    """A git repository with a working tree: its folders, and GitPython on first use.

    Finding the repository is one `git rev-parse`; GitPython (and its import, a third of
    rmo's start-up) is only loaded when a blob must be read, so `rmo log` with a warm
    cache never loads it.
    """

    def __init__(self, root: Path, git_dir: Path, common_dir: Path, shallow: bool) -> None:
        self.root = root
        self.git_dir = git_dir
        self.common_dir = common_dir
        self.shallow = shallow
        self._objects: Repo | None = None

    @property
    def objects(self) -> Repo:
        """GitPython's view of the repository, for reading commits, trees and blobs."""
        if self._objects is None:
            import git

            self._objects = git.Repo(self.root)
        return self._objects


def run_git(
    cwd: str | Path, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run git in cwd with arguments as a list (no shell), output as bytes.

    The environment keeps a user's setup out of what rmo parses: no prompts, no optional
    locks, no external diff driver, paths printed unquoted.
    """
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    env.pop("GIT_EXTERNAL_DIFF", None)
    try:
        return subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=env,
            check=False,
        )
    except FileNotFoundError as exc:
        if exc.filename == "git":
            raise RmoError("git is not installed or not on PATH") from None
        raise RmoError(f"{cwd}: no such folder") from None
    except OSError as exc:
        raise RmoError(f"cannot run git in {cwd}: {exc.strerror or exc}") from None


def open_repo(path: str | Path) -> GitRepo:
    """The git repository holding path (searched upward); exit 2 when there is none."""
    # The nearest existing folder: a deleted charter (and its folder) still has a history.
    start = Path(os.path.abspath(path))
    while not start.is_dir() and start != start.parent:
        start = start.parent
    done = run_git(
        start,
        "rev-parse",
        "--absolute-git-dir",
        "--git-common-dir",
        "--is-shallow-repository",
        "--is-bare-repository",
        "--show-toplevel",  # last: it fails in a bare repository, after the others printed
    )
    lines = os.fsdecode(done.stdout).splitlines()
    if len(lines) < 4:
        problem = os.fsdecode(done.stderr).strip().splitlines()
        detail = problem[0].removeprefix("fatal: ") if problem else ""
        if "not a git repository" in detail or not detail:
            raise RmoError(
                f"{path}: not in a git repository; 'rmo diff' and 'rmo log' read the "
                "charter's git history (run 'git init' and commit the charter first)"
            )
        raise RmoError(f"{path}: git cannot read the repository here: {detail}")
    git_dir, common_dir, shallow, bare = lines[:4]
    if bare == "true":
        raise RmoError(f"{git_dir}: a bare repository has no working tree")
    if done.returncode != 0 or len(lines) < 5:
        raise RmoError(f"{path}: not in the working tree of the repository at {git_dir}")
    # --git-common-dir is relative to start unless absolute (--path-format needs git 2.31).
    common = (start / common_dir).resolve()
    return GitRepo(Path(lines[4]), Path(git_dir), common, shallow == "true")


def repo_root(repo: GitRepo) -> Path:
    """The top folder of the repository's working tree."""
    return repo.root


def is_shallow(repo: GitRepo) -> bool:
    """True for a shallow clone (what `git rev-parse --is-shallow-repository` said)."""
    return repo.shallow


def require_full_history(repo: GitRepo) -> None:
    """Refuse a shallow clone, whose oldest commit looks as if it added every file."""
    if is_shallow(repo):
        raise RmoError(f"{repo_root(repo)}: {UNSHALLOW_HINT}")


def _git(
    repo: GitRepo, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run git at the top of the repository's working tree."""
    return run_git(repo.root, *args, stdin=stdin)


def resolve_revision(repo: GitRepo, rev: str) -> str:
    """The full commit SHA a user's revision names; exit 2 for an unsafe or unknown one."""
    if not rev or not rev.strip():
        raise RmoError("an empty revision names no commit; give a branch, tag or commit SHA")
    shown = repr(rev if len(rev) <= _SHOWN else rev[:_SHOWN] + "…")
    if rev.startswith("-"):
        raise RmoError(
            f"revision {shown} looks like an option, not a revision; revisions may not start "
            "with '-'"
        )
    if any(ch in rev for ch in "\0\n\r"):
        raise RmoError(f"revision {shown} contains a control character")
    done = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if done.returncode != 0 and rev.startswith(":/"):
        # `:/text` searches commit messages: peeling would search for "text^{commit}".
        found = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", rev)
        object_id = found.stdout.decode("ascii", "replace").strip()
        if found.returncode == 0 and object_id:
            done = _git(repo, "rev-parse", "--verify", "--quiet", f"{object_id}^{{commit}}")
    sha = done.stdout.decode("ascii", "replace").strip()
    if done.returncode != 0 or len(sha) < 40:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        message = f"unknown revision {shown}: no such commit in {repo_root(repo)}"
        if detail and "fatal" in detail[0]:
            message += f" ({detail[0].removeprefix('fatal: ')})"
        if is_shallow(repo):
            message += f"; {UNSHALLOW_HINT}"
        else:
            message += "; 'git log --oneline' lists the commits"
        raise RmoError(message)
    return sha


def head_sha(repo: GitRepo) -> str | None:
    """HEAD's commit SHA, or None in a repository without commits yet."""
    done = _git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    sha = done.stdout.decode("ascii", "replace").strip()
    return sha if done.returncode == 0 and sha else None


def relative_path(repo: GitRepo, path: str | Path) -> str:
    """A path (relative to the current directory) as a repository path with `/` separators."""
    root = repo_root(repo).resolve()
    absolute = Path(os.path.abspath(path))
    try:
        rel = absolute.relative_to(root)
    except ValueError:
        try:
            rel = absolute.resolve().relative_to(root)
        except ValueError:
            raise RmoError(f"{path}: outside the git repository at {root}") from None
    return rel.as_posix()


_SYMLINK_MODE = 0o120000
_SYMLINK_HOPS = 8


def read_blob(repo: GitRepo, sha: str, path: str) -> bytes | None:
    """The exact bytes of path at commit sha (a resolved SHA), or None when it is not there.

    A symlink committed in place of the charter is followed inside that commit's tree (git
    stores a link as its target's name), as the working tree would follow it.
    """
    import posixpath

    try:
        tree = repo.objects.commit(sha).tree
    except (KeyError, ValueError):
        return None
    for _ in range(_SYMLINK_HOPS):
        try:
            item = tree / path
        except (KeyError, ValueError):
            return None
        if item.type != "blob":
            return None
        data: bytes = item.data_stream.read()
        if item.mode != _SYMLINK_MODE:
            return data
        target = os.fsdecode(data)
        if target.startswith("/"):
            return None  # outside the repository
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if path.startswith("../"):
            return None
    return None  # a loop of links


def read_blob_id(repo: GitRepo, blob_sha: str) -> bytes:
    """The bytes of a blob by its SHA (from `file_history`), straight from the object database."""
    data: bytes = repo.objects.odb.stream(bytes.fromhex(blob_sha)).read()
    return data


def file_history(repo: GitRepo, path: str, rev: str | None = None) -> list[LogEntry]:
    """Commits that changed path, newest first, following renames (one `git log` call).

    `path` is repository-relative; `rev` a SHA from `resolve_revision` (default HEAD).
    A repository without commits has no history: [].
    """
    # HEAD is not user input; a user's revision arrives here already resolved to a SHA.
    start = rev or "HEAD"
    done = _git(
        repo,
        "log",
        "--follow",
        "-M",
        "--diff-merges=first-parent",  # a merge that changed the file, against its mainline
        "--topo-order",  # a commit before its parents, even within the same second
        "--raw",
        "--no-abbrev",
        "-z",
        "--no-show-signature",
        *_PLUMBING,
        f"--format={_LOG_FORMAT}",
        "--end-of-options",
        start,
        "--",
        path,
    )
    if done.returncode != 0:
        if rev is None and head_sha(repo) is None:
            return []  # no commits yet
        detail = done.stderr.decode("utf-8", "replace").strip()
        raise RmoError(f"git log failed for {path}: {detail or 'exit ' + str(done.returncode)}")
    return _without_merged_in(repo, parse_log(done.stdout.decode("utf-8", "replace")))


def _without_merged_in(repo: GitRepo, entries: list[LogEntry]) -> list[LogEntry]:
    """Drop merges that only brought in a version made on a merged branch.

    Against its first parent such a merge changes the file, but the change is the
    branch's commit, listed already. A merge whose version no parent has (a conflict
    resolved by hand) stays. One `git cat-file --batch-check` for all merges.
    """
    asks = [
        (entry, f"{parent}:{entry.path}")
        for entry in entries
        # A rename or copy seen at the merge is where --follow switches paths: keep it.
        if len(entry.parents) > 1
        and entry.blob
        and entry.status not in ("R", "C")
        and "\n" not in entry.path
        for parent in entry.parents[1:]
    ]
    if not asks:
        return entries
    questions = "".join(f"{spec}\n" for _, spec in asks).encode()
    answers = _git(repo, "cat-file", "--batch-check", stdin=questions).stdout.splitlines()
    merged_in = {
        entry.sha
        for (entry, _), answer in zip(asks, answers, strict=False)
        if answer.split(b" ", 1)[0].decode("ascii", "replace") == entry.blob
    }
    return [entry for entry in entries if entry.sha not in merged_in]


def parse_log(output: str) -> list[LogEntry]:
    """Parse `git log --raw -z` output in rmo's record format into entries."""
    entries: list[LogEntry] = []
    # A record starts with a SHA: a subject that happens to hold the separator stays whole.
    for record in _RECORD_START.split(output):
        if not record.strip("\0\n"):
            continue
        header, _, rest = record.partition("\0")
        fields = header.split(_FIELD)
        if len(fields) < 6:
            continue
        sha, parents, author, email, date = fields[:5]
        subject = _FIELD.join(fields[5:])
        tokens = rest.lstrip("\n").split("\0")
        status, old_path, new_path, blob, old_blob = "M", None, None, None, None
        i = 0
        while i < len(tokens):
            token = tokens[i].lstrip("\n")
            if token.startswith(":"):
                meta = token[1:].split()
                status = meta[4][:1] if len(meta) > 4 else "M"
                blob = meta[3] if len(meta) > 3 and set(meta[3]) != {"0"} else None
                old_blob = meta[2] if len(meta) > 2 and set(meta[2]) != {"0"} else None
                if status in ("R", "C"):
                    old_path, new_path = tokens[i + 1], tokens[i + 2]
                    i += 3
                else:
                    new_path = tokens[i + 1]
                    i += 2
                # --follow shows one file a commit; keep the first raw line.
                break
            i += 1
        if new_path is None:
            continue
        entries.append(
            LogEntry(
                *(sha, new_path, status, old_path, blob, author, email, date, subject, old_blob),
                tuple(parents.split()),
            )
        )
    return entries


def tree_changes(
    repo: GitRepo, old_sha: str, new_sha: str | None
) -> tuple[dict[str, str], list[str]]:
    """(new path → old path for renames, deleted paths) from old_sha to new_sha or the work tree.

    One tree comparison: its cost does not grow with the number of commits between them.
    """
    args = ["diff", "-M", "--name-status", "-z", *_PLUMBING, old_sha]
    if new_sha is not None:
        args.append(new_sha)
    done = _git(repo, *args, "--")
    renames: dict[str, str] = {}
    deleted: list[str] = []
    if done.returncode != 0:
        return renames, deleted
    tokens = done.stdout.decode("utf-8", "replace").split("\0")
    i = 0
    while i < len(tokens):
        status = tokens[i]
        if status.startswith(("R", "C")) and i + 2 < len(tokens):
            renames[tokens[i + 2]] = tokens[i + 1]
            i += 3
        elif status and i + 1 < len(tokens):
            if status.startswith("D"):
                deleted.append(tokens[i + 1])
            i += 2
        else:
            i += 1
    return renames, deleted


# ---------------------------------------------------------------------------------------
# A charter's history in words (`rmo log`)


# ---------------------------------------------------------------------------------------
# The two sides of `rmo diff`


@dataclass(frozen=True)
class GitState:
    """The commit a rendered file comes from and whether the file differs from it."""

    commit: str | None  # HEAD's short SHA, None before the first commit
    state: str  # clean | modified | untracked

    @property
    def dirty(self) -> bool:
        """True when the file on disk is not exactly what the commit holds."""
        return self.state != "clean"


@dataclass
class _RepoScan:
    """One git work tree, read once: HEAD, `git status` and the tracked files."""

    root: Path
    head: str | None
    status: dict[str, str]
    tracked: set[str]


class GitLookup:
    """Finds the git state of files: one scan (status, ls-files) per repository, not per file."""

    def __init__(self) -> None:
        self._repos: list[_RepoScan] = []
        self._missing: set[Path] = set()

    def _open(self, folder: Path) -> _RepoScan | None:
        for scan in self._repos:
            if folder == scan.root or scan.root in folder.parents:
                return scan
        if folder in self._missing:
            return None
        if not any((parent / ".git").exists() for parent in (folder, *folder.parents)):
            self._missing.add(folder)  # not in a work tree: skip importing GitPython
            return None
        try:
            import git
        except ImportError:  # pragma: no cover - GitPython is a dependency
            return None
        try:
            repo = git.Repo(folder, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            self._missing.add(folder)
            return None
        if repo.working_tree_dir is None:  # a bare repository
            self._missing.add(folder)
            return None
        try:
            # A git process, not GitPython's cat-file: one git refuses to start (a repository
            # owned by another user, safe.directory) is a GitCommandError, not a broken pipe.
            head: str | None = repo.git.rev_parse("--verify", "--quiet", "HEAD")[:12] or None
        except git.GitCommandError:  # no commit yet, or git cannot read the repository
            head = None
        try:
            status_out = repo.git.status("--porcelain=v1", "-z", "--untracked-files=all")
            tracked_out = repo.git.ls_files("-z")
        except (git.GitCommandError, OSError):
            self._missing.add(folder)
            return None
        status: dict[str, str] = {}
        entries = status_out.split("\0")
        i = 0
        while i < len(entries):
            entry = entries[i]
            i += 1
            if len(entry) < 4:
                continue
            status[entry[3:]] = entry[:2]
            if "R" in entry[:2] or "C" in entry[:2]:
                i += 1  # the source path of a rename or copy follows
        scan = _RepoScan(
            Path(repo.working_tree_dir).resolve(),
            head,
            status,
            {name for name in tracked_out.split("\0") if name},
        )
        self._repos.append(scan)
        return scan

    def state(self, path: Path) -> GitState | None:
        """The git state of a file, or None when it is not inside a git working tree."""
        path = path.resolve()
        scan = self._open(path.parent)
        if scan is None:
            return None
        rel = path.relative_to(scan.root).as_posix()
        code = scan.status.get(rel)
        if code == "??" or (not code and rel not in scan.tracked):  # new, or ignored by git
            return GitState(scan.head, "untracked")
        if code or scan.head is None:
            return GitState(scan.head, "modified")
        return GitState(scan.head, "clean")
