"""The README tells the truth: rule table, commands, and the two set-up commands."""

from __future__ import annotations

import os
import re

from conftest import ROOT

from rmo_cli.rules.catalogue import rule_catalogue

README = ROOT / "README.md"
START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def rules_table() -> str:
    """The README's rule table, generated from the code's catalogue."""
    rows = ["| rule id | severity | what it means |", "|---|---|---|"]
    for rule_id, (severity, description) in sorted(rule_catalogue().items()):
        rows.append(f"| `{rule_id}` | {severity} | {description} |")
    return "\n".join(rows)


def test_rules_table_matches_the_code() -> None:
    text = README.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    expected = f"{before}{START}\n{rules_table()}\n{END}{after}"
    if os.environ.get("RMO_UPDATE_README"):
        README.write_text(expected, encoding="utf-8")
    assert text == expected, "README rule table is out of date: run with RMO_UPDATE_README=1"


def test_every_command_is_in_the_readme(cli) -> None:
    text = README.read_text(encoding="utf-8")
    help_text = cli("--help").stdout
    commands = set(re.findall(r"│ ([a-z][a-z-]+) ", help_text))
    assert {"validate", "schema"} <= commands
    for command in commands:
        assert f"`rmo {command}" in text, f"rmo {command} is not documented in the README"


def test_ci_runs_the_readme_test_command() -> None:
    text = README.read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in text and "<!-- main-command -->" in text
    assert "test-command" in ci and "README.md" in ci
