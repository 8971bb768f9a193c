"""The packaged JSON Schemas, one compiled validator each, and schema errors as findings."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from rmo_cli.charter.emails import is_email
from rmo_cli.charter.loading import Document
from rmo_cli.support.findings import Finding
from rmo_cli.support.resources import schema_path


@cache
def load_schema(name: str = "charter.schema.json") -> dict[str, Any]:
    """A packaged schema as data."""
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


_ANNOTATIONS = {"title", "description", "examples", "default", "$comment", "deprecated"}


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of schema with its local `#/$defs/…` references replaced by their targets.

    Validation gives the same verdicts, but skips a reference lookup per value: the charter
    schema validates about twice as fast this way.
    """
    defs = schema.get("$defs", {})

    def resolve(node: Any, depth: int) -> Any:
        if depth > 50:  # a recursive definition: keep the reference
            return node
        if isinstance(node, list):
            return [resolve(item, depth) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: resolve(value, depth) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
            target = resolve(defs[ref[8:]], depth + 1)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            clash = (set(siblings) & set(target)) - _ANNOTATIONS
            if clash:
                return {**siblings, "allOf": [target]}
            return {**target, **siblings}
        return node

    inlined = resolve({k: v for k, v in schema.items() if k != "$defs"}, 0)
    inlined["$defs"] = defs
    return inlined


def _import_jsonschema() -> Any:
    """Import jsonschema without compiling the IRI grammar of `rfc3987_syntax`.

    When that optional package is installed (jsonschema[format-nongpl], check-jsonschema),
    jsonschema imports it eagerly and it compiles a Lark grammar: 0.5–3 s on every run, for
    `iri`/`uri` formats our schemas never use. Hiding it during the import skips that cost.
    """
    import sys

    if "jsonschema" in sys.modules:
        import jsonschema

        return jsonschema
    hidden = "rfc3987_syntax" not in sys.modules
    if hidden:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        import jsonschema
    finally:
        if hidden:
            del sys.modules["rfc3987_syntax"]
    return jsonschema


@cache
def _validator(name: str) -> Any:
    _import_jsonschema()
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    names = ("charter.schema.json", "config.schema.json", "register.schema.json")
    schemas = [load_schema(n) for n in names]
    registry = Registry().with_resources(
        (s["$id"], DRAFT202012.create_resource(s)) for s in schemas
    )
    # Only the formats our schemas use: each checker costs time on every value. jsonschema's
    # own `email` accepts anything with an @: ours is a real syntax check (SPEC §6).
    checker = FormatChecker(formats=["date"])
    checker.checks("email")(is_email)
    return Draft202012Validator(
        inline_refs(load_schema(name)), registry=registry, format_checker=checker
    )


@cache
def _fast_validator(name: str) -> Any:
    """A jsonschema-rs validator of the same schema (formats checked), or None without it.

    It only answers "valid or not": a document it passes has no schema findings, and one it
    fails goes to the pure-Python validator, which words the findings as before. It must
    never pass what the pure-Python validator rejects (tests/test_schema_fast.py).
    """
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a base dependency; kept optional to stay safe
        return None
    names = ("charter.schema.json", "config.schema.json", "register.schema.json")
    schemas = [load_schema(n) for n in names]
    try:
        registry = jsonschema_rs.Registry([(s["$id"], s) for s in schemas])
        # The same email check as the pure-Python validator's (jsonschema-rs's own differs).
        return jsonschema_rs.validator_for(
            load_schema(name),
            validate_formats=True,
            formats={"email": is_email},
            registry=registry,
        )
    except Exception:  # noqa: BLE001 - an unusable fast path only makes validation slower
        return None


def is_valid(data: Any, name: str = "charter.schema.json") -> bool | None:
    """True when data passes the schema by the fast validator; None when it cannot say."""
    fast = _fast_validator(name)
    if fast is None:
        return None
    try:
        return bool(fast.is_valid(data))
    except Exception:  # noqa: BLE001 - e.g. a value it cannot convert: ask the slow path
        return None


def schema_findings(doc: Document, name: str = "charter.schema.json") -> list[Finding]:
    """Every schema violation in a document, placed at the offending value."""
    if is_valid(doc.data, name):
        return []
    from rmo_cli.charter.schema_messages import describe

    findings = [f for error in _validator(name).iter_errors(doc.data) for f in describe(doc, error)]
    findings.sort(key=lambda f: (f.line, f.column))
    return findings


def config_findings(doc: Document) -> list[Finding]:
    """Schema violations of an `rmo.yaml`."""
    return schema_findings(doc, "config.schema.json")
