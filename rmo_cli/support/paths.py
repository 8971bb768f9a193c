"""Real paths of the many files of one run, each folder resolved once.

`os.path.realpath` looks at every component of a path (one `lstat` each): for a portfolio of
tens of thousands of files, in folders they share, that was most of a warm run's time.
"""

from __future__ import annotations

import os
from pathlib import Path


class RealPaths:
    """`os.path.realpath` of files, for one run: a file that is not a symlink costs one
    `lstat`, and each folder named is resolved once (a symlink is resolved whole)."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def _folder(self, named: str) -> str:
        found = self._folders.get(named)
        if found is None:
            found = self._folders[named] = os.path.realpath(named or ".")
        return found

    def file(self, path: str | os.PathLike[str]) -> str:
        """The real path of a file: `os.path.realpath(path)`."""
        text = os.fspath(path)
        if os.path.islink(text):
            return os.path.realpath(text)
        folder, name = os.path.split(text)
        if name in ("", ".", ".."):
            return os.path.realpath(text)
        return os.path.join(self._folder(folder), name)

    def folder(self, path: str | os.PathLike[str]) -> Path:
        """The real folder of a file: `Path(path).resolve().parent`."""
        return Path(self.file(path)).parent
