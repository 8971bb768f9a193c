"""The language server's text helpers: spans of findings and the YAML path at a cursor."""

from __future__ import annotations

import pytest
from conftest import SAMPLES

from rmo_cli.charter.loading import parse_charter
from rmo_cli.lsp import navigation, schema_help
from rmo_cli.lsp.text import Cursor, cursor_at, lines_of, token_span

TEXT = """\
apiVersion: rmo/v1
parties:
  - id: acme
    people:
      - id: jdoe
        name: "Jane: Doe"  # quoted
governance:
  bodies:
    - id: board
      members: [jdoe, rsmith]
purpose: |
  owner: not a key, text
title: Plain text, with a comma
"""
LINES = lines_of(TEXT)
PERSON = ("parties", 0, "people", 0, "id")
MEMBERS = ("governance", "bodies", 0, "members")


@pytest.mark.parametrize(
    ("line", "character", "expected"),
    [
        (2, 10, Cursor(("parties", 0, "id"), "value", "ac", ("parties", 0, "id"))),
        (3, 6, Cursor(("parties", 0), "key", "pe")),
        (4, 12, Cursor(("parties", 0, "people", 0, "id"), "value", "", PERSON)),
        (9, 24, Cursor((*MEMBERS, 1), "value", "rs", MEMBERS)),
        (8, 8, Cursor(("governance", "bodies", 0), "item", "id")),
        (12, 0, Cursor((), "key", "")),
        (11, 10, None),  # inside the purpose text
        (5, 40, None),  # in a comment
    ],
)  # fmt: skip
def test_cursor_path_follows_indentation(line: int, character: int, expected) -> None:
    assert cursor_at(LINES, line, character) == expected


def test_cursor_path_works_on_text_that_does_not_parse() -> None:
    broken = TEXT.replace("      members: [jdoe, rsmith]", "      chair: j\n      members: [")
    assert parse_charter(broken.encode(), "x.yaml").document is None
    lines = lines_of(broken)
    assert cursor_at(lines, 9, 14) == Cursor(
        ("governance", "bodies", 0, "chair"), "value", "j", ("governance", "bodies", 0, "chair")
    )


@pytest.mark.parametrize(
    ("line", "column", "covered"),
    [
        (6, 15, '"Jane: Doe"'),  # a quoted scalar with a colon inside
        (10, 17, "jdoe"),  # an item of a flow list stops at the comma
        (13, 8, "Plain text, with a comma"),  # a block scalar keeps its commas
        (5, 9, "id"),  # a key stops at its colon
    ],
)
def test_token_span_covers_the_whole_value(line: int, column: int, covered: str) -> None:
    span = token_span(LINES, line, column)
    assert span[0] == span[2] == line - 1
    assert LINES[line - 1][span[1] : span[3]] == covered


def test_token_span_past_the_end_is_an_empty_span_at_the_end() -> None:
    assert token_span(["a: b", ""], 5, 1) == (1, 0, 1, 0)


def test_every_person_reference_the_rules_check_is_a_reference_for_navigation() -> None:
    """The schema's personRef places and the unknown-person rule's places are the same."""
    from rmo_cli.rules.charter import _person_refs

    for sample in SAMPLES.glob("*.yaml"):
        text = sample.read_text(encoding="utf-8")
        doc = parse_charter(text.encode(), sample.name).document
        assert doc is not None
        ruled = {path for path, value, _ in _person_refs(doc.data) if isinstance(value, str)}
        found = navigation.occurrences(doc, lines_of(text))
        navigated = {o.path for o in found if o.kind == "person" and not o.definition}
        assert ruled == navigated, sample.name


def test_id_kinds_come_from_the_schema() -> None:
    assert schema_help.id_kind(("governance", "lead_party")) == "party"
    assert schema_help.id_kind(("signoffs", 0, "person")) == "person"
    assert schema_help.id_kind(("kpis", 0, "objective")) == "objective"
    assert schema_help.id_kind(("parties", 0, "id")) is None
