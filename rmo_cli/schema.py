"""The packaged JSON Schemas, one compiled validator each, and schema errors as findings."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from rmo_cli.findings import Finding
from rmo_cli.loading import Document
from rmo_cli.resources import schema_path


@cache
def load_schema(name: str = "charter.schema.json") -> dict[str, Any]:
    """A packaged schema as data."""
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    schemas = [load_schema(n) for n in ("charter.schema.json", "config.schema.json")]
    registry = Registry().with_resources(
        (s["$id"], DRAFT202012.create_resource(s)) for s in schemas
    )
    return Draft202012Validator(
        load_schema(name), registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def schema_findings(doc: Document, name: str = "charter.schema.json") -> list[Finding]:
    """Every schema violation in a document, placed at the offending value."""
    from rmo_cli.schema_messages import describe

    findings = [f for error in _validator(name).iter_errors(doc.data) for f in describe(doc, error)]
    findings.sort(key=lambda f: (f.line, f.column))
    return findings


def config_findings(doc: Document) -> list[Finding]:
    """Schema violations of an `rmo.yaml`."""
    return schema_findings(doc, "config.schema.json")
