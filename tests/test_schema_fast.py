"""The jsonschema-rs fast path never passes a charter the pure-Python validator rejects."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from conftest import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmo_cli.charter.loading import parse_charter
from rmo_cli.charter.schema import _fast_validator, _validator, is_valid, schema_findings

SAMPLE_DATA = [
    parse_charter(p.read_bytes(), p.name).document.data  # type: ignore[union-attr]
    for p in sorted(SAMPLES.glob("*.yaml"))
]
MANY = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values that break charters in the ways people do: wrong types, bad dates and emails, bad
# slugs, durations, fingerprints, empty things, trailing newlines (Python's `$` matches
# before one), non-ASCII digits (Python's `\d` matches them), huge and odd numbers.
_LITERALS = [
    "",
    " ",
    "2024-02-30",
    "2024-02-29",
    "2023-02-29",
    "2024-13-01",
    "2024-1-01",
    "2024-01-01\n",
    "2024-01-01T00:00:00",
    "٢٠٢٤-٠١-٠١",
    "a@b",
    "@",
    "a@",
    "not an email",
    "x@example.com\n",
    "-oProxyCommand=x@y",
    "a@b..c",
    "jane\u200b@acme.example",
    "acme\n",
    "Acme",
    "a-",
    "-a",
    "a",
    "a--b",
    "P3M",
    "P3M\n",
    "P",
    "PT1H",
    "P1.5M",
    "P٣M",
    "monthly",
    "weekly",
    "1.0",
    "1.0.0",
    "1",
    "1.٠",
    "sha256:" + "0" * 64,
    "sha256:" + "0" * 63,
    "sha256:" + "A" * 64,
    "sha256:" + "0" * 64 + "\n",
    "active",
    "draft",
    "nonsense",
]
_nasty = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(_LITERALS),
    st.text(max_size=12),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=8), st.text(max_size=5), max_size=3),
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in data."""
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out.extend(_paths(value, (*prefix, index)))
    return out


@st.composite
def _broken_charters(draw: st.DrawFn) -> Any:
    data = copy.deepcopy(draw(st.sampled_from(SAMPLE_DATA)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(_nasty)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "id", "x-note", "status"]))] = draw(_nasty)
        else:
            parent.append(draw(_nasty))
    return data


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    data = copy.deepcopy(data)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return data


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


@st.composite
def _broken_leaves(draw: st.DrawFn) -> Any:
    """One text value of a sample replaced by one of the literals (formats, patterns)."""
    data = draw(st.sampled_from(SAMPLE_DATA))
    leaves = [p for p in _paths(data) if p and isinstance(_get(data, p), str)]
    return _set(data, draw(st.sampled_from(leaves)), draw(st.sampled_from(_LITERALS)))


def _agree(data: Any) -> None:
    slow_errors = list(_validator("charter.schema.json").iter_errors(data))
    if is_valid(data):
        assert not slow_errors, [e.message for e in slow_errors]


def test_fast_path_checks_formats() -> None:
    """Every date and email value of a sample, broken, is failed by the fast path too."""
    data = SAMPLE_DATA[0]
    dates = [p for p in _paths(data) if isinstance(_get(data, p), str) and len(p) > 0]
    for path in dates:
        value = _get(data, path)
        if len(value) == 10 and value[4] == "-":
            for bad in ("2024-02-30", "2023-02-29", "2024-13-01"):
                _agree(_set(data, path, bad))
                assert is_valid(_set(data, path, bad)) is False, (path, bad)
        if "@" in value and "." in value:
            for bad in ("not an email", "x.example.com", "-oProxyCommand=x@y", "a@b"):
                _agree(_set(data, path, bad))
                assert is_valid(_set(data, path, bad)) is False, (path, bad)


@MANY
@given(_broken_leaves())
def test_fast_path_agrees_on_broken_values(data: Any) -> None:
    _agree(data)


def test_fast_path_is_in_use() -> None:
    """jsonschema-rs is installed (a base dependency) and compiles both schemas."""
    assert _fast_validator("charter.schema.json") is not None
    assert _fast_validator("config.schema.json") is not None
    assert _fast_validator("register.schema.json") is not None


def test_samples_pass_both() -> None:
    for data in SAMPLE_DATA:
        assert is_valid(data) is True
        assert not list(_validator("charter.schema.json").iter_errors(data))


@MANY
@given(_broken_charters())
def test_fast_path_never_passes_what_the_validator_rejects(data: Any) -> None:
    _agree(data)


def test_invalid_documents_keep_their_wording() -> None:
    """A document the fast path fails is worded by the pure-Python validator, as before."""
    raw = (SAMPLES / sorted(p.name for p in SAMPLES.glob("*.yaml"))[0]).read_bytes()
    data = yaml.safe_load(raw)
    data["status"] = "nonsense"
    text = yaml.safe_dump(data, sort_keys=False).encode()
    doc = parse_charter(text, "x.yaml").document
    assert doc is not None
    assert is_valid(doc.data) is False
    findings = schema_findings(doc)
    assert findings and all(f.rule.startswith("schema") for f in findings), findings
