"""Validation of charters: reading rules, the schema and the semantic rules, as findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from rmo_cli.charter.loading import Document, LoadResult, parse_charter, read_charter
from rmo_cli.charter.register import Register
from rmo_cli.ops.repository import CharterFile
from rmo_cli.rules.register import party_conflict_findings, register_findings
from rmo_cli.rules.signoffs import Trust
from rmo_cli.support.findings import ERROR, Finding
from rmo_cli.support.parallel import parallel_map, worker_count


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


def check_text(file: str, text: str, as_of: dt.date) -> tuple[list[Finding], Document | None]:
    """Read and check one charter given as text (an editor's buffer) exactly as a file is."""
    loaded = parse_charter(text.encode("utf-8", "surrogatepass"), file)
    findings = list(loaded.findings)
    if loaded.document is not None:
        findings.extend(check_document(loaded.document, as_of))
    return findings, loaded.document


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error."""
    return any(f.severity == ERROR for f in findings)


def _check_file(file: CharterFile, as_of: dt.date) -> tuple[list[Finding], Document | None]:
    loaded = read_charter(file.path, file.display)
    findings = list(loaded.findings)
    if loaded.document is not None:
        findings.extend(check_document(loaded.document, as_of))
    return findings, loaded.document


def _compile_schema() -> None:
    from rmo_cli.charter.schema import _validator

    _validator("charter.schema.json")  # compile once; forked workers inherit it


def _check_all(
    files: Sequence[CharterFile], as_of: dt.date
) -> list[tuple[list[Finding], Document | None]]:
    return parallel_map(
        partial(_check_file, as_of=as_of),
        files,
        worker_count(len(files)),
        before_fork=_compile_schema,
    )


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
