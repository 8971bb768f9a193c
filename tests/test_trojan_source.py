"""Trojan Source: bidi controls and invisible characters are findings, and shown escaped."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import charter, git_commit, write_charter

from rmo_cli.charter.loading import read_charter
from rmo_cli.ops.validation import check_document

AS_OF = dt.date(2026, 11, 23)
RLO, PDF, ZWSP = "\u202e", "\u202c", "\u200b"


def _rules(path: Path) -> list[tuple[str, str, str]]:
    doc = read_charter(path).document
    assert doc is not None
    return [(f.rule, f.severity, f.pointer) for f in check_document(doc, AS_OF)]


@pytest.mark.parametrize(
    "char",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"],
)
def test_every_bidi_control_in_any_text_is_an_error(tmp_path: Path, char: str) -> None:
    data = charter()
    data["objectives"][0]["statement"] = f"Pay {char}0001 EUR"
    found = _rules(write_charter(tmp_path / "acme-globex.yaml", data))
    assert ("bidi-control", "error", "/objectives/0/statement") in found


def test_bidi_control_in_purpose_title_and_names(tmp_path: Path) -> None:
    data = charter(purpose=f"Pay {RLO}0001{PDF} EUR", title=f"Title {RLO}x")
    data["parties"][1]["name"] = f"Globex {RLO}dtL"
    found = _rules(write_charter(tmp_path / "acme-globex.yaml", data))
    pointers = {p for rule, _, p in found if rule == "bidi-control"}
    assert {"/purpose", "/title", "/parties/1/name"} <= pointers


@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
def test_invisible_characters_in_ids_and_emails_are_errors(tmp_path: Path, char: str) -> None:
    data = charter()
    data["parties"][0]["people"][0]["email"] = f"jane{char}@acme.example"
    data["objectives"][0]["owner"] = f"jdoe{char}"
    data["parties"][1]["id"] = f"glo{char}bex"
    found = _rules(write_charter(tmp_path / "acme-globex.yaml", data))
    invisible = {p for rule, sev, p in found if rule == "invisible-character" and sev == "error"}
    assert {"/parties/0/people/0/email", "/objectives/0/owner", "/parties/1/id"} <= invisible


def test_a_clean_charter_has_neither_finding(tmp_path: Path) -> None:
    data = charter(purpose="Keep the buildings running, שלום and مرحبا too.")
    found = _rules(write_charter(tmp_path / "acme-globex.yaml", data))
    assert not [r for r in found if r[0] in ("bidi-control", "invisible-character")]


def test_validate_text_output_shows_them_escaped(cli: Any, tmp_path: Path) -> None:
    data = charter()
    data["objectives"][0]["owner"] = f"jdoe{ZWSP}"
    data["objectives"][0]["statement"] = f"Pay {RLO}0001{PDF} EUR"
    path = write_charter(tmp_path / "acme-globex.yaml", data)
    result = cli("validate", path)
    assert result.exit_code == 1
    assert RLO not in result.stdout and ZWSP not in result.stdout
    assert "\\u202e" in result.stdout and "\\u200b" in result.stdout
    assert "error[bidi-control]" in result.stdout and "error[invisible-character]" in result.stdout
    as_json = json.loads(cli("validate", path, "--format", "json").stdout)
    assert {f["rule"] for f in as_json["findings"]} >= {"bidi-control", "invisible-character"}


def test_status_and_reviews_tables_show_them_escaped(cli: Any, tmp_path: Path) -> None:
    data = charter(title=f"Pay {RLO}0001{PDF} EUR to Glo{ZWSP}bex")
    path = write_charter(tmp_path / "acme-globex.yaml", data)
    for command in ("status", "reviews"):
        result = cli(command, path, env={"RMO_TODAY": "2026-11-23"})
        assert RLO not in result.stdout and PDF not in result.stdout, command
        assert ZWSP not in result.stdout, command
    status = cli("status", path, "--wide", env={"RMO_TODAY": "2026-11-23"}).stdout
    assert "Pay \\u202e0001\\u202c EUR to Glo\\u200bbex" in status


def test_diff_and_log_show_them_escaped(cli: Any, git_repo: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(git_repo)
    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    git_commit(git_repo, "first")
    write_charter(path, charter(purpose=f"Pay {RLO}0001{PDF} EUR"))
    git_commit(git_repo, f"second {RLO}txet")
    diff = cli("diff", path, "HEAD~1", "HEAD")
    assert diff.exit_code in (0, 1), diff.output
    assert RLO not in diff.stdout and "\\u202e" in diff.stdout
    log = cli("log", path)
    assert RLO not in log.stdout
