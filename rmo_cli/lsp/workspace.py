"""The charters checked together with an open one: the repository's, as `rmo validate` finds them.

Rules across charters (a charter id used twice) need every charter's id, not its whole
document: each file is kept as a small stand-in (id and its place), re-read when it
changes on disk, so the server's memory does not grow with the repository.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from rmo_cli.charter.loading import Document, YamlPath, read_charter
from rmo_cli.ops.repository import discover, load_config
from rmo_cli.support.errors import RmoError
from rmo_cli.support.findings import Finding


def stand_in(doc: Document) -> Document:
    """A document that holds only what the rules across charters read: the id and its place."""
    data = doc.data if isinstance(doc.data, dict) else {}
    wanted: tuple[YamlPath, ...] = ((), ("id",))
    positions = {p: doc.positions[p] for p in wanted if p in doc.positions}
    return Document(doc.file, {"id": data.get("id")}, "", positions)


class Workspace:
    """The workspace folders, the charters they hold and the per-file stand-ins."""

    def __init__(self, roots: Iterable[Path]) -> None:
        self.roots = [root.resolve() for root in roots]
        self._files: list[Path] | None = None
        self._stand_ins: dict[Path, tuple[tuple[int, int], Document | None]] = {}
        self._history: dict[Path, tuple[str, list[Finding]]] = {}
        self._outside: set[Path] = set()  # open files that are not among the charters
        self._file_set: set[Path] = set()
        # True once every charter has been read once (see warm); until then the rules
        # across charters see only those read so far.
        self.ready = False
        # True when the editor reports changes on disk (workspace/didChangeWatchedFiles):
        # a charter read before is then not stat()ed again on every keystroke.
        self.watched = False

    def display(self, path: Path) -> str:
        """The name findings use for path: relative to its workspace folder, as rmo shows it."""
        for root in self.roots:
            try:
                return path.resolve().relative_to(root).as_posix()
            except ValueError:
                continue
        return str(path)

    def files(self) -> list[Path]:
        """The charter files of every workspace folder, in the order `rmo validate` reads them."""
        if self._files is None:
            found: list[Path] = []
            for root in self.roots:
                try:
                    found.extend(f.path.resolve() for f in discover(config=load_config(root)))
                except RmoError:  # no rmo.yaml and no charters/ folder: nothing to add
                    continue
            self._files = list(dict.fromkeys(found))
            self._file_set = set(self._files)
        return self._files

    def changed(self, path: Path, created_or_deleted: bool) -> None:
        """Forget what was read from path (and the file list when files come or go)."""
        path = path.resolve()
        self._stand_ins.pop(path, None)
        self._history.pop(path, None)
        if created_or_deleted or path.name == "rmo.yaml":
            self._files = None
            self._outside.clear()

    def warm(self, limit: int) -> bool:
        """Read up to limit charters not read yet; True when all of them have been read."""
        for path in self.files():
            if path not in self._stand_ins:
                if limit <= 0:
                    return False
                self._stand_in(path)
                limit -= 1
        self.ready = True
        return True

    def _stand_in(self, path: Path) -> Document | None:
        cached = self._stand_ins.get(path)
        if cached is not None and self.watched:
            return cached[1]
        try:
            info = path.stat()
            stamp = (info.st_mtime_ns, info.st_size)
        except OSError:
            return None
        if cached is not None and cached[0] == stamp:
            return cached[1]
        loaded = read_charter(path, self.display(path)).document
        small = stand_in(loaded) if loaded is not None else None
        self._stand_ins[path] = (stamp, small)
        return small

    def collection_findings(
        self, path: Path, doc: Document, open_docs: Mapping[Path, Document]
    ) -> list[Finding]:
        """Findings of the rules across charters for doc, against the workspace's charters.

        Open files count with their editor text (open_docs), the others as saved.
        """
        from rmo_cli.rules.charter import run_collection_rules

        path = path.resolve()
        self.files()
        if path not in self._file_set and path not in self._outside and path.is_file():
            # Perhaps created since the files were listed (a client that does not report
            # new files): list them again, once per such file.
            self._files = None
            self.files()
            if path not in self._file_set:
                self._outside.add(path)
        docs: list[Document] = []
        seen = False
        for other in self.files():
            if other == path:
                docs.append(doc)
                seen = True
                continue
            current = open_docs.get(other)
            if current is not None:
                small: Document | None = stand_in(current)
            elif self.ready or other in self._stand_ins:
                small = self._stand_in(other)
            else:
                continue  # not read yet: the server checks again once all are

            if small is not None:
                docs.append(small)
        if not seen:
            docs.append(doc)
        return [f for f in run_collection_rules(docs) if f.file == doc.file]

    def history_findings(self, path: Path, doc: Document) -> list[Finding]:
        """`review-date-without-log` for doc (git history), recomputed only when it can change:
        when the review section, the saved file or (on save) the repository changes."""
        from rmo_cli.rules.reviews import history_findings

        path = path.resolve()
        review = doc.data.get("review") if isinstance(doc.data, dict) else None
        try:
            info = path.stat()
            stamp = f"{info.st_mtime_ns}:{info.st_size}"
        except OSError:
            return []  # not saved yet: there is no history to compare with
        key = stamp + json.dumps(review, sort_keys=True, default=str)
        cached = self._history.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        at_path = dataclasses.replace(doc, file=str(path))
        found = [dataclasses.replace(f, file=doc.file) for f in history_findings([at_path])]
        self._history[path] = (key, found)
        return found

    def forget_history(self, path: Path) -> None:
        """Recompute the git-history finding next time (the file was saved or committed)."""
        self._history.pop(path.resolve(), None)


def roots_from(folders: Sequence[str], fallback: str | None) -> list[Path]:
    """Workspace folder paths from the client's folders, else its root, else the current dir."""
    roots = [Path(f) for f in folders]
    if not roots and fallback:
        roots = [Path(fallback)]
    return roots or [Path(os.getcwd())]
