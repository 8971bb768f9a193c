"""Each semantic rule of SPEC §3 with a charter that breaks it, through `rmo validate`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import charter

from rmo_cli.rules.catalogue import rule_catalogue
from rmo_cli.rules.registry import RULES

AS_OF = "2026-11-23"


def _with_bodies(d: dict[str, Any]) -> None:
    d["governance"]["bodies"] = [
        {"id": "board", "name": "Board", "members": ["jdoe", "rsmith"], "chair": "ghost"}
    ]


def _signoff(person: str, party: str, date: str = "2026-01-10") -> dict[str, Any]:
    return {
        "person": person,
        "party": party,
        "date": date,
        "version": "1.0.0",
        "fingerprint": "sha256:" + "0" * 64,
    }


# (rule id, mutation of the minimal charter, the text on the offending line, severity)
CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    (
        "duplicate-email",
        lambda d: d["parties"][1]["people"][0].update(email="JANE@acme.example"),
        "email: JANE@acme.example",
        "error",
    ),
    (
        "unknown-person",
        lambda d: d["objectives"][0].update(owner="ghost"),
        "owner: ghost",
        "error",
    ),
    (
        "unknown-party",
        lambda d: d["governance"].update(lead_party="umbrella"),
        "lead_party: umbrella",
        "error",
    ),
    (
        "unknown-objective",
        lambda d: d.update(kpis=[{"id": "kpi-1", "name": "Uptime", "objective": "obj-9"}]),
        "objective: obj-9",
        "error",
    ),
    (
        "kpi-threshold",
        lambda d: d.update(
            kpis=[{"id": "kpi-1", "name": "Uptime", "target": 95, "thresholds": {"at_risk": 99}}]
        ),
        "at_risk: 99",
        "error",
    ),
    (
        "duplicate-id",
        lambda d: d["objectives"].append({"id": "obj-1", "statement": "Again."}),
        "- id: obj-1\n  statement: Again.",
        "error",
    ),
    (
        "duplicate-person-id",
        lambda d: d["parties"][1]["people"].append({"id": "jdoe", "name": "John Doe"}),
        "- id: jdoe\n    name: John Doe",
        "error",
    ),
    (
        "lead-party-required",
        lambda d: d["governance"].pop("lead_party"),
        "model: quasi-hierarchy",
        "error",
    ),
    (
        "lead-party-rule-in-network",
        lambda d: d["governance"].update(
            model="network", decision_rule="lead-party", lead_party="acme"
        ),
        "decision_rule: lead-party",
        "warning",
    ),
    (
        "signoff-party-mismatch",
        lambda d: d.update(signoffs=[_signoff("jdoe", "globex")]),
        "party: globex",
        "error",
    ),
    (
        "effective-after-expires",
        lambda d: d["term"].update(expires="2024-01-01"),
        "expires: '2024-01-01'",
        "error",
    ),
    (
        "reviewed-before-effective",
        lambda d: d["review"].update(last_reviewed="2024-06-01"),
        "last_reviewed: '2024-06-01'",
        "error",
    ),
    (
        "future-date",
        lambda d: d["review"].update(
            log=[{"date": "2027-01-01", "reviewers": ["jdoe"], "outcome": "affirmed"}]
        ),
        "date: '2027-01-01'",
        "error",
    ),
    (
        "next-due-after-expiry",
        lambda d: d["review"].update(next_due="2028-06-01"),
        "next_due: '2028-06-01'",
        "warning",
    ),
    (
        "escalation-level-gap",
        lambda d: d.update(
            escalation={
                "levels": [{"level": 1, "name": "Ops"}, {"level": 3, "name": "Exec"}],
            }
        ),
        "level: 3",
        "error",
    ),
    (
        # 1.0 and 3.0 are integers to JSON Schema, so the gap counts too.
        "escalation-level-gap",
        lambda d: d.update(
            escalation={
                "levels": [{"level": 1.0, "name": "Ops"}, {"level": 3.0, "name": "Exec"}],
            }
        ),
        "level: 3.0",
        "error",
    ),
    ("chair-not-member", _with_bodies, "chair: ghost", "error"),
    (
        "bidi-control",
        lambda d: d["objectives"][0].update(statement="Pay \u202e0001\u202c EUR"),
        "statement: Pay",
        "error",
    ),
    (
        "active-but-expired",
        lambda d: (
            d["term"].update(effective="2020-01-01", expires="2026-01-01")
            or d["review"].update(last_reviewed="2025-12-01")
        ),
        "expires: '2026-01-01'",
        "warning",
    ),
]


def _locate(text: str, needle: str) -> tuple[int, int]:
    index = text.index(needle)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def _value_column(snippet: str) -> int:
    """Column offset (0-based) of the value within the needle's first line."""
    first = snippet.split("\n")[0]
    if first.startswith("- "):
        first = first[2:]
        return 2 + first.index(": ") + 2
    return first.index(": ") + 2


@pytest.mark.parametrize(
    ("rule_id", "mutate", "needle", "severity"), CASES, ids=[c[0] for c in CASES]
)
def test_rule_reports_file_line_and_column(
    cli, tmp_path: Path, rule_id, mutate, needle, severity
) -> None:
    data = charter()
    mutate(data)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    path = tmp_path / "acme-globex.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("validate", path, "--format", "json", "--as-of", AS_OF)
    assert "Traceback" not in result.output + result.stderr
    findings = json.loads(result.stdout)["findings"]
    mine = [f for f in findings if f["rule"] == rule_id]
    assert mine, findings
    finding = mine[0]
    line, column = _locate(text, needle)
    column += _value_column(needle)
    assert (finding["file"], finding["line"], finding["column"]) == (str(path), line, column)
    assert finding["severity"] == severity
    incidental = {rule_id, "unknown-person", "last-reviewed-mismatch"}
    others = [f for f in findings if f["rule"] not in incidental]
    assert not [f for f in others if f["severity"] == "error"], others
    assert result.exit_code == (1 if severity == "error" else 0)
    if severity == "warning":
        strict = cli("validate", path, "--strict", "--as-of", AS_OF)
        assert strict.exit_code == 1


def test_every_registered_rule_has_a_breaking_case() -> None:
    covered = {c[0] for c in CASES} | {"filename-id-mismatch", "duplicate-charter-id"}
    # Ids also break their schema pattern: tested with that in tests/test_trojan_source.py.
    covered |= {"invisible-character"}
    own = {rid for rid, r in RULES.items() if r.check is not None and "review" not in rid}
    own |= {"duplicate-charter-id"}
    assert own - covered <= {"last-reviewed-mismatch"}, own - covered


def test_filename_differs_from_id_is_a_warning(cli, tmp_path: Path) -> None:
    path = tmp_path / "other-name.yaml"
    path.write_text(yaml.safe_dump(charter(), sort_keys=False), encoding="utf-8")
    result = cli("validate", path, "--format", "json", "--as-of", AS_OF)
    assert result.exit_code == 0
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["rule"] == "filename-id-mismatch"
    assert (finding["line"], finding["column"], finding["severity"]) == (3, 5, "warning")
    assert cli("validate", path, "--strict", "--as-of", AS_OF).exit_code == 1
    assert finding["message"].endswith(f"rename the file to {charter()['id']}.yaml")
    yml = path.rename(tmp_path / "other-name.yml")  # the advice keeps the file's extension
    result = cli("validate", yml, "--format", "json", "--as-of", AS_OF)
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["message"].endswith(f"rename the file to {charter()['id']}.yml")


def test_duplicate_charter_id_across_files(cli, tmp_path: Path) -> None:
    text = yaml.safe_dump(charter(), sort_keys=False)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "acme-globex.yaml").write_text(text)
    (tmp_path / "b" / "acme-globex.yaml").write_text(text)
    result = cli("validate", tmp_path, "--format", "json", "--as-of", AS_OF)
    assert result.exit_code == 1
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"]
    assert finding["rule"] == "duplicate-charter-id"
    assert finding["file"].endswith("b/acme-globex.yaml")
    assert "a/acme-globex.yaml" in finding["message"]
    assert (finding["line"], finding["column"]) == (3, 5)


def test_rules_never_crash_on_wrong_types(cli, tmp_path: Path) -> None:
    data = charter(
        parties=[{"id": 5, "people": "x"}, "text"],
        objectives={"a": 1},
        governance=["x"],
        term="soon",
        review={"log": [1, None], "last_reviewed": 20240101},
        signoffs=[None, {"person": ["x"]}],
        escalation={"levels": [{"level": "one"}, 7]},
        kpis=[{"objective": 3}],
    )
    path = tmp_path / "acme-globex.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = cli("validate", path, "--format", "json")
    assert result.exit_code == 1
    assert "Traceback" not in result.output + result.stderr
    assert all(f["line"] >= 1 for f in json.loads(result.stdout)["findings"])


def test_catalogue_has_descriptions_and_kebab_ids() -> None:
    catalogue = rule_catalogue()
    for rule_id, (severity, description) in catalogue.items():
        assert rule_id == rule_id.lower() and " " not in rule_id and "_" not in rule_id
        assert severity in ("error", "warning")
        assert description.strip()
