"""Turning jsonschema errors into findings a person can act on.

Each message says what is wrong in the charter's words, what is allowed, and, where the
value is close to an allowed one, which one was probably meant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from rmo_cli.charter.emails import email_problem
from rmo_cli.charter.loading import Document
from rmo_cli.support.findings import ERROR, Finding
from rmo_cli.support.spelling import closest

# jsonschema validator keyword → stable rule id.
SCHEMA_RULES: dict[str, tuple[str, str]] = {
    "required": ("schema-required", "A required key is missing."),
    "additionalProperties": (
        "schema-unknown-key",
        "A key the schema does not know (often a typo).",
    ),
    "enum": ("schema-enum", "A value outside the allowed list (e.g. status, governance model)."),
    "const": ("schema-const", "apiVersion/kind are not rmo/v1 / RelationshipCharter."),
    "type": ("schema-type", "A value of the wrong type (text, number, list, mapping, true/false)."),
    "pattern": (
        "schema-pattern",
        "Text in the wrong form (ids, versions, durations, fingerprints).",
    ),
    "format": ("schema-format", "An invalid date (YYYY-MM-DD) or email address."),
    "minItems": ("schema-min-items", "A list with too few items (e.g. fewer than two parties)."),
    "minLength": ("schema-empty", "Empty text where some is required."),
    "maxLength": ("schema-too-long", "Text longer than allowed (ids: 64 characters)."),
    "minimum": ("schema-range", "A number outside its range (e.g. likelihood 1 to 5)."),
    "maximum": ("schema-range", "A number outside its range (e.g. likelihood 1 to 5)."),
    "uniqueItems": ("schema-unique", "A list names the same item twice."),
}
_OTHER_RULE = ("schema-invalid", "Any other schema violation.")

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys",
    "null": "nothing",
}


def schema_rules() -> dict[str, str]:
    """Rule id → description for every schema rule."""
    rules = dict(SCHEMA_RULES.values())
    rules[_OTHER_RULE[0]] = _OTHER_RULE[1]
    return rules


def _value_words(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"text {_short(value)}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "…" + text[-1]


def _suggest(word: Any, choices: Iterable[Any]) -> str:
    if not isinstance(word, str):
        return ""
    match = closest(word, [c for c in choices if isinstance(c, str)])
    return f"; did you mean {match!r}?" if match else ""


def _where(path: tuple[Any, ...], top: str = "the charter") -> str:
    if not path:
        return top
    parts: list[str] = []
    for p in path:
        if isinstance(p, int):
            parts[-1:] = [f"{parts[-1]}[{p}]" if parts else f"[{p}]"]
        else:
            parts.append(str(p))
    return ".".join(parts)


def _pattern_words(pattern: str) -> str:
    if pattern.startswith("^P(?="):
        return "an ISO 8601 duration such as P3M, P1Y, P2W or P90D"
    if "monthly" in pattern:
        return "an ISO 8601 duration such as P6M, or monthly, quarterly, semiannual or annual"
    if "sha256" in pattern:
        return "'sha256:' followed by 64 lowercase hex digits (written by rmo sign)"
    if pattern.startswith("^\\d+\\.\\d+"):
        return 'a version MAJOR.MINOR[.PATCH] in quotes, such as "1.2.0"'
    if pattern.startswith("^[a-z0-9]"):
        return "a lowercase id of letters a-z, digits and inner hyphens, such as acme-globex"
    return f"text matching {pattern}"


def _nearest_branch_error(error: Any) -> Any:
    """The most telling error of the oneOf/anyOf branch that came closest to matching.

    A branch whose type fits the value beats one that wants another type; among those, the
    branch with the fewest errors wins. Not a dump of every branch's complaints.
    """
    from jsonschema.exceptions import best_match

    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    def distance(errors: list[Any]) -> tuple[int, int]:
        wrong_type = any(e.validator == "type" and not e.relative_path for e in errors)
        return (1 if wrong_type else 0, len(errors))

    closest = min(branches.values(), key=distance)
    return best_match(closest)


def _written(doc: Document, path: tuple[Any, ...]) -> str | None:
    """The plain scalar at path as it stands in the file, or None when it can't be cut out."""
    import re

    if path not in doc.positions:
        return None
    line, column = doc.positions[path]
    lines = doc.text.splitlines()
    if not 0 < line <= len(lines):
        return None
    rest = lines[line - 1][column - 1 :]
    match = re.match(r"[^\s,\]}#\"'][^,\]}#]*", rest)
    text = match.group(0).rstrip() if match else ""
    return text if text and '"' not in text else None


@dataclass(frozen=True)
class _Failure:
    """One schema error, with what every message needs: where it is, in words."""

    doc: Document
    error: Any
    where: str

    @property
    def rule_id(self) -> str:
        return SCHEMA_RULES.get(self.error.validator, _OTHER_RULE)[0]

    @property
    def path(self) -> tuple[Any, ...]:
        return tuple(self.error.absolute_path)

    @property
    def instance(self) -> Any:
        return self.error.instance

    @property
    def schema(self) -> dict[str, Any]:
        return self.error.schema if isinstance(self.error.schema, dict) else {}


# A message maker returns the message, whole findings, or None for the default message.
_Message = str | list[Finding] | None


def _unknown_keys(f: _Failure) -> _Message:
    if not isinstance(f.instance, dict):
        return None
    known = set(f.schema.get("properties", {}))
    findings = []
    for key in (k for k in f.instance if k not in known):
        message = f"unknown key {key!r} in {f.where}{_suggest(key, known)}"
        if not _suggest(key, known):
            message += f" (allowed: {', '.join(sorted(known))})"
        findings.append(f.doc.finding((*f.path, key), f.rule_id, message, ERROR, key=True))
    return findings or None


def _required(f: _Failure) -> _Message:
    # jsonschema reports each missing key as its own error, naming it in the message.
    match = re.match(r"^'(.+)' is a required property$", f.error.message)
    names = repr(match.group(1)) if match else f.error.message
    message = f"{f.where} is missing the required key {names}"
    return [f.doc.finding(f.path, f.rule_id, message, ERROR, key=bool(f.path))]


def _enum(f: _Failure) -> _Message:
    allowed = ", ".join(str(v) for v in f.error.validator_value)
    return (
        f"{f.where}: {_short(f.instance)} is not allowed; use one of: {allowed}"
        f"{_suggest(f.instance, f.error.validator_value)}"
    )


def _const(f: _Failure) -> _Message:
    return f"{f.where} must be {f.error.validator_value!r}, not {_short(f.instance)}"


def _type(f: _Failure) -> _Message:
    expected = f.error.validator_value
    expected_list = expected if isinstance(expected, list) else [expected]
    wanted = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in expected_list)
    message = f"{f.where} must be {wanted}, not {_value_words(f.instance)}"
    instance = f.instance
    if "string" in expected_list and isinstance(instance, (int, float, bool)):
        # What the user wrote (1.10, 007), not what it was read as (1.1, 7).
        shown = _written(f.doc, f.path) or (
            "true" if instance is True else "false" if instance is False else instance
        )
        message += f'; put it in quotes: "{shown}"'
    elif "boolean" in expected_list and isinstance(instance, str):
        message += "; write true or false (YAML 1.2: yes/no/on/off are text)"
    return message


def _pattern(f: _Failure) -> _Message:
    return f"{f.where}: {_short(f.instance)} is not {_pattern_words(f.error.validator_value)}"


def _format(f: _Failure) -> _Message:
    kind = f.error.validator_value
    if kind == "date":
        return f"{f.where}: {_short(f.instance)} is not a valid date; write YYYY-MM-DD"
    if kind == "email":
        why = email_problem(f.instance) if isinstance(f.instance, str) else None
        message = f"{f.where}: {_short(f.instance)} is not a valid email address"
        return message + (f" ({why})" if why else "")
    return f"{f.where}: {_short(f.instance)} is not a valid {kind}"


def _min_items(f: _Failure) -> _Message:
    count = len(f.instance) if isinstance(f.instance, list) else 0
    return f"{f.where} needs at least {f.error.validator_value} item(s), has {count}"


def _min_length(f: _Failure) -> _Message:
    return f"{f.where} must not be empty"


def _max_length(f: _Failure) -> _Message:
    return f"{f.where} is longer than {f.error.validator_value} characters"


def _bounds(f: _Failure) -> _Message:
    low, high = f.schema.get("minimum"), f.schema.get("maximum")
    if low is not None and high is not None:
        return f"{f.where} must be from {low} to {high}, not {f.instance}"
    if low is not None:
        return f"{f.where} must be at least {low}, not {f.instance}"
    return f"{f.where} must be at most {high}, not {f.instance}"


def _unique_items(f: _Failure) -> _Message:
    if not isinstance(f.instance, list):
        return None
    seen: set[str] = set()
    dupes = []
    for item in f.instance:
        key = repr(item)
        if key in seen:
            dupes.append(item)
        seen.add(key)
    return f"{f.where} lists {', '.join(_short(d) for d in dupes) or 'an item'} more than once"


def _branches(f: _Failure) -> _Message:
    if not f.error.context:
        return None
    return describe(f.doc, _nearest_branch_error(f.error))


# jsonschema validator keyword → the maker of its message (others: jsonschema's own words).
_MESSAGES: dict[str, Callable[[_Failure], _Message]] = {
    "additionalProperties": _unknown_keys,
    "required": _required,
    "enum": _enum,
    "const": _const,
    "type": _type,
    "pattern": _pattern,
    "format": _format,
    "minItems": _min_items,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minimum": _bounds,
    "maximum": _bounds,
    "uniqueItems": _unique_items,
    "oneOf": _branches,
    "anyOf": _branches,
}


def describe(doc: Document, error: Any) -> list[Finding]:
    """Findings for one jsonschema ValidationError, placed at the offending value or key."""
    validator = error.validator
    path = tuple(error.absolute_path)
    # An rmo.yaml is checked the same way: its top level is not "the charter".
    top = "rmo.yaml" if PurePath(doc.file).name == "rmo.yaml" else "the charter"
    failure = _Failure(doc, error, _where(path, top))
    maker = _MESSAGES.get(validator)
    made = maker(failure) if maker is not None else None
    if isinstance(made, list):
        return made
    message = made if made is not None else f"{failure.where}: {error.message}"
    return [doc.finding(path, failure.rule_id, message, ERROR)]
