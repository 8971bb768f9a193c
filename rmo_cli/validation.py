"""Validation of charters: reading rules, the schema and the semantic rules, as findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rmo_cli.findings import ERROR, Finding
from rmo_cli.loading import Document, LoadResult, read_charter
from rmo_cli.repository import CharterFile


@dataclass
class ValidationResult:
    """What validating a set of files found; `documents` are the readable charters."""

    files: int
    findings: list[Finding] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)


def read_files(files: Iterable[CharterFile]) -> list[LoadResult]:
    """Read every file under the reading rules (no schema or semantic checks)."""
    return [read_charter(f.path, f.display) for f in files]


def check_document(doc: Document, as_of: dt.date) -> list[Finding]:
    """Schema findings, then (when the schema passes far enough) semantic rule findings."""
    from rmo_cli.rules import run_rules
    from rmo_cli.schema import schema_findings

    findings = schema_findings(doc)
    findings.extend(run_rules(doc, as_of))
    return findings


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error."""
    return any(f.severity == ERROR for f in findings)


def validate_files(files: Sequence[CharterFile], as_of: dt.date) -> ValidationResult:
    """Read and check every file, plus the rules that span charters (unique ids)."""
    from rmo_cli.rules import run_collection_rules

    result = ValidationResult(files=len(files))
    for loaded in read_files(files):
        result.findings.extend(loaded.findings)
        if loaded.document is not None:
            result.documents.append(loaded.document)
            result.findings.extend(check_document(loaded.document, as_of))
    result.findings.extend(run_collection_rules(result.documents))
    return result
