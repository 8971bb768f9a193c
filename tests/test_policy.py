"""Policy gates (SPEC §8): placeholder-text and policy-required, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL, charter, write_charter


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RMO_TODAY", "2026-11-23")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rmo.yaml").write_text(
        'charters: ["charters/*.yaml"]\n'
        "policy:\n"
        "  required:\n"
        '    active: [escalation, kpis, "parties[].people[].ser"]\n'
        '  placeholders: ["TBC", "(?i)to be confirmed"]\n',
        encoding="utf-8",
    )
    return tmp_path


def findings(cli: Any) -> tuple[int, list[tuple[str, str, str]]]:
    result = cli("validate", "--format", "json")
    report = json.loads(result.stdout)
    return result.exit_code, [(f["rule"], f["severity"], f["pointer"]) for f in report["findings"]]


ESCALATION = {
    "levels": [
        {"level": 1, "name": "Operational", "people": ["jdoe", "rsmith"], "time_limit": "P5D"}
    ]
}
KPIS = [{"id": "kpi-1", "name": "On-time delivery", "unit": "percent", "target": 95}]


def test_required_fields_of_an_active_charter(cli: Any, repo: Path) -> None:
    write_charter(repo / "charters" / "acme-globex.yaml", kpis=[])
    code, found = findings(cli)
    assert code == 1
    assert sorted(found) == [
        ("policy-required", "error", ""),  # escalation absent
        ("policy-required", "error", ""),  # kpis: [] is missing too
    ]


def test_every_item_and_false_is_a_value(cli: Any, repo: Path) -> None:
    data = charter(escalation=ESCALATION, kpis=KPIS)
    data["parties"][0]["people"][0]["ser"] = False  # false is a value
    del data["parties"][1]["people"][0]["ser"]
    write_charter(repo / "charters" / "acme-globex.yaml", data)
    code, found = findings(cli)
    assert code == 1
    assert found == [("policy-required", "error", "/parties/1/people/0")]


def test_a_draft_needs_nothing_and_a_complete_active_charter_passes(cli: Any, repo: Path) -> None:
    write_charter(repo / "charters" / "acme-globex.yaml", status="draft")
    assert findings(cli) == (0, [])
    write_charter(repo / "charters" / "acme-globex.yaml", escalation=ESCALATION, kpis=KPIS)
    assert findings(cli) == (0, [])


@pytest.mark.parametrize(
    "text",
    [
        "Keep the buildings running. TODO: say which.",
        "TBD",
        "FIXME later",
        "Owner: XXX",
        "Lorem ipsum dolor sit amet.",
        "Signed for <party name> by <name>.",
        "Budget TBC.",
        "Scope to be confirmed.",
        "To be agreed: the purpose.",
    ],
)
def test_placeholders_warn_in_a_draft_and_fail_otherwise(cli: Any, repo: Path, text: str) -> None:
    path = write_charter(repo / "charters" / "acme-globex.yaml", status="draft", purpose=text)
    assert findings(cli) == (0, [("placeholder-text", "warning", "/purpose")])
    write_charter(path, status="proposed", purpose=text)
    assert findings(cli) == (1, [("placeholder-text", "error", "/purpose")])


@pytest.mark.parametrize(
    "text",
    [
        "A todo list is kept by the PMO.",  # lower case: an ordinary word
        "Links: <https://example.org/plan> and <mailto:pmo@example.org>.",
        "Costs < 5% > last year.",
        "The XXXL size of the programme.",
        "Escaped, never run: <script>alert(1)</script> and <img src=x>.",
    ],
)
def test_ordinary_text_is_not_a_placeholder(cli: Any, repo: Path, text: str) -> None:
    write_charter(repo / "charters" / "acme-globex.yaml", status="proposed", purpose=text)
    assert findings(cli) == (0, [])


def test_a_broken_pattern_in_rmo_yaml_is_a_clear_error(cli: Any, repo: Path) -> None:
    (repo / "rmo.yaml").write_text('policy:\n  placeholders: ["(unclosed"]\n', encoding="utf-8")
    write_charter(repo / "charters" / "acme-globex.yaml")
    result = cli("validate", "charters")
    assert result.exit_code == 2
    assert "policy.placeholders[0]" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_status_in_the_policy_is_a_config_error(cli: Any, repo: Path) -> None:
    (repo / "rmo.yaml").write_text("policy:\n  required:\n    actve: [kpis]\n", encoding="utf-8")
    write_charter(repo / "charters" / "acme-globex.yaml")
    result = cli("validate", "charters")
    assert result.exit_code == 2 and "rmo.yaml" in result.stderr


def test_minimal_charter_is_untouched_by_the_default_policy() -> None:
    assert "escalation" not in MINIMAL


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+$", r"(?:TBC\s*)*$", r"(a|aa)+$", r"(x+x+)+y", r"(TBC)\1"],
)
def test_a_pattern_that_can_backtrack_forever_is_refused(
    cli: Any, repo: Path, pattern: str
) -> None:
    """Nested repeats, alternation under a repeat and backreferences can take exponential
    time on a short text: rmo.yaml naming one is a config error (exit 2), never a hang."""
    (repo / "rmo.yaml").write_text(
        "policy:\n  placeholders: [" + json.dumps(pattern) + "]\n", encoding="utf-8"
    )
    write_charter(repo / "charters" / "acme-globex.yaml", purpose="a" * 40 + "b")
    result = cli("check", "charters")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "policy.placeholders[0]" in result.stderr and "Traceback" not in result.stderr


def test_a_slow_pattern_is_stopped_not_waited_for(
    cli: Any, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pattern the static check lets through but that is polynomial on a long text
    (overlapping repeats) stops within the time bound: exit 2 naming it."""
    import time

    from rmo_cli.rules import policy

    monkeypatch.setattr(policy, "PATTERN_SECONDS", 0.2)
    (repo / "rmo.yaml").write_text(
        'policy:\n  placeholders: ["\\\\w*\\\\w*\\\\w*\\\\w*\\\\w*!"]\n', encoding="utf-8"
    )
    write_charter(repo / "charters" / "acme-globex.yaml", purpose="a" * 5000)
    start = time.monotonic()
    result = cli("check", "charters", "--no-cache")
    assert time.monotonic() - start < 20
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "policy.placeholders" in result.stderr and "too long" in result.stderr


@pytest.mark.parametrize(
    "pattern", ["TBC", "(?i)to be confirmed", r"\bTBA\b", r"\[(?:name|date)\]"]
)
def test_ordinary_patterns_are_accepted(cli: Any, repo: Path, pattern: str) -> None:
    (repo / "rmo.yaml").write_text(
        "policy:\n  placeholders: [" + json.dumps(pattern) + "]\n", encoding="utf-8"
    )
    write_charter(repo / "charters" / "acme-globex.yaml")
    assert cli("check", "charters").exit_code == 0
