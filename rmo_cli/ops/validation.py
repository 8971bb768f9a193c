"""Validation of charters: reading rules, the schema and the semantic rules, as findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rmo_cli.charter.loading import Document, LoadResult, read_charter
from rmo_cli.charter.policy import Policy
from rmo_cli.ops.repository import CharterFile
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


def check_document(doc: Document, as_of: dt.date, policy: Policy | None = None) -> list[Finding]:
    """Schema findings, then (when the schema passes far enough) semantic rule findings.

    policy: rmo.yaml's policy gates (SPEC §8); default: the nearest rmo.yaml's.
    """
    from rmo_cli.charter.schema import schema_findings
    from rmo_cli.rules.catalogue import run_rules

    findings = schema_findings(doc)
    findings.extend(run_rules(doc, as_of))
    findings.extend(_policy_findings(doc, policy))
    return findings


# --- policy gates (SPEC §8): placeholder-text and policy-required ---------------------------


def _policy_findings(doc: Document, policy: Policy | None) -> list[Finding]:
    """The policy rules, with the policy of the charter's nearest rmo.yaml when not given."""
    from pathlib import Path

    from rmo_cli.ops.repository import policy_for
    from rmo_cli.rules.policy import policy_findings

    if policy is None:
        policy = policy_for(Path(doc.file))
    return policy_findings(doc, policy)


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


def validate_files(files: Sequence[CharterFile], as_of: dt.date) -> ValidationResult:
    """Read and check every file, plus the rules that span charters (unique ids).

    Many files are checked by a pool of worker processes, one per core; the result is the
    same, in the same order.
    """
    from rmo_cli.rules.charter import run_collection_rules

    result = ValidationResult(files=len(files))
    for findings, document in _check_all(files, as_of):
        result.findings.extend(findings)
        if document is not None:
            result.documents.append(document)
    result.findings.extend(run_collection_rules(result.documents))
    return result
