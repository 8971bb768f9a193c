"""Tests of the JSON Schemas in schemas/ and of the sample charters that illustrate them."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).parent.parent
SCHEMAS = ROOT / "schemas"
SAMPLES = ROOT / "sample_charters"
SAMPLE_FILES = sorted([*SAMPLES.glob("*.yaml"), *SAMPLES.glob("*.yml")])
GOVERNANCE_MODELS = {"market", "network", "quasi-hierarchy", "hierarchy"}

# Keywords whose value is a map of name -> subschema, or a single subschema.
_SCHEMA_MAPS = ("properties", "$defs", "patternProperties")
_SCHEMA_SINGLE = ("items", "additionalProperties", "not", "if", "then", "else", "contains")


def _load_schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def charter_schema() -> dict[str, Any]:
    return _load_schema("charter.schema.json")


@pytest.fixture(scope="module")
def config_schema() -> dict[str, Any]:
    return _load_schema("config.schema.json")


@pytest.fixture(scope="module")
def charter_validator(charter_schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(charter_schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _dates_to_iso(value: Any) -> Any:
    """Turn PyYAML's datetime.date values into ISO strings, as rmo's loader does."""
    if isinstance(value, dict):
        return {key: _dates_to_iso(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_to_iso(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _load_sample(path: Path) -> dict[str, Any]:
    data = _dates_to_iso(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert isinstance(data, dict), f"{path.name}: top level is not a mapping"
    return data


def _subschemas(schema: dict[str, Any], where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object inside schema (itself included) with its JSON Pointer."""
    yield where, schema
    for keyword in _SCHEMA_MAPS:
        for name, sub in schema.get(keyword, {}).items():
            yield from _subschemas(sub, f"{where}/{keyword}/{name}")
    for keyword in _SCHEMA_SINGLE:
        sub = schema.get(keyword)
        if isinstance(sub, dict):
            yield from _subschemas(sub, f"{where}/{keyword}")


def _resolve(root: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow local $refs (#/$defs/NAME) until a schema with its own keywords is reached."""
    while "$ref" in schema and not schema.get("properties") and "items" not in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), f"unexpected $ref {ref}"
        schema = root["$defs"][ref.removeprefix("#/$defs/")]
    return schema


def _schema_property_paths(root: dict[str, Any]) -> set[str]:
    """Dotted paths of every property the charter schema defines, e.g. parties[].people[].ser."""
    paths: set[str] = set()

    def walk(schema: dict[str, Any], prefix: str) -> None:
        schema = _resolve(root, schema)
        for name, sub in schema.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            paths.add(path)
            walk(sub, path)
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], prefix + "[]")

    walk(root, "")
    return paths


def _data_paths(value: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every mapping key used in a loaded charter, in the same notation."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            paths.add(path)
            paths |= _data_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= _data_paths(item, prefix + "[]")
    return paths


@pytest.mark.parametrize(
    "name", ["charter.schema.json", "config.schema.json", "register.schema.json"]
)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = _load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://rmo-cli.org/schemas/{name}"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize(
    "name", ["charter.schema.json", "config.schema.json", "register.schema.json"]
)
def test_every_property_and_definition_has_title_and_description(name: str) -> None:
    schema = _load_schema(name)
    missing = []
    for where, sub in _subschemas(schema):
        for keyword in ("properties", "$defs"):
            for prop, prop_schema in sub.get(keyword, {}).items():
                for field in ("title", "description"):
                    text = prop_schema.get(field)
                    if not (isinstance(text, str) and text.strip()):
                        missing.append(f"{where}/{keyword}/{prop}: {field}")
    assert not missing, "missing title/description:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    "name", ["charter.schema.json", "config.schema.json", "register.schema.json"]
)
def test_every_object_is_closed_and_no_oneof_anyof(name: str) -> None:
    schema = _load_schema(name)
    for where, sub in _subschemas(schema):
        assert "oneOf" not in sub and "anyOf" not in sub, f"{where}: unreadable oneOf/anyOf"
        if sub.get("type") == "object":
            assert sub.get("additionalProperties") is False, f"{where}: object not closed"


def test_there_are_samples() -> None:
    assert len(SAMPLE_FILES) >= 4


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_validates_against_charter_schema(
    path: Path, charter_validator: Draft202012Validator
) -> None:
    errors = [
        f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in charter_validator.iter_errors(_load_sample(path))
    ]
    assert not errors, f"{path.name}:\n" + "\n".join(errors)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_file_name_is_its_id_and_has_modeline(path: Path) -> None:
    assert _load_sample(path)["id"] == path.stem
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../schemas/charter.schema.json"


def test_samples_use_every_governance_model() -> None:
    used = {_load_sample(path)["governance"]["model"] for path in SAMPLE_FILES}
    assert used == GOVERNANCE_MODELS


def test_samples_use_every_top_level_property(charter_schema: dict[str, Any]) -> None:
    used: set[str] = set()
    for path in SAMPLE_FILES:
        used |= set(_load_sample(path))
    assert set(charter_schema["properties"]) - used == set()


# KPI thresholds and measurements are shown by the KPI fixture, not the samples: every
# sample is signed, and today's fingerprint still covers them (SPEC §11 takes measurements
# out of it; the samples can carry them once that lands and they are re-signed).
KPI_FIXTURE = Path(__file__).parent / "data" / "kpis" / "acme-globex.yaml"


def test_samples_use_every_property_at_every_depth(charter_schema: dict[str, Any]) -> None:
    used: set[str] = set()
    for path in [*SAMPLE_FILES, KPI_FIXTURE]:
        used |= _data_paths(_load_sample(path))
    assert sorted(_schema_property_paths(charter_schema) - used) == []


@pytest.mark.parametrize(
    ("pointer", "value", "valid"),
    [
        (("review", "cadence"), "quarterly", True),
        (("review", "cadence"), "P1Y6M", True),
        (("review", "cadence"), "P", False),
        (("review", "cadence"), "fortnightly", False),
        (("term", "notice_period"), "P2W", True),
        (("term", "notice_period"), "90 days", False),
        (("term", "effective"), "2025-02-30", False),
        (("version",), "1.2", True),
        (("version",), "v1.2.0", False),
        (("id",), "a", False),
        (("id",), "Acme", False),
        (("parties", 0, "id"), "no", True),
        (("parties", 0, "id"), "x", True),
        (("parties", 0, "id"), "-acme", False),
        (("parties", 0, "people", 0, "ser"), "yes", False),
        (("parties", 0, "people", 0, "email"), "not an email", False),
        (("risks", 0, "likelihood"), 6, False),
        (("governance", "model"), "modular", False),
        (("signoffs", 0, "fingerprint"), "sha256:abc", False),
        (("surprise",), "extra key", False),
    ],
)
def test_schema_accepts_and_refuses_values(
    charter_validator: Draft202012Validator, pointer: tuple[Any, ...], value: Any, valid: bool
) -> None:
    charter = _load_sample(SAMPLES / "harbourside-globex-facilities.yaml")
    target = charter
    for step in pointer[:-1]:
        target = target[step]
    target[pointer[-1]] = value
    assert charter_validator.is_valid(charter) is valid


@pytest.mark.parametrize(
    ("config", "valid"),
    [
        ({}, True),
        (
            {
                "charters": ["charters/**/*.yaml"],
                "templates": "templates",
                "due_soon": "P30D",
                "signers": "allowed_signers",
            },
            True,
        ),
        ({"charters": []}, False),
        ({"charters": "charters/"}, False),
        ({"due_soon": "30 days"}, False),
        ({"unknown": 1}, False),
    ],
)
def test_config_schema(config_schema: dict[str, Any], config: dict[str, Any], valid: bool) -> None:
    assert Draft202012Validator(config_schema).is_valid(config) is valid
