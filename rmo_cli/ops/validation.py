"""Validation of charters: reading rules, the schema and the semantic rules, as findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rmo_cli.charter.loading import Document, LoadResult, read_charter
from rmo_cli.charter.register import Register
from rmo_cli.ops.repository import CharterFile
from rmo_cli.rules.register import party_conflict_findings, register_findings
from rmo_cli.rules.signoffs import Trust
from rmo_cli.support.findings import ERROR, Finding


@dataclass
class ValidationResult:
    """What validating a set of files found; `documents` are the readable charters."""

    files: int
    findings: list[Finding] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)


def read_files(files: Iterable[CharterFile]) -> list[LoadResult]:
    """Read every file under the reading rules (no schema or semantic checks)."""
    return [read_charter(f.path, f.display) for f in files]


def check_document(
    doc: Document, as_of: dt.date, register: Register | None = None
) -> list[Finding]:
    """Schema findings, then semantic rule findings, then the register's (when there is one)."""
    from rmo_cli.charter.schema import schema_findings
    from rmo_cli.rules.catalogue import run_rules

    findings = schema_findings(doc)
    findings.extend(run_rules(doc, as_of))
    if register is not None:
        findings.extend(register_findings(doc, register))
    return findings


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error."""
    return any(f.severity == ERROR for f in findings)


# Below this many files one process is faster than starting workers.
PARALLEL_THRESHOLD = 300


def _check_file(file: CharterFile, as_of: dt.date) -> tuple[list[Finding], Document | None]:
    loaded = read_charter(file.path, file.display)
    findings = list(loaded.findings)
    if loaded.document is not None:
        findings.extend(check_document(loaded.document, as_of))
    return findings, loaded.document


def _check_chunk(
    chunk: list[CharterFile], as_of: dt.date
) -> list[tuple[list[Finding], Document | None]]:
    return [_check_file(file, as_of) for file in chunk]


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
    files: Sequence[CharterFile], as_of: dt.date
) -> list[tuple[list[Finding], Document | None]]:
    workers = _workers(len(files))
    if workers <= 1 or len(files) < 2:
        return [_check_file(file, as_of) for file in files]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from rmo_cli.charter.schema import _validator

    _validator("charter.schema.json")  # compile once; forked workers inherit it
    size = max(1, -(-len(files) // (workers * 4)))
    chunks = [list(files[i : i + size]) for i in range(0, len(files), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        results = pool.map(_check_chunk, chunks, [as_of] * len(chunks))
        return [item for chunk in results for item in chunk]


def validate_files(
    files: Sequence[CharterFile],
    as_of: dt.date,
    trust_of: Callable[[Path], Any] | None = None,
) -> ValidationResult:
    """Read and check every file, plus the rules that span charters (unique ids) and the
    organisation register's rules (SPEC §11).

    trust_of gives the Trust of a charter path (default: its nearest rmo.yaml's); a charter
    with a register is checked against it, the others for party ids that conflict.
    Many files are checked by a pool of worker processes, one per core; the result is the
    same, in the same order.
    """
    from rmo_cli.rules.charter import run_collection_rules

    if trust_of is None:
        from rmo_cli.ops.signoffs import trust_for

        trust_of = trust_for
    result = ValidationResult(files=len(files))
    unregistered: list[Document] = []
    registers: dict[str, list[Finding]] = {}
    for file, (findings, document) in zip(files, _check_all(files, as_of), strict=True):
        result.findings.extend(findings)
        if document is None:
            continue
        result.documents.append(document)
        trust = trust_of(file.path)
        register = trust.register if isinstance(trust, Trust) else None
        if register is None:
            unregistered.append(document)
            continue
        result.findings.extend(register_findings(document, register))
        if register.file not in registers:
            registers[register.file] = list(trust.register_findings)
            result.findings.extend(registers[register.file])
    result.findings.extend(run_collection_rules(result.documents))
    result.findings.extend(party_conflict_findings(unregistered))
    return result
