"""Atomic file writes: the one writer every command uses for what it saves."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import Iterator
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
    if mode is not None and stat.S_ISREG(mode) and not mode & 0o222:
        # Renaming over a read-only file succeeds for its owner (and root): ask the bits.
        raise RmoError(f"cannot write {path}: the file is read-only (chmod u+w to allow it)")
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
        clean_stale_temporaries(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}", suffix=".tmp", dir=folder)
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


# Temporary files are `.NAME.rmo-XXXXXXXX.tmp`: hidden, not `*.yaml`, so folder walks and
# charter globs pass them by; one left by a killed run is removed by the next write.
TEMP_MARK = ".rmo-"
_STALE_AFTER = 600.0  # seconds; a write takes milliseconds
LOCK_TIMEOUT = 5.0  # seconds a run waits for another run editing the same file


def clean_stale_temporaries(path: Path, max_age: float = _STALE_AFTER) -> None:
    """Remove temporary files of path's writes older than max_age seconds (a killed run's)."""
    folder = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}{TEMP_MARK}"
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    if now - entry.stat(follow_symlinks=False).st_mtime >= max_age:
                        os.unlink(entry.path)


@contextlib.contextmanager
def locked(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the edit lock of path (`fcntl.flock` on `.NAME.rmo-lock` beside it).

    Every in-place edit holds it across read, edit, check and rename, so two runs never
    lose each other's change. Waiting longer than timeout is an RmoError (exit 2); the file
    is not touched then. Stale temporary files of killed runs are removed under the lock.
    """
    import fcntl

    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    folder = path.parent if str(path.parent) else Path(".")
    lock_path = folder / f".{path.name}{TEMP_MARK}lock"
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise RmoError(f"cannot lock {path}: {exc.strerror or exc}") from None
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise RmoError(f"cannot lock {path}: {exc.strerror or exc}") from None
                    if time.monotonic() >= deadline:
                        raise RmoError(
                            f"{path} is being edited by another rmo run (waited "
                            f"{timeout:g} s for {lock_path.name}); nothing was changed, "
                            "try again"
                        ) from None
                    time.sleep(0.02)
            # The holder before us may have removed the lock file: lock the one in place.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)
    try:
        clean_stale_temporaries(path, max_age=0.0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock_path)
        os.close(fd)
