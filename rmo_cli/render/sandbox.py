"""Bounds for repository templates (SPEC §7): Jinja's sandbox, time, output size and memory."""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rmo_cli.support.errors import RefusedError, RmoError

# Bounds for repository templates (SPEC §7: a template under review must not hang CI).
TEMPLATE_TIMEOUT = 5.0  # seconds per rendered page


MAX_OUTPUT = 20 * 1024 * 1024  # characters of output per page


MAX_MEMORY = 1024 * 1024 * 1024  # bytes a forked render may allocate beyond the parent


MAX_INT_BITS = 100_000  # integers a template computes (2**100000 is plenty)


MAX_TEMPLATE_BYTES = 1024 * 1024


def _bounded_loader_class() -> type:
    """FileSystemLoader that refuses template files over MAX_TEMPLATE_BYTES, and any file
    whose real path is outside the templates folder: a symlink committed in a pull request
    (to /proc/self/environ, to ../../etc) must not put the CI machine's secrets in a page.
    """
    from jinja2 import FileSystemLoader, TemplateError
    from jinja2.loaders import split_template_path

    class BoundedLoader(FileSystemLoader):
        def get_source(self, environment: Any, template: str) -> Any:
            for folder in self.searchpath:
                path = os.path.join(folder, *split_template_path(template))
                if not os.path.lexists(path):
                    continue
                inside = os.path.realpath(folder) + os.sep
                if not os.path.realpath(path).startswith(inside):
                    raise TemplateError(
                        f"{_show_path(path)}: links outside the templates folder; refused"
                    )
                if os.path.isfile(path) and os.path.getsize(path) > MAX_TEMPLATE_BYTES:
                    raise TemplateError(
                        f"{_show_path(path)}: template larger than {MAX_TEMPLATE_BYTES:,} "
                        "bytes; refused"
                    )
            return super().get_source(environment, template)

    return BoundedLoader


def _bytecode_cache() -> Any:
    """A cache of compiled default templates in the user's cache folder, or None."""
    from jinja2 import FileSystemBytecodeCache

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "rmo" / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None

    class QuietCache(FileSystemBytecodeCache):
        """A cache that never fails a render: a write error only means no caching."""

        def dump_bytecode(self, bucket: Any) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    return QuietCache(str(folder))


class _Bound(Exception):
    """A repository template went past a time or size bound."""


_SANDBOX_CLASS: type | None = None


def _bounded_sandbox_class() -> type:
    """SandboxedEnvironment that checks a deadline on every call and bounds big values."""
    global _SANDBOX_CLASS
    if _SANDBOX_CLASS is not None:
        return _SANDBOX_CLASS
    from jinja2.sandbox import SandboxedEnvironment, SecurityError

    class BoundedSandbox(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+"})
        deadline = float("inf")
        time_limit = TEMPLATE_TIMEOUT
        max_output = MAX_OUTPUT

        def _check_time(self) -> None:
            if time.monotonic() > self.deadline:
                raise _Bound(f"rendering took longer than {self.time_limit:g} seconds")

        def _check_size(self, size: int) -> None:
            if size > self.max_output:
                raise SecurityError(f"value of {size:,} items is larger than the output bound")

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            self._check_time()
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple, bytes)) and isinstance(n, int):
                        self._check_size(len(seq) * n)
                if isinstance(left, int) and isinstance(right, int):
                    if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                        raise SecurityError("integer result too large")
            elif operator == "**":
                if isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
                    if right * max(abs(left).bit_length(), 1) > MAX_INT_BITS:
                        raise SecurityError("integer result too large")
            elif operator == "+":
                if hasattr(left, "__len__") and hasattr(right, "__len__"):
                    self._check_size(len(left) + len(right))
            return super().call_binop(context, operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            __self._check_time()
            return super().call(__context, __obj, *args, **kwargs)

        def getattr(self, obj: Any, attribute: str) -> Any:
            self._check_time()
            return super().getattr(obj, attribute)

        def getitem(self, obj: Any, argument: Any) -> Any:
            self._check_time()
            return super().getitem(obj, argument)

    _SANDBOX_CLASS = BoundedSandbox
    return BoundedSandbox


def _memory_limit() -> int | None:
    """The address-space limit for a forked render: the parent's size plus MAX_MEMORY."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE") + MAX_MEMORY
    except (OSError, ValueError, IndexError):
        return None


def _run_forked(func: Callable[[], str], timeout: float, max_output: int, name: str) -> str:
    """Run func in a forked child, killed after timeout (+1 s grace) or on too much output."""
    data = run_forked_bytes(
        lambda: func().encode("utf-8", "surrogatepass"),
        timeout,
        4 * max_output + 1,  # UTF-8 may take up to 4 bytes a character
        f"template {name}",
        (
            f"{name}: the template used too much memory; rendering stopped",
            "(a loop without bound?)",
            f"more than {max_output:,} characters",
        ),
    )
    return data.decode("utf-8", "surrogatepass")


def run_forked_bytes(
    func: Callable[[], bytes],
    timeout: float,
    max_bytes: int,
    what: str,
    wording: tuple[str, str, str] | None = None,
) -> bytes:
    """Run func in a forked child bounded in time, memory and output; its bytes, or RefusedError.

    `what` names the step in messages ("template T", "the PDF engine"); `wording` gives the
    out-of-memory message, the hint after a timeout and the size in the too-much-output message.
    """
    import warnings

    memory_msg, timeout_hint, size_words = wording or (
        f"{what} used too much memory; stopped",
        "(a document without bound?)",
        f"more than {max_bytes:,} bytes",
    )
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # the child: render, send the result, never return
        code = 0
        try:
            os.close(read_fd)
            _limit_memory()
            _send(write_fd, _payload(func, memory_msg))
        except BaseException:  # noqa: BLE001 - the child must never return into the CLI
            code = 1
        finally:
            os._exit(code)

    os.close(write_fd)
    deadline = time.monotonic() + timeout + 1.0
    return _collect(pid, read_fd, deadline, max_bytes, what, timeout_hint, size_words, timeout)


def _limit_memory() -> None:
    """In a forked child: cap its address space at its size now plus MAX_MEMORY."""
    limit = _memory_limit()
    if limit is None:
        return
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def _payload(func: Callable[[], bytes], memory_msg: str) -> bytes:
    """In a forked child: b"0" + func's bytes, or b"1" + the message of its RmoError."""
    try:
        return b"0" + func()
    except RmoError as exc:
        return b"1" + exc.message.encode("utf-8", "replace")
    except MemoryError:
        return b"1" + memory_msg.encode("utf-8", "replace")


def _send(fd: int, data: bytes) -> None:
    """Write all of data to fd (blocking)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view[: 1 << 16])
        view = view[written:]


def _collect(
    pid: int,
    read_fd: int,
    deadline: float,
    max_bytes: int,
    what: str,
    timeout_hint: str,
    size_words: str,
    timeout: float,
) -> bytes:
    """Read a forked child's answer until EOF, bounded by deadline and size; reap the child."""
    chunks: list[bytes] = []
    total = 0
    reaped = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RefusedError(
                    f"{what} took longer than {timeout:g} seconds and was stopped {timeout_hint}",
                )
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if not ready:
                continue
            data = os.read(read_fd, 1 << 16)
            if not data:
                break
            chunks.append(data)
            total += len(data)
            if total > max_bytes + 1:
                raise RefusedError(f"{what} produced {size_words} and was stopped")
        os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:
            _kill(pid)
    payload = b"".join(chunks)
    if payload[:1] == b"0":
        return payload[1:]
    if payload[:1] == b"1":
        raise RefusedError(payload[1:].decode("utf-8", "replace"))
    if payload[:1] == b"2":
        raise RmoError(payload[1:].decode("utf-8", "replace"))
    raise RefusedError(f"{what}: rendering failed (the render process died)")


def _kill(pid: int) -> None:
    """Kill a forked child and reap it."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


class ForkedWorker:
    """A child forked early: it runs `prepare` (imports) and, unless the job is already
    waiting, `warm` (caches) while the parent works on, then runs the one job the parent sends
    it, with run_forked_bytes's bounds.

    The job (a picklable function and its arguments) goes down a pipe from the parent; the
    child's answer comes back as bytes only, never unpickled. A `prepare` that raises RmoError
    makes `run` raise that RmoError (exit 2: say how to install). A worker that is never given a
    job exits when closed, or when the parent exits (end of file on its pipe).
    """

    def __init__(self, prepare: Callable[[], None], warm: Callable[[], None] | None = None) -> None:
        import warnings

        job_read, self._job_fd = os.pipe()
        self._result_fd, result_write = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
            pid = os.fork()
        if pid == 0:  # the child: prepare, wait for the job, run it, never return
            code = 0
            try:
                os.close(self._job_fd)
                os.close(self._result_fd)
                _limit_memory()
                _serve(prepare, warm, job_read, result_write)
            except BaseException:  # noqa: BLE001 - the child must never return into the CLI
                code = 1
            finally:
                os._exit(code)
        os.close(job_read)
        os.close(result_write)
        self.pid: int | None = pid

    def run(
        self,
        func: Callable[..., bytes],
        args: tuple[Any, ...],
        timeout: float,
        max_bytes: int,
        what: str,
    ) -> bytes:
        """func(*args) in the child, bounded like run_forked_bytes (the time counts from now)."""
        import pickle

        if self.pid is None:
            raise RmoError(f"{what}: the worker was already used")
        pid, self.pid = self.pid, None
        deadline = time.monotonic() + timeout + 1.0
        timeout_hint = "(a document without bound?)"
        try:
            memory_msg = f"{what} used too much memory; stopped"
            job = pickle.dumps((func, args, memory_msg), protocol=pickle.HIGHEST_PROTOCOL)
            _send_by(self._job_fd, job, deadline, what, timeout, timeout_hint)
        except BaseException:
            os.close(self._result_fd)
            _kill(pid)
            raise
        finally:
            os.close(self._job_fd)
        return _collect(
            pid,
            self._result_fd,
            deadline,
            max_bytes,
            what,
            timeout_hint,
            f"more than {max_bytes:,} bytes",
            timeout,
        )

    def close(self) -> None:
        """Stop the child if no job was run (a render refused before its PDF step)."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        os.close(self._job_fd)
        os.close(self._result_fd)
        _kill(pid)


def _send_by(fd: int, data: bytes, deadline: float, what: str, timeout: float, hint: str) -> None:
    """Write data to a pipe whose reader may still be busy, giving up at deadline."""
    view = memoryview(data)
    while view:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RefusedError(
                f"{what} took longer than {timeout:g} seconds and was stopped {hint}"
            )
        _, ready, _ = select.select([], [fd], [], remaining)
        if not ready:
            continue
        try:
            written = os.write(fd, view[: select.PIPE_BUF])
        except BrokenPipeError:
            raise RefusedError(f"{what}: rendering failed (the render process died)") from None
        view = view[written:]


def _serve(
    prepare: Callable[[], None],
    warm: Callable[[], None] | None,
    job_fd: int,
    result_fd: int,
) -> None:
    """In a ForkedWorker's child: prepare, warm up while no job waits, read the job to end of
    file, run it, answer."""
    import pickle

    failed = b""
    try:
        prepare()
    except RmoError as exc:
        failed = b"2" + exc.message.encode("utf-8", "replace")
    if not failed and warm is not None and not select.select([job_fd], [], [], 0)[0]:
        warm()  # the parent is still building the job: this time is free
    chunks = []
    while True:
        data = os.read(job_fd, 1 << 16)
        if not data:
            break
        chunks.append(data)
    os.close(job_fd)
    if not chunks:  # closed without a job: nothing to do
        return
    if failed:
        _send(result_fd, failed)
        return
    func, args, memory_msg = pickle.loads(b"".join(chunks))  # noqa: S301 - from rmo's parent
    _send(result_fd, _payload(lambda: func(*args), memory_msg))


def _show_path(name: str | None) -> str:
    """A template path as messages show it: relative to the current directory when below it."""
    if not name:
        return "<template>"
    try:
        rel = os.path.relpath(name)
    except ValueError:
        return name
    return name if rel.startswith("..") else rel
