"""Validation of charters: reading rules, the schema and the semantic rules, as findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rmo_cli.charter.loading import Document, LoadResult, Position, read_charter
from rmo_cli.ops.repository import CharterFile
from rmo_cli.support.findings import ERROR, Finding


@dataclass
class ValidationResult:
    """What validating a set of files found.

    Documents are not kept (memory stays flat however many files there are): `readable`
    names the readable charters, `sources` holds the text of those with findings (for a
    report that quotes source lines) and `extra` the findings of the per-document hook.
    """

    files: int
    findings: list[Finding] = field(default_factory=list)
    readable: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    extra: list[Finding] = field(default_factory=list)


@dataclass
class FileResult:
    """One file's findings and the few fields the rules spanning charters need.

    This, never the document, is what crosses processes and goes into the result cache.
    """

    file: str
    readable: bool
    findings: list[Finding]
    extra: list[Finding] = field(default_factory=list)
    charter_id: str | None = None
    id_position: Position | None = None
    cacheable: bool = True  # False: the result read something no cache key holds (git)

    def to_json(self) -> list[Any]:
        """The cache's JSON form."""
        return [
            self.readable,
            [_finding_row(f) for f in self.findings],
            [_finding_row(f) for f in self.extra],
            self.charter_id,
            list(self.id_position) if self.id_position else None,
        ]

    @classmethod
    def from_json(cls, file: str, value: Any) -> FileResult:
        """Back from the cache's JSON form (ValueError/TypeError when it is not one)."""
        readable, findings, extra, charter_id, position = value
        return cls(
            file,
            bool(readable),
            [_finding_of(file, row) for row in findings],
            [_finding_of(file, row) for row in extra],
            charter_id if isinstance(charter_id, str) else None,
            (int(position[0]), int(position[1])) if position else None,
        )


def _finding_row(f: Finding) -> list[Any]:
    return [f.line, f.column, f.severity, f.rule, f.pointer, f.message]


def _finding_of(file: str, row: Sequence[Any]) -> Finding:
    line, column, severity, rule, pointer, message = row
    if severity not in ("error", "warning"):
        raise ValueError(severity)
    return Finding(file, int(line), int(column), severity, str(rule), str(pointer), str(message))


# A per-document hook run where the document is (in a worker): extra findings for it, and
# whether they may be cached. It gets the document, the file and the task's extra value;
# it must be picklable (a module-level function or a functools.partial of one).
DocumentHook = Callable[[Document, CharterFile, Any], tuple[list[Finding], bool]]


def read_files(files: Iterable[CharterFile]) -> list[LoadResult]:
    """Read every file under the reading rules (no schema or semantic checks)."""
    return [read_charter(f.path, f.display) for f in files]


def check_document(doc: Document, as_of: dt.date) -> list[Finding]:
    """Schema findings, then (when the schema passes far enough) semantic rule findings."""
    from rmo_cli.charter.schema import schema_findings
    from rmo_cli.rules.catalogue import run_rules

    findings = schema_findings(doc)
    findings.extend(run_rules(doc, as_of))
    return findings


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error."""
    return any(f.severity == ERROR for f in findings)


# Below this many files one process is faster than starting workers.
PARALLEL_THRESHOLD = 300


def check_bytes(
    file: CharterFile,
    raw: bytes,
    as_of: dt.date,
    hook: DocumentHook | None = None,
    hook_value: Any = None,
) -> FileResult:
    """Parse and check one file's bytes; the document is dropped once its findings exist."""
    from rmo_cli.charter.loading import parse_charter

    loaded = parse_charter(raw, file.display)
    doc = loaded.document
    findings = list(loaded.findings)
    if doc is None:
        return FileResult(file.display, False, findings)
    findings.extend(check_document(doc, as_of))
    extra, cacheable = hook(doc, file, hook_value) if hook is not None else ([], True)
    charter_id = doc.data.get("id")
    if isinstance(charter_id, str):
        return FileResult(
            file.display, True, findings, extra, charter_id, doc.locate(("id",)), cacheable
        )
    return FileResult(file.display, True, findings, extra, cacheable=cacheable)


def _check_task(
    task: tuple[CharterFile, bytes, Any], as_of: dt.date, hook: DocumentHook | None
) -> FileResult:
    file, raw, value = task
    return check_bytes(file, raw, as_of, hook, value)


def _check_chunk(
    chunk: list[tuple[CharterFile, bytes, Any]], as_of: dt.date, hook: DocumentHook | None
) -> list[FileResult]:
    return [_check_task(task, as_of, hook) for task in chunk]


def _workers(count: int) -> int:
    """How many processes to use for count files (env RMO_JOBS overrides; 1 = no pool)."""
    import multiprocessing
    import os

    jobs = os.environ.get("RMO_JOBS", "")
    if jobs.isdigit() and int(jobs) > 0:
        return int(jobs)
    if count < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(os.cpu_count() or 1, 8)


def _check_all(
    tasks: Iterable[tuple[CharterFile, bytes, Any]],
    count: int,
    as_of: dt.date,
    hook: DocumentHook | None = None,
) -> Iterator[FileResult]:
    """Results of tasks in their order, as they are made (a pool of workers for many).

    Tasks are taken lazily and at most a few chunks are in flight, so neither the bytes
    read nor the results wait in memory for the whole set. (A candidate for the shared
    parallel map of rmo_cli.support.parallel: it is an ordered, bounded, chunked map.)
    """
    workers = _workers(count)
    if workers <= 1 or count < 2:
        for task in tasks:
            yield _check_task(task, as_of, hook)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from itertools import islice

    from rmo_cli.charter.schema import _fast_validator, _validator

    _validator("charter.schema.json")  # compile once; forked workers inherit it
    _fast_validator("charter.schema.json")
    size = max(1, min(200, -(-count // (workers * 4))))
    source = iter(tasks)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Any] = deque()
        while True:
            while len(pending) < workers * 3:
                chunk = list(islice(source, size))
                if not chunk:
                    break
                pending.append(pool.submit(_check_chunk, chunk, as_of, hook))
            if not pending:
                break
            yield from pending.popleft().result()


def validate_files(
    files: Sequence[CharterFile],
    as_of: dt.date,
    *,
    cache: bool = True,
    context: Sequence[str] = (),
    hook: DocumentHook | None = None,
    hook_values: Callable[[CharterFile], tuple[Any, str | None]] | None = None,
    kind: str = "validate",
    keep_sources: bool = True,
) -> ValidationResult:
    """Read and check every file, plus the rules that span charters (unique ids).

    Many files are checked by a pool of worker processes, one per core; the result is the
    same, in the same order. Results flow through as they are made, and only findings and
    a charter's id cross processes, so memory does not grow with the number of files.
    Unless cache is False, per-file results are reused from the result cache
    (rmo_cli.ops.cache) when the file's bytes and the context are unchanged. hook adds
    findings per readable document (run where the document is); hook_values gives each
    file the hook's value and a token of what that value depends on, for the cache key
    (None: that file's result depends on something no key can hold; it is not cached).
    """
    from rmo_cli.charter.loading import read_bytes
    from rmo_cli.ops.cache import ResultCache
    from rmo_cli.rules.charter import collection_findings

    store = ResultCache(kind, [as_of.isoformat(), *context], enabled=cache)
    result = ValidationResult(files=len(files))
    ids: list[tuple[str, str, Position]] = []
    # Read and look up in blocks, so at most a block of file bytes is held at a time.
    block = 2000
    for start in range(0, len(files), block):
        indexes = range(start, min(start + block, len(files)))
        ready: dict[int, FileResult] = {}
        keys: dict[int, str] = {}
        raws: dict[int, bytes] = {}
        values: dict[int, Any] = {}
        for index in indexes:
            file = files[index]
            raw = read_bytes(file.path, file.display)
            if isinstance(raw, LoadResult):
                ready[index] = FileResult(file.display, False, list(raw.findings))
                continue
            value, token = hook_values(file) if hook_values is not None else (None, "")
            if store.enabled and token is not None:
                keys[index] = store.key(file.display, raw, token)
            raws[index] = raw
            values[index] = value
        hits = store.get_many(list(keys.values())) if store.enabled else {}
        missing: list[int] = []
        for index in raws:
            hit = hits.get(keys.get(index, ""))
            if hit is not None:
                try:
                    ready[index] = FileResult.from_json(files[index].display, hit)
                    continue
                except (ValueError, TypeError, IndexError, KeyError):
                    pass  # a damaged entry: check the file again
            missing.append(index)
        tasks = ((files[i], raws[i], values.pop(i)) for i in missing)
        fresh = dict(zip(missing, _check_all(tasks, len(missing), as_of, hook), strict=True))
        for index in indexes:
            item = ready[index] if index in ready else fresh[index]
            if index in fresh and index in keys and item.cacheable:
                store.put(keys[index], item.to_json())
            result.findings.extend(item.findings)
            result.extra.extend(item.extra)
            if item.readable:
                result.readable.append(item.file)
                if item.charter_id is not None and item.id_position is not None:
                    ids.append((item.file, item.charter_id, item.id_position))
                if keep_sources and (item.findings or item.extra):
                    result.sources[item.file] = raws[index].decode("utf-8-sig", "replace")
        store.flush()
    store.close()
    result.findings.extend(collection_findings(ids))
    if keep_sources:
        add_sources(result, result.findings, files)
    return result


def add_sources(
    result: ValidationResult, findings: Iterable[Finding], files: Sequence[CharterFile]
) -> None:
    """Add the text of readable files that findings name and `sources` lacks (e.g. files
    that only a rule spanning charters or git history found something in)."""
    from rmo_cli.charter.loading import read_bytes

    wanted = {f.file for f in findings} - set(result.sources)
    if not wanted:
        return
    readable = set(result.readable)
    for file in files:
        if file.display in wanted and file.display in readable:
            raw = read_bytes(file.path, file.display)
            if isinstance(raw, bytes):
                result.sources[file.display] = raw.decode("utf-8-sig", "replace")
