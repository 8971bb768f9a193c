"""The git state of work-tree files, for rendered documents: commit, clean or modified.

One scan (HEAD, `git status`, `git ls-files`) per repository through GitPython, imported
only when a file is inside a work tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def git_top(start: Path) -> Path | None:
    """The nearest folder from start upward that holds `.git`, or None (no git is run)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


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
        if git_top(folder) is None:
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
