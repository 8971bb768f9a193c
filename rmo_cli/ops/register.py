"""Reading the organisation register (`rmo.yaml` `register:`, SPEC §11)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rmo_cli.charter.loading import Document, read_yaml
from rmo_cli.charter.register import Register, register_from_data
from rmo_cli.support.errors import RmoError
from rmo_cli.support.findings import Finding


@dataclass(frozen=True)
class LoadedRegister:
    """A register with the document it was read from (for findings placed in it)."""

    register: Register
    document: Document
    findings: list[Finding] = field(default_factory=list)


def _display(path: Path) -> str:
    import os

    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def read_register(path: Path) -> LoadedRegister:
    """Read and check a register file; an unreadable or schema-invalid one is an RmoError
    naming its place (exit 2), like a broken rmo.yaml."""
    from rmo_cli.charter.schema import schema_findings
    from rmo_cli.rules.register import register_file_findings

    name = _display(path)
    if not path.is_file():
        raise RmoError(f"{name}: the organisation register named by rmo.yaml does not exist")
    result = read_yaml(path, name)
    findings = list(result.findings)
    if result.document is not None:
        findings.extend(schema_findings(result.document, "register.schema.json"))
    if findings or result.document is None:
        first = findings[0] if findings else None
        where = f"{first.file}:{first.line}:{first.column}: {first.message}" if first else name
        raise RmoError(f"{where} (organisation register)")
    doc = result.document
    register = register_from_data(doc.data, name)
    return LoadedRegister(register, doc, register_file_findings(doc))
