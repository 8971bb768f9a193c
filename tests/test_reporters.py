"""`rmo validate` output formats, each read back by a real parser."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml
from conftest import ROOT, SAMPLES, charter

SARIF_SCHEMA = ROOT.parent / "shared" / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A folder with one clean charter, one with an error and a warning, one unreadable."""
    folder = tmp_path / "charters"
    folder.mkdir()
    shutil.copy(SAMPLES / "harbourside-globex-facilities.yaml", folder)
    bad = charter(status="actve")
    bad["objectives"][0]["owner"] = "ghost"
    # The same party id as the sample's names the same organisation (party-id-conflict).
    bad["parties"][1]["name"] = "Globex Facilities Services plc"
    (folder / "wrong-name.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
    (folder / "broken.yaml").write_text("apiVersion: rmo/v1\nkind: RelationshipCharter\na: [\n")
    return folder


def test_json_report(cli, mixed: Path) -> None:
    result = cli("validate", mixed, "--format", "json", "--as-of", "2026-11-23")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["summary"] == {"files": 3, "errors": 3, "warnings": 1}
    rules = {f["rule"] for f in report["findings"]}
    assert rules == {"yaml-syntax", "schema-enum", "unknown-person", "filename-id-mismatch"}
    enum = next(f for f in report["findings"] if f["rule"] == "schema-enum")
    assert set(enum) == {"file", "line", "column", "severity", "rule", "pointer", "message"}
    assert enum["pointer"] == "/status"
    assert "did you mean 'active'" in enum["message"]
    assert enum["file"] == str(mixed / "wrong-name.yaml")


def test_text_report_lines_and_summary(cli, mixed: Path) -> None:
    result = cli("validate", mixed, "--as-of", "2026-11-23")
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "3 files checked: 3 errors, 1 warning"
    enum_line = next(line for line in lines if "schema-enum" in line)
    path = mixed / "wrong-name.yaml"
    text = path.read_text().splitlines()
    number = text.index("status: actve") + 1
    assert enum_line.startswith(f"{path}:{number}:9: error[schema-enum] ")
    assert "\033[" not in result.stdout


def test_github_annotations(cli, mixed: Path) -> None:
    result = cli("validate", mixed, "--format", "github", "--as-of", "2026-11-23")
    commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(commands) == 4
    for line in commands:
        head, message = line[2:].split("::", 1)
        level, props = head.split(" ", 1)
        assert level in ("error", "warning")
        fields = dict(p.split("=", 1) for p in props.split(","))
        assert set(fields) == {"file", "line", "col", "title"}
        assert int(fields["line"]) >= 1 and int(fields["col"]) >= 1
        assert "\n" not in message


def test_junit_one_case_per_file(cli, mixed: Path) -> None:
    result = cli("validate", mixed, "--format", "junit", "--as-of", "2026-11-23")
    root = ET.fromstring(result.stdout)
    cases = root.findall(".//testcase")
    assert len(cases) == 3
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == {str(mixed / "wrong-name.yaml"), str(mixed / "broken.yaml")}
    assert root.get("failures") == "2"


def test_sarif_is_valid_sarif_2_1_0(cli, mixed: Path) -> None:
    result = cli("validate", mixed, "--format", "sarif", "--as-of", "2026-11-23")
    sarif = json.loads(result.stdout)
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert {r["ruleId"] for r in run["results"]} <= set(rule_ids)
    assert all(
        r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in run["results"]
    )
    if not SARIF_SCHEMA.exists():
        pytest.skip("the SARIF schema is not beside the project")
    from jsonschema import Draft4Validator

    schema = json.loads(SARIF_SCHEMA.read_text())
    errors = list(Draft4Validator(schema).iter_errors(sarif))
    assert not errors, errors[0].message


def test_sarif_uris_are_uri_references_for_any_file_name(cli, tmp_path: Path) -> None:
    from urllib.parse import unquote, urlsplit

    name = "ünï#cødé 100%.yaml"
    (tmp_path / name).write_text("id: [unclosed\n", encoding="utf-8")
    sarif = json.loads(cli("validate", tmp_path / name, "--format", "sarif").stdout)
    run = sarif["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert urlsplit(uri).fragment == "" and " " not in uri and uri.isascii()
    assert unquote(uri) == (tmp_path / name).as_posix()


def test_terminal_text_shows_source_line(mixed: Path, tmp_path: Path) -> None:
    import datetime as dt

    from rmo_cli.ops.repository import discover
    from rmo_cli.ops.validation import validate_files
    from rmo_cli.reporters import render
    from rmo_cli.support.findings import Report

    result = validate_files(discover([mixed]), dt.date(2026, 11, 23))
    sources = result.sources
    out = render(
        "text",
        Report([str(p) for p in sorted(mixed.iterdir())], result.findings, sources),
        colour=True,
    )
    assert "status: actve" in out
    assert "^" in out and "\033[" in out


def test_terminal_text_keeps_specs_line_format_and_aligns_the_caret() -> None:
    import re

    from rmo_cli.reporters import render
    from rmo_cli.support.findings import Finding, Report

    source = "title: 日本 🙂\tx: [\n"
    finding = Finding("c.yaml", 1, 13, "error", "yaml-syntax", "", "YAML syntax: bad")
    out = render("text", Report(["c.yaml"], [finding], {"c.yaml": source}), colour=True)
    plain = re.sub(r"\033\[[0-9;]*m", "", out).splitlines()
    assert plain[0] == "c.yaml:1:13: error[yaml-syntax] YAML syntax: bad"  # SPEC §5, a link
    code, caret = plain[1].split("| ", 1)[1], plain[2].split("| ", 1)[1]
    # Under column 13 ("x"): 7 ASCII, two wide CJK, a space, a wide emoji, a tab.
    assert caret == " " * 7 + "    " + " " + "  " + "\t" + "^"
    assert code[12] == "x"


def test_junit_stays_well_formed_for_any_file_name(cli, tmp_path: Path) -> None:
    path = tmp_path / "odd\x01name\x1b.yaml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    result = cli("validate", path, "--format", "junit")
    root = ET.fromstring(result.stdout)  # raises on a character XML cannot hold
    [case] = root.findall(".//testcase")
    assert case.get("name") == str(tmp_path / "odd\\x01name\\x1b.yaml")
