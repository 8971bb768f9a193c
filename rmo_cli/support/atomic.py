"""Atomic file writes: the one writer every command uses for what it saves."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from rmo_cli.support.errors import RmoError


def atomic_write(
    path: Path, content: str | bytes, *, overwrite: bool = True, fsync: bool = True
) -> None:
    """Write content to path through a temporary file renamed into place.

    With overwrite=False an existing file is an RmoError (exit 2) and nothing is written.
    fsync=False skips the flush to disk, for derived output that can be made again (rendered
    pages: one fsync a page was most of the time of rendering a folder).
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.is_symlink():
        # Through the link: the link stays a link and the file it points to changes.
        path = Path(os.path.realpath(path))
    try:
        mode: int | None = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise RmoError(f"cannot write {path}: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise RmoError(f"cannot write {path}: it is a folder")
    if not overwrite and mode is not None:
        raise RmoError(f"{path} already exists; use --force to overwrite it")
    if mode is not None and not stat.S_ISREG(mode):
        # A device or a pipe (/dev/stdout, a FIFO): written to, never replaced by a file.
        try:
            with open(path, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise RmoError(f"cannot write {path}: {exc.strerror or exc}") from None
        return
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise RmoError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            if mode is not None:
                os.chmod(tmp, mode & 0o7777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # a full disk, a quota: the old file is untouched
            raise RmoError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
