"""Validation of charters: reading rules, the schema and the semantic rules, as findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rmo_cli.charter.loading import Document, LoadResult, Position, parse_charter, read_charter
from rmo_cli.charter.policy import Policy
from rmo_cli.charter.register import Register
from rmo_cli.ops.repository import CharterFile
from rmo_cli.rules.register import PartyRow, PartyUses, party_rows, register_findings
from rmo_cli.rules.signoffs import Trust
from rmo_cli.support.findings import ERROR, Finding
from rmo_cli.support.parallel import map_stream, stream_chunk, worker_count
from rmo_cli.support.paths import RealPaths


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

    This, never the document, is what crosses processes and goes into the result cache:
    the charter id and its place (duplicate ids) and the parties' ids and names with their
    places (party-id-conflict, for charters without a register).
    """

    file: str
    readable: bool
    findings: list[Finding]
    extra: list[Finding] = field(default_factory=list)
    charter_id: str | None = None
    id_position: Position | None = None
    cacheable: bool = True  # False: the result read something no cache key holds (git)
    parties: list[PartyRow] = field(default_factory=list)

    def to_json(self) -> list[Any]:
        """The cache's JSON form."""
        return [
            self.readable,
            [_finding_row(f) for f in self.findings],
            [_finding_row(f) for f in self.extra],
            self.charter_id,
            list(self.id_position) if self.id_position else None,
            [[i, pid, name, list(where), line] for i, pid, name, where, line in self.parties],
        ]

    @classmethod
    def from_json(cls, file: str, value: Any) -> FileResult:
        """Back from the cache's JSON form (ValueError/TypeError when it is not one)."""
        readable, findings, extra, charter_id, position, parties = value
        return cls(
            file,
            bool(readable),
            [_finding_of(file, row) for row in findings],
            [_finding_of(file, row) for row in extra],
            charter_id if isinstance(charter_id, str) else None,
            (int(position[0]), int(position[1])) if position else None,
            parties=[
                (int(i), str(pid), str(name), (int(where[0]), int(where[1])), int(line))
                for i, pid, name, where, line in parties
            ],
        )


def _finding_row(f: Finding) -> list[Any]:
    return [f.line, f.column, f.severity, f.rule, f.pointer, f.message]


def _finding_of(file: str, row: Sequence[Any]) -> Finding:
    line, column, severity, rule, pointer, message = row
    if severity not in ("error", "warning"):
        raise ValueError(severity)
    return Finding(file, int(line), int(column), severity, str(rule), str(pointer), str(message))


# A per-document hook run where the document is (in a worker): extra findings for it, and
# whether they may be cached. It gets the document, the file and the task's extra value.
DocumentHook = Callable[[Document, CharterFile, Any], tuple[list[Finding], bool]]
# One file's task: the file, its bytes, the hook's value and the register it is checked by.
Task = tuple[CharterFile, bytes, Any, "Register | None", Policy]
# A file on its way through validate_files: its index, its result when ready without a
# worker (unreadable, or from the cache), its cache key, its trust and its bytes.
_Entry = tuple[int, "FileResult | None", "str | None", Any, bytes]
# Files read (and looked up in the cache) at a time, and results written to it at a time
# (verify's stream too).
READ_BLOCK = 256
FLUSH_EVERY = 2000


def read_files(files: Iterable[CharterFile]) -> list[LoadResult]:
    """Read every file under the reading rules (no schema or semantic checks)."""
    return [read_charter(f.path, f.display) for f in files]


def check_document(
    doc: Document, as_of: dt.date, register: Register | None = None, policy: Policy | None = None
) -> list[Finding]:
    """Schema findings, then semantic rule findings, the policy gates' (SPEC §8) and the
    register's (when there is one).

    policy: rmo.yaml's policy gates; default: those of the charter's nearest rmo.yaml.
    """
    from rmo_cli.charter.schema import schema_findings
    from rmo_cli.rules.catalogue import run_rules
    from rmo_cli.rules.policy import policy_findings

    findings = schema_findings(doc)
    findings.extend(run_rules(doc, as_of))
    if policy is None:
        from rmo_cli.ops.repository import config_for

        policy = config_for(Path(doc.file)).policy
    findings.extend(policy_findings(doc, policy))
    if register is not None:
        findings.extend(register_findings(doc, register))
    return findings


def check_text(
    file: str, text: str, as_of: dt.date, path: Path | None = None
) -> tuple[list[Finding], Document | None]:
    """Read and check one charter given as text (an editor's buffer) exactly as a file is;
    path: where the file is (for its rmo.yaml's policy), when file is only its name."""
    loaded = parse_charter(text.encode("utf-8", "surrogatepass"), file)
    findings = list(loaded.findings)
    if loaded.document is not None:
        from rmo_cli.ops.repository import config_for

        policy = config_for(path).policy if path is not None else None
        findings.extend(check_document(loaded.document, as_of, policy=policy))
    return findings, loaded.document


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error."""
    return any(f.severity == ERROR for f in findings)


def check_bytes(
    file: CharterFile,
    raw: bytes,
    as_of: dt.date,
    hook: DocumentHook | None = None,
    hook_value: Any = None,
    register: Register | None = None,
    policy: Policy | None = None,
) -> FileResult:
    """Parse and check one file's bytes (against register, when there is one, and policy);
    the document
    is dropped once its findings and the summary the rules spanning charters need exist."""
    loaded = parse_charter(raw, file.display)
    doc = loaded.document
    findings = list(loaded.findings)
    if doc is None:
        return FileResult(file.display, False, findings)
    findings.extend(check_document(doc, as_of, register, policy))
    extra, cacheable = hook(doc, file, hook_value) if hook is not None else ([], True)
    result = FileResult(file.display, True, findings, extra, cacheable=cacheable)
    charter_id = doc.data.get("id") if isinstance(doc.data, dict) else None
    if isinstance(charter_id, str):
        result.charter_id, result.id_position = charter_id, doc.locate(("id",))
    if register is None:
        result.parties = party_rows(doc)
    return result


def _check_task(task: Task, as_of: dt.date, hook: DocumentHook | None) -> FileResult:
    file, raw, value, register, policy = task
    return check_bytes(file, raw, as_of, hook, value, register, policy)


def _compile_schema() -> None:
    from rmo_cli.charter.schema import _fast_validator, _validator

    _validator("charter.schema.json")  # compile once a worker, as it starts
    _fast_validator("charter.schema.json")


def _register_token(register: Register | None) -> str:
    """What a register's findings depend on: its name and content (a hash)."""
    if register is None:
        return "no-register"
    import hashlib

    return hashlib.sha256(repr(register).encode()).hexdigest()


def validate_files(
    files: Sequence[CharterFile],
    as_of: dt.date,
    trust_of: Callable[[Path], Any] | None = None,
    *,
    cache: bool = True,
    context: Sequence[str] = (),
    hook: DocumentHook | None = None,
    hook_values: Callable[[CharterFile], tuple[Any, str | None]] | None = None,
    kind: str = "validate",
    keep_sources: bool = True,
) -> ValidationResult:
    """Read and check every file, plus the rules that span charters (unique ids) and the
    organisation register's rules (SPEC §11).

    trust_of gives the Trust of a charter path (default: its nearest rmo.yaml's); a charter
    with a register is checked against it, the others for party ids that conflict.
    Many files are checked by worker processes (rmo_cli.support.parallel); the result is
    the same, in the same order. Results flow through as they are made, and only findings
    and a small summary (charter id, parties) cross processes, so memory does not grow
    with the number of files. Unless cache is False, per-file results are reused from the
    result cache (rmo_cli.ops.cache) when the file's bytes, its register and the context
    are unchanged. hook adds findings per readable document (run where the document is);
    hook_values gives each file the hook's value and a token of what that value depends
    on, for the cache key (None: that file's result depends on something no key can hold;
    it is not cached).
    """
    from rmo_cli.charter.loading import read_bytes
    from rmo_cli.ops.cache import ResultCache
    from rmo_cli.rules.charter import CharterIds

    if trust_of is None:
        from rmo_cli.ops.trust import trust_for

        trust_of = trust_for
    trusts: dict[Path, tuple[Any, Policy, str]] = {}

    real = RealPaths()

    def trust_at(where: str) -> tuple[Any, Policy, str]:
        """A charter's trust, policy and the policy's cache token: its folder's."""
        folder = real.folder(where)
        if folder not in trusts:
            from rmo_cli.ops.repository import config_for

            path = Path(where)
            policy = config_for(path).policy
            trusts[folder] = (trust_of(path), policy, repr(policy))
        return trusts[folder]

    register_tokens: dict[int, str] = {}
    store = ResultCache(kind, [as_of.isoformat(), *context], enabled=cache)
    result = ValidationResult(files=len(files))
    ids = CharterIds()
    unregistered = PartyUses()
    registers: set[str] = set()

    def prepared() -> Iterator[tuple[_Entry, Task | None]]:
        """Each file in order with its task (None: its result is ready): read and looked
        up in the cache a block at a time, so only a block of file bytes is held here."""
        for start in range(0, len(files), READ_BLOCK):
            indexes = range(start, min(start + READ_BLOCK, len(files)))
            entries: dict[int, _Entry] = {}
            tasks: dict[int, Task] = {}
            keys: dict[int, str] = {}
            for index in indexes:
                file = files[index]
                raw = read_bytes(file.where, file.display)
                if isinstance(raw, LoadResult):
                    ready = FileResult(file.display, False, list(raw.findings))
                    entries[index] = (index, ready, None, None, b"")
                    continue
                trust, policy, policy_token = trust_at(file.where)
                register = _register_of(trust)
                if id(register) not in register_tokens:
                    register_tokens[id(register)] = _register_token(register)
                value, token = hook_values(file) if hook_values is not None else (None, "")
                key = None
                if store.enabled and token is not None:
                    token = f"{token}\0{register_tokens[id(register)]}\0{policy_token}"
                    key = keys[index] = store.key(file.display, raw, token)
                entries[index] = (index, None, key, trust, raw)
                tasks[index] = (file, raw, value, register, policy)
            hits = store.get_many(list(keys.values())) if store.enabled else {}
            for index in indexes:
                entry = entries.pop(index)
                hit = hits.get(keys.get(index, ""))
                if hit is not None:
                    try:
                        ready = FileResult.from_json(files[index].display, hit)
                        yield (index, ready, None, entry[3], entry[4]), None
                        continue
                    except (ValueError, TypeError, IndexError, KeyError):
                        pass  # a damaged entry: check the file again
                yield entry, tasks.pop(index, None)

    func = partial(_check_task, as_of=as_of, hook=hook)
    workers = worker_count(len(files))
    chunk = stream_chunk(len(files), workers)
    done = 0
    for (index, ready, key, trust, raw), fresh in map_stream(
        func, prepared(), workers, chunk=chunk, initializer=_compile_schema
    ):
        item = ready if ready is not None else fresh
        assert item is not None
        if ready is None and key is not None and item.cacheable:
            store.put(key, item.to_json())
        done += 1
        if done % FLUSH_EVERY == 0:
            store.flush()
        result.findings.extend(item.findings)
        result.extra.extend(item.extra)
        if not item.readable:
            continue
        # What the rules across charters keep of each file, as small as it can be: the
        # file's name is the one the file list holds, each charter id once and each party
        # id's uses packed (rules.charter.CharterIds, rules.register.PartyUses).
        name = files[index].display
        result.readable.append(name)
        if item.charter_id is not None and item.id_position is not None:
            ids.add(name, item.charter_id, item.id_position)
        register = _register_of(trust)
        if register is None:
            unregistered.add(name, item.parties)
        elif register.file not in registers:
            registers.add(register.file)
            result.findings.extend(trust.register_findings)
        if keep_sources and (item.findings or item.extra):
            result.sources[item.file] = raw.decode("utf-8-sig", "replace")
    store.close()
    result.findings.extend(ids.findings)
    result.findings.extend(unregistered.findings())
    if keep_sources:
        add_sources(result, result.findings, files)
    return result


def _register_of(trust: Any) -> Register | None:
    return trust.register if isinstance(trust, Trust) else None


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
