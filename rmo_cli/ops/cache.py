"""The result cache (SPEC §12): per-file results of `validate`, `check`, `reviews`, `status`
and `verify`, keyed by the file's bytes and everything else the result depends on.

It lives in one SQLite file, `$RMO_CACHE_DIR/results.sqlite3`, by default
`$XDG_CACHE_HOME/rmo/` (else `~/.cache/rmo/`). A key is a SHA-256 over: the command, rmo's
version and the bytes of its own code and schemas (so any rule or schema change invalidates
everything), the context the command names (as-of date, configuration and the files it
names, due-soon window, ...), the file's report name and its bytes. Values are JSON (never
pickle: a cache file must not be able to run code).

The cache is never required: a missing, unwritable, read-only, corrupt or locked cache file
only makes a run slower. Concurrent runs are safe (SQLite locking, WAL; a writer that cannot
get the lock in time skips writing). The size is bounded (`MAX_ENTRIES`, least recently
used first out).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# Entries kept; beyond this the least recently used tenth is dropped (about 1 KB each).
MAX_ENTRIES = 200_000
# A value larger than this is not stored (a file with thousands of findings).
MAX_VALUE_BYTES = 1_000_000
_SCHEMA_VERSION = "1"
_FILE_NAME = "results.sqlite3"
_BATCH = 500


def cache_dir() -> Path:
    """Where the cache lives: $RMO_CACHE_DIR, else $XDG_CACHE_HOME/rmo, else ~/.cache/rmo."""
    explicit = os.environ.get("RMO_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "rmo"


@cache
def code_fingerprint() -> str:
    """rmo's version plus a hash of its own code and schemas: a rule change invalidates."""
    import rmo_cli
    from rmo_cli.support.resources import schema_path

    digest = hashlib.sha256(f"rmo {rmo_cli.__version__} cache {_SCHEMA_VERSION}".encode())
    package = Path(rmo_cli.__file__).parent
    sources = sorted(package.rglob("*.py")) + sorted(schema_path().parent.glob("*.json"))
    for path in sources:
        try:
            data = path.read_bytes()
        except OSError:
            data = b"?"
        digest.update(path.name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return digest.hexdigest()


def file_token(path: Path | str | None) -> str:
    """A hash of a file's bytes (or of its absence), for keys that depend on a file."""
    if path is None:
        return "none"
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return f"unreadable:{type(exc).__name__}"
    return hashlib.sha256(data).hexdigest()


def config_token(config_file: Path | None) -> str:
    """A hash of an rmo.yaml and of every file it names (signers, register, templates, ...).

    Generic on purpose: any string value of the configuration that names an existing file
    (relative to the configuration's folder) counts, so a setting added later is covered
    without this module knowing its field.
    """
    if config_file is None:
        return "no-config"
    digest = hashlib.sha256(file_token(config_file).encode())
    try:
        import yaml

        data = yaml.safe_load(Path(config_file).read_bytes())
    except Exception:  # noqa: BLE001 - a broken config fails elsewhere; its bytes are hashed
        data = None
    root = Path(config_file).parent
    for value in sorted(set(_strings(data))):
        if len(value) > 4096 or "\0" in value:
            continue
        try:
            candidate = root / value
            if candidate.is_file():
                digest.update(value.encode() + b"\0" + file_token(candidate).encode())
        except (OSError, ValueError):
            continue
    return digest.hexdigest()


def _strings(data: Any) -> Iterable[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


class ResultCache:
    """Per-file results of one command in one context; every failure only disables it."""

    def __init__(
        self,
        kind: str,
        context: Sequence[str] = (),
        enabled: bool = True,
        location: Path | None = None,
    ) -> None:
        self.enabled = enabled and os.environ.get("RMO_NO_CACHE", "") in ("", "0")
        self._prefix = b""
        self._location = location
        self._db: Any = None
        self._pending: dict[str, str] = {}
        self._touch: list[str] = []
        self._today = int(time.time() // 86400)
        if self.enabled:
            parts = [kind, code_fingerprint(), *context]
            self._prefix = hashlib.sha256("\0".join(parts).encode()).digest()

    def key(self, name: str, raw: bytes, *extra: str) -> str:
        """The key of one file's result: the context, its report name, its bytes and extra."""
        digest = hashlib.sha256(self._prefix)
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        for part in extra:
            digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(raw)
        return digest.hexdigest()

    def _connect(self) -> Any:
        if self._db is not None or not self.enabled:
            return self._db
        import sqlite3

        folder = self._location or cache_dir()
        path = folder / _FILE_NAME
        for attempt in range(2):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(path), timeout=2.0, isolation_level=None)
                try:
                    db.execute("PRAGMA journal_mode=WAL")
                except sqlite3.Error:
                    pass  # e.g. a read-only folder: reads still work
                db.execute(
                    "CREATE TABLE IF NOT EXISTS results "
                    "(key TEXT PRIMARY KEY, value TEXT NOT NULL, used INTEGER NOT NULL)"
                )
                self._db = db
                return db
            except sqlite3.DatabaseError as exc:
                if attempt == 0 and _is_corrupt(exc) and _set_aside(path):
                    continue
                break
            except (sqlite3.Error, OSError):
                break
        try:
            # Read-only: the table may exist already even if it cannot be created.
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)
            db.execute("SELECT 1 FROM results LIMIT 1")
            self._db = db
            return db
        except Exception:  # noqa: BLE001 - no usable cache: run without it
            self.enabled = False
            return None

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        """The stored values of those keys that have one."""
        db = self._connect()
        if db is None or not keys:
            return {}
        import sqlite3

        found: dict[str, Any] = {}
        try:
            for start in range(0, len(keys), _BATCH):
                batch = list(keys[start : start + _BATCH])
                marks = ",".join("?" * len(batch))
                rows = db.execute(
                    f"SELECT key, value, used FROM results WHERE key IN ({marks})", batch
                ).fetchall()
                for key, value, used in rows:
                    try:
                        found[key] = json.loads(value)
                    except (ValueError, TypeError):
                        continue
                    if used != self._today:
                        self._touch.append(key)
        except sqlite3.Error:
            self.enabled = False
            return {}
        return found

    def get(self, key: str) -> Any | None:
        """The stored value of one key, or None."""
        return self.get_many([key]).get(key)

    def put(self, key: str, value: Any) -> None:
        """Remember a value (written by `flush`); a value that is not JSON data is skipped."""
        if not self.enabled:
            return
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=True)
        except (TypeError, ValueError, RecursionError):
            return  # not JSON data: that result is simply not kept
        if len(text) <= MAX_VALUE_BYTES:
            self._pending[key] = text

    def flush(self) -> None:
        """Write what was put and mark what was read as used today; prune to the bound."""
        db = self._connect() if (self._pending or self._touch) else None
        if db is None:
            self._pending.clear()
            self._touch.clear()
            return
        import sqlite3

        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT OR REPLACE INTO results (key, value, used) VALUES (?, ?, ?)",
                [(k, v, self._today) for k, v in self._pending.items()],
            )
            db.executemany(
                "UPDATE results SET used = ? WHERE key = ?",
                [(self._today, k) for k in self._touch],
            )
            if self._pending:
                (count,) = db.execute("SELECT COUNT(*) FROM results").fetchone()
                if count > MAX_ENTRIES:
                    drop = count - MAX_ENTRIES * 9 // 10
                    db.execute(
                        "DELETE FROM results WHERE key IN "
                        "(SELECT key FROM results ORDER BY used LIMIT ?)",
                        (drop,),
                    )
            db.execute("COMMIT")
        except sqlite3.Error:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        finally:
            self._pending.clear()
            self._touch.clear()

    def close(self) -> None:
        """Flush and close the database."""
        self.flush()
        if self._db is not None:
            try:
                self._db.close()
            except Exception:  # noqa: BLE001
                pass
            self._db = None


def _is_corrupt(exc: Exception) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def _set_aside(path: Path) -> bool:
    """Move a corrupt cache file out of the way (another run may have done it already)."""
    try:
        os.replace(path, path.with_name(f"{path.name}.broken-{os.getpid()}"))
        os.unlink(path.with_name(f"{path.name}.broken-{os.getpid()}"))
        for suffix in ("-wal", "-shm"):
            try:
                os.unlink(str(path) + suffix)
            except OSError:
                pass
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def cached_map(
    store: ResultCache,
    files: Sequence[Any],
    work: Callable[[list[tuple[Any, bytes]]], Iterable[T]],
    unreadable: Callable[[Any, Any], T],
    encode: Callable[[T], Any],
    decode: Callable[[Any, Any], T],
    block: int = 2000,
    token: Callable[[Any], str | None] | None = None,
) -> Iterator[T]:
    """Results for files (CharterFile-like: .path, .display) in order, reusing cached ones.

    Files are read in blocks (so at most a block of bytes is in memory); a file that cannot
    be read gets `unreadable(file, load_result)`; the others are looked up by their bytes,
    and the misses go to `work` (which may use worker processes) as (file, bytes) pairs,
    its results stored. decode(file, value) may raise ValueError/TypeError/KeyError/
    IndexError for a damaged entry: that file is worked on again. token(file), when given,
    is what the file's result depends on besides its bytes (in its key); None: not cached.
    """
    from rmo_cli.charter.loading import read_bytes

    for start in range(0, len(files), block):
        chunk = files[start : start + block]
        done: dict[int, T] = {}
        keys: dict[int, str] = {}
        raws: dict[int, bytes] = {}
        for index, file in enumerate(chunk):
            raw = read_bytes(file.path, file.display)
            if not isinstance(raw, bytes):
                done[index] = unreadable(file, raw)
                continue
            raws[index] = raw
            extra = token(file) if token is not None else ""
            if store.enabled and extra is not None:
                keys[index] = store.key(file.display, raw, extra)
        hits = store.get_many(list(keys.values())) if store.enabled else {}
        missing: list[int] = []
        for index in raws:
            hit = hits.get(keys.get(index, ""))
            if hit is not None:
                try:
                    done[index] = decode(chunk[index], hit)
                    continue
                except (ValueError, TypeError, KeyError, IndexError):
                    pass
            missing.append(index)
        fresh = work([(chunk[i], raws[i]) for i in missing])
        for index, result in zip(missing, fresh, strict=True):
            done[index] = result
            if index in keys:
                try:
                    store.put(keys[index], encode(result))
                except (TypeError, ValueError):
                    pass
        store.flush()
        for index in range(len(chunk)):
            yield done[index]
    store.close()
