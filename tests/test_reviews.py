"""Review state (SPEC §5), review findings, the integrity rules and the output formats."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, charter, git, git_commit, write_charter
from hypothesis import given, settings
from hypothesis import strategies as st

from rmo_cli.charter.loading import read_charter
from rmo_cli.charter.reviews import review_owner, review_status
from rmo_cli.cli.exits import exit_code_of
from rmo_cli.ops.reviews import ReviewEntry, review_entries
from rmo_cli.ops.validation import check_document
from rmo_cli.reporters.reviews import (
    fold,
    format_ics,
    format_json,
    format_md,
    format_table,
    ics_text,
)
from rmo_cli.rules.registry import RULES
from rmo_cli.rules.reviews import review_findings, review_history_findings
from rmo_cli.support.errors import RmoError

D = dt.date


def reviewed(last: str | None = "2026-08-01", cadence: str = "P6M", **review: Any) -> dict:
    """A charter whose review section is cadence + last_reviewed + extra fields."""
    section: dict[str, Any] = {"cadence": cadence, **review}
    if last is not None:
        section["last_reviewed"] = last
    return charter(review=section)


# --- review_status: the boundaries of SPEC §5 ------------------------------------------


def test_due_yesterday_is_overdue_by_one_day() -> None:
    status = review_status(reviewed(next_due="2026-12-01"), D(2026, 12, 2))
    assert (status.state, status.days, status.next_due) == ("overdue", -1, D(2026, 12, 1))


def test_due_today_is_due_soon_with_zero_days() -> None:
    status = review_status(reviewed(next_due="2026-12-01"), D(2026, 12, 1))
    assert (status.state, status.days) == ("due-soon", 0)


@pytest.mark.parametrize(
    ("as_of", "within", "state", "days"),
    [
        (D(2026, 11, 1), "P30D", "due-soon", 30),  # last day of the window (included)
        (D(2026, 10, 31), "P30D", "ok", 31),  # one day outside the window
        (D(2026, 11, 17), "P2W", "due-soon", 14),
        (D(2026, 11, 16), "P2W", "ok", 15),
        (D(2026, 11, 1), "P1M", "due-soon", 30),  # 2026-11-01 + P1M = 2026-12-01
        (D(2026, 10, 31), "P1M", "ok", 31),  # 2026-10-31 + P1M = 2026-11-30
    ],
)
def test_window_bounds(as_of: dt.date, within: str, state: str, days: int) -> None:
    status = review_status(reviewed(next_due="2026-12-01"), as_of, within)
    assert (status.state, status.days) == (state, days)


def test_next_due_overrides_the_computed_date() -> None:
    status = review_status(reviewed(last="2026-08-01", next_due="2026-09-01"), D(2026, 8, 15))
    assert status.next_due == D(2026, 9, 1)
    assert status.next_due_source == "next_due"


@pytest.mark.parametrize(
    ("cadence", "due"),
    [
        ("monthly", D(2026, 9, 1)),
        ("quarterly", D(2026, 11, 1)),
        ("semiannual", D(2027, 2, 1)),
        ("annual", D(2027, 8, 1)),
        ("P2W", D(2026, 8, 15)),
        ("P90D", D(2026, 10, 30)),
        ("P1Y6M", D(2028, 2, 1)),
    ],
)
def test_cadence_keywords_and_durations(cadence: str, due: dt.date) -> None:
    assert review_status(reviewed(cadence=cadence), D(2026, 8, 2)).next_due == due


@pytest.mark.parametrize(
    ("last", "next_due"),
    [
        ("2024-01-31", D(2024, 2, 29)),  # leap year: clamped to the 29th
        ("2023-01-31", D(2023, 2, 28)),
        ("2024-03-31", D(2024, 4, 30)),
    ],
)
def test_month_end_is_clamped(last: str, next_due: dt.date) -> None:
    data = reviewed(last=last, cadence="P1M")
    data["term"]["effective"] = "2023-01-01"
    assert review_status(data, D(2024, 1, 1)).next_due == next_due


def test_never_reviewed_counts_from_effective() -> None:
    status = review_status(reviewed(last=None, cadence="P6M"), D(2025, 3, 1))
    assert status.next_due == D(2025, 8, 1)  # term.effective 2025-02-01 + 6 months
    assert status.next_due_source == "effective"
    assert status.last_reviewed is None


@pytest.mark.parametrize("status", ["draft", "proposed", "terminated", "expired", "superseded"])
def test_unscheduled_statuses(status: str) -> None:
    data = reviewed(next_due="2020-01-01")
    data["status"] = status
    result = review_status(data, D(2026, 12, 1))
    assert (result.state, result.next_due, result.days) == ("not-scheduled", None, None)
    assert status in (result.reason or "")


@pytest.mark.parametrize("status", ["active", "under-review", "suspended"])
def test_scheduled_statuses(status: str) -> None:
    data = reviewed(next_due="2020-01-01")
    data["status"] = status
    assert review_status(data, D(2026, 12, 1)).state == "overdue"


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "text",
        {"status": "active"},
        {"status": "active", "review": "P6M"},
        {"status": "active", "review": {"cadence": 6}, "term": {"effective": "2025-01-01"}},
        {"status": "active", "review": {"cadence": "P6M"}, "term": {"effective": 20250101}},
        {"status": "active", "review": {"cadence": "P6M", "last_reviewed": "yesterday"}},
        {"status": "active", "review": {"cadence": "every month"}, "term": {"effective": "x"}},
        {"status": ["active"], "review": {"cadence": "P6M"}},
        {"status": "active", "review": {"cadence": "P1M"}, "term": {"effective": "9999-12-15"}},
    ],
)
def test_schema_invalid_data_is_not_scheduled_never_a_crash(data: Any) -> None:
    result = review_status(data, D(2026, 1, 1))
    assert result.state == "not-scheduled"
    assert result.reason


def test_unparseable_next_due_falls_back_to_the_cadence() -> None:
    status = review_status(reviewed(next_due="soon"), D(2026, 9, 1))
    assert status.next_due == D(2027, 2, 1)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.sampled_from(["2025-01-31", "P1M", "monthly", "active", "P0D", "9999-12-31"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    status=json_values,
    review=st.dictionaries(
        st.sampled_from(["cadence", "last_reviewed", "next_due", "log"]), json_values
    ),
    term=st.dictionaries(st.sampled_from(["effective", "expires"]), json_values),
)
def test_review_status_never_raises(status: Any, review: Any, term: Any) -> None:
    result = review_status({"status": status, "review": review, "term": term}, D(2026, 1, 1))
    assert result.state in ("overdue", "due-soon", "ok", "not-scheduled")


def test_bad_window_is_a_usage_error() -> None:
    with pytest.raises(RmoError) as caught:
        review_status(charter(), D(2026, 1, 1), "30 days")
    assert exit_code_of(caught.value) == 2
    assert "--within" in caught.value.message


# --- expiry ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "state", "days"),
    [
        (D(2028, 2, 1), "expired", -1),
        (D(2028, 1, 31), "expiring", 0),
        (D(2028, 1, 1), "expiring", 30),
        (D(2027, 12, 31), "ok", 31),
    ],
)
def test_expiry_states(as_of: dt.date, state: str, days: int) -> None:
    status = review_status(charter(), as_of)  # term.expires 2028-01-31
    assert (status.expiry_state, status.expiry_days) == (state, days)


def test_ended_charters_have_no_expiry_state_and_no_expiry_date_none() -> None:
    assert review_status(charter(status="expired"), D(2029, 1, 1)).expiry_state is None
    data = charter()
    del data["term"]["expires"]
    assert review_status(data, D(2029, 1, 1)).expiry_state is None


# --- owner and order ---------------------------------------------------------------------


def test_owner_is_the_lead_partys_ser_else_first_person() -> None:
    data = charter()
    data["governance"]["lead_party"] = "globex"
    assert review_owner(data) == ("rsmith", "Raj Smith")
    for party in data["parties"]:
        for person in party["people"]:
            person.pop("ser")
    assert review_owner(data) == ("jdoe", "Jane Doe")
    assert review_owner({"parties": "x"}) is None


def _doc(tmp_path: Path, name: str, **overrides: Any):  # noqa: ANN202
    loaded = read_charter(write_charter(tmp_path / f"{name}.yaml", id=name, **overrides))
    assert loaded.document is not None
    return loaded.document


def test_entries_are_ordered_overdue_first_then_due_soon_then_ok(tmp_path: Path) -> None:
    docs = [
        _doc(tmp_path, "ok-one", review={"cadence": "P6M", "next_due": "2027-06-01"}),
        _doc(tmp_path, "draft-one", status="draft"),
        _doc(tmp_path, "soon-one", review={"cadence": "P6M", "next_due": "2026-12-10"}),
        _doc(tmp_path, "late-a-bit", review={"cadence": "P6M", "next_due": "2026-11-20"}),
        _doc(tmp_path, "late-a-lot", review={"cadence": "P6M", "next_due": "2026-01-01"}),
    ]
    entries = review_entries(docs, D(2026, 12, 1))
    assert [e.id for e in entries] == [
        "late-a-lot",
        "late-a-bit",
        "soon-one",
        "ok-one",
        "draft-one",
    ]


# --- findings for `rmo check` --------------------------------------------------------------


def test_review_findings_severity_follows_fail_on(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "late", review={"cadence": "P6M", "next_due": "2026-11-20"})
    [warning] = review_findings(doc, D(2026, 12, 1), "P30D", set())
    assert (warning.rule, warning.severity, warning.pointer) == (
        "review-overdue",
        "warning",
        "/review/next_due",
    )
    assert "11 days overdue" in warning.message
    line = doc.text.splitlines()[warning.line - 1]
    assert line.strip().startswith("next_due:")
    [error] = review_findings(doc, D(2026, 12, 1), "P30D", {"overdue"})
    assert error.severity == "error"


def test_due_soon_finding_points_at_last_reviewed_or_cadence(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "soon")  # last_reviewed 2026-08-01 + P6M = 2027-02-01
    [finding] = review_findings(doc, D(2027, 1, 20), "P30D", {"overdue"})
    assert (finding.rule, finding.severity, finding.pointer) == (
        "review-due-soon",
        "warning",
        "/review/last_reviewed",
    )
    [failing] = review_findings(doc, D(2027, 1, 20), "P30D", {"due-soon"})
    assert failing.severity == "error"
    never = _doc(tmp_path, "never", review={"cadence": "P6M"})
    [finding] = review_findings(never, D(2025, 7, 20), "P30D", set())
    assert finding.pointer == "/review/cadence"


def test_expiry_findings(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "old", review={"cadence": "P6M", "next_due": "2028-06-01"})
    [expired] = review_findings(doc, D(2028, 2, 10), "P30D", {"overdue"})
    assert (expired.rule, expired.severity, expired.pointer) == (
        "charter-expired",
        "error",
        "/term/expires",
    )
    [expiring] = review_findings(doc, D(2028, 1, 20), "P30D", {"overdue"})
    assert (expiring.rule, expiring.severity) == ("charter-expiring", "warning")
    assert review_findings(doc, D(2027, 1, 1), "P30D", {"overdue"}) == []


# --- integrity rule: last-reviewed-mismatch ------------------------------------------------


def _log(*dates: str) -> list[dict[str, Any]]:
    return [{"date": d, "reviewers": ["jdoe"], "outcome": "affirmed"} for d in dates]


def _rule_findings(tmp_path: Path, review: dict[str, Any]) -> list[Any]:
    doc = _doc(tmp_path, "acme-globex", review=review)
    return [f for f in check_document(doc, D(2026, 12, 1)) if f.rule == "last-reviewed-mismatch"]


def test_mismatch_rule_is_registered_with_a_description() -> None:
    assert RULES["last-reviewed-mismatch"].description
    assert RULES["review-date-without-log"].description


def test_last_reviewed_matching_the_newest_entry_passes(tmp_path: Path) -> None:
    review = {
        "cadence": "P6M",
        "last_reviewed": "2026-08-01",
        "log": _log("2026-08-01", "2026-02-01"),
    }
    assert _rule_findings(tmp_path, review) == []


def test_last_reviewed_newer_than_the_log_is_an_error(tmp_path: Path) -> None:
    review = {
        "cadence": "P6M",
        "last_reviewed": "2026-10-01",
        "log": _log("2026-02-01", "2026-08-01"),
    }
    [finding] = _rule_findings(tmp_path, review)
    assert finding.severity == "error"
    assert finding.pointer == "/review/last_reviewed"
    assert "2026-08-01" in finding.message and "record-review" in finding.message


def test_log_without_last_reviewed_is_reported_at_the_entry(tmp_path: Path) -> None:
    [finding] = _rule_findings(
        tmp_path, {"cadence": "P6M", "log": _log("2026-02-01", "2026-08-01")}
    )
    assert finding.pointer == "/review/log/1/date"


def test_a_future_log_entry_is_future_dates_finding_alone(tmp_path: Path) -> None:
    # Advising last_reviewed: 2099-01-01 would only trade one finding for another.
    review = {
        "cadence": "P6M",
        "last_reviewed": "2026-08-01",
        "log": _log("2026-08-01", "2099-01-01"),
    }
    assert _rule_findings(tmp_path, review) == []
    doc = _doc(tmp_path, "acme-globex", review=review)
    future = [f for f in check_document(doc, D(2026, 12, 1)) if f.rule == "future-date"]
    assert [f.pointer for f in future] == ["/review/log/1/date"]


def test_no_log_no_mismatch(tmp_path: Path) -> None:
    assert _rule_findings(tmp_path, {"cadence": "P6M", "last_reviewed": "2026-08-01"}) == []


def test_samples_are_consistent() -> None:
    for path in SAMPLES.glob("*.yaml"):
        doc = read_charter(path).document
        assert doc is not None
        rules = {f.rule for f in check_document(doc, D(2026, 11, 23))}
        assert "last-reviewed-mismatch" not in rules, path


# --- integrity rule: review-date-without-log (git history) ---------------------------------


def _bump(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_history_flags_a_commit_that_bumped_last_reviewed_without_a_log_entry(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(git_repo)
    review = {"cadence": "P6M", "last_reviewed": "2026-08-01", "log": _log("2026-08-01")}
    path = write_charter(git_repo / "charters" / "acme-globex.yaml", review=review)
    other = write_charter(git_repo / "charters" / "other.yaml", id="other", review=review)
    git_commit(git_repo, "add charters")
    _bump(path, "last_reviewed: '2026-08-01'", "last_reviewed: '2026-11-01'")
    sha = git_commit(git_repo, "refresh the review date")
    docs = [read_charter(p, f"charters/{p.name}").document for p in (path, other)]
    [finding] = review_history_findings(git_repo, docs)
    assert finding.rule == "review-date-without-log"
    assert finding.file == "charters/acme-globex.yaml"
    assert finding.pointer == "/review/last_reviewed"
    assert sha[:10] in finding.message and "refresh the review date" in finding.message


def test_history_rule_ignores_a_textconv_driver(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `rmo init` sets up `*.yaml diff=rmo` with a textconv; the rule must read raw blobs,
    # not run the driver once per version (nor see its rewritten text).
    monkeypatch.chdir(git_repo)
    marker = git_repo.parent / "textconv-ran"
    driver = git_repo.parent / "driver.sh"
    driver.write_text(f"#!/bin/sh\necho ran >> '{marker}'\necho rewritten\n", encoding="utf-8")
    driver.chmod(0o755)
    (git_repo / ".gitattributes").write_text("*.yaml diff=rmo\n", encoding="utf-8")
    git(git_repo, "config", "diff.rmo.textconv", str(driver))
    review = {"cadence": "P6M", "last_reviewed": "2026-08-01", "log": _log("2026-08-01")}
    path = write_charter(git_repo / "charters" / "acme-globex.yaml", review=review)
    git_commit(git_repo, "add")
    _bump(path, "last_reviewed: '2026-08-01'", "last_reviewed: '2026-11-01'")
    git_commit(git_repo, "refresh the review date")
    git(git_repo, "log", "-p", "-1")  # the driver works: git itself runs it
    assert marker.exists()
    marker.unlink()
    doc = read_charter(path, "charters/acme-globex.yaml").document
    [finding] = review_history_findings(git_repo, [doc])
    assert finding.rule == "review-date-without-log"
    assert not marker.exists()


def test_history_rule_finds_charters_whose_names_hold_spaces_and_accents(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(git_repo)
    review = {"cadence": "P6M", "last_reviewed": "2026-08-01", "log": _log("2026-08-01")}
    paths = [
        write_charter(git_repo / "charters" / name, review=review)
        for name in ("with space.yaml", "société générale.yaml")
    ]
    git_commit(git_repo, "add")
    for path in paths:
        _bump(path, "last_reviewed: '2026-08-01'", "last_reviewed: '2026-11-01'")
    git_commit(git_repo, "refresh the review dates")
    docs = [read_charter(p, f"charters/{p.name}").document for p in paths]
    found = review_history_findings(git_repo, docs)
    assert sorted(f.file for f in found) == sorted(f"charters/{p.name}" for p in paths)


def test_history_accepts_a_change_that_added_a_log_entry(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(git_repo)
    path = write_charter(
        git_repo / "c.yaml",
        review={"cadence": "P6M", "last_reviewed": "2026-08-01", "log": _log("2026-08-01")},
    )
    git_commit(git_repo, "add")
    write_charter(
        path,
        review={
            "cadence": "P6M",
            "last_reviewed": "2026-11-01",
            "log": _log("2026-08-01", "2026-11-01"),
        },
    )
    git_commit(git_repo, "review")
    assert review_history_findings(git_repo, [read_charter(path, "c.yaml").document]) == []


def test_history_flags_an_edited_log_entry_that_is_not_a_new_one(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(git_repo)
    path = write_charter(
        git_repo / "c.yaml",
        review={"cadence": "P6M", "last_reviewed": "2026-08-01", "log": _log("2026-08-01")},
    )
    git_commit(git_repo, "add")
    write_charter(
        path, review={"cadence": "P6M", "last_reviewed": "2026-11-01", "log": _log("2026-11-01")}
    )
    git_commit(git_repo, "move the old review forward")
    [finding] = review_history_findings(git_repo, [read_charter(path, "c.yaml").document])
    assert finding.rule == "review-date-without-log"


def test_history_checks_uncommitted_changes_against_head(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(git_repo)
    path = write_charter(
        git_repo / "c.yaml", review={"cadence": "P6M", "last_reviewed": "2026-08-01"}
    )
    git_commit(git_repo, "add")
    assert review_history_findings(git_repo, [read_charter(path, "c.yaml").document]) == []
    _bump(path, "last_reviewed: '2026-08-01'", "last_reviewed: '2026-11-01'")
    [finding] = review_history_findings(git_repo, [read_charter(path, "c.yaml").document])
    assert "working tree" in finding.message
    # moving the date back (a correction) is not a refresh
    _bump(path, "last_reviewed: '2026-11-01'", "last_reviewed: '2026-07-01'")
    assert review_history_findings(git_repo, [read_charter(path, "c.yaml").document]) == []


def test_history_is_empty_outside_git_and_in_an_empty_repository(
    tmp_path: Path, git_repo: Path
) -> None:
    outside = tmp_path / "plain"
    doc = read_charter(write_charter(outside / "c.yaml")).document
    assert review_history_findings(outside, [doc]) == []
    doc = read_charter(write_charter(git_repo / "c.yaml")).document
    assert review_history_findings(git_repo, [doc]) == []
    assert git(git_repo, "status", "--porcelain")  # untracked, no commits: nothing to compare


# --- output formats ------------------------------------------------------------------------


def _entries(tmp_path: Path) -> list[ReviewEntry]:
    docs = [
        _doc(tmp_path, "late", title="Late; with, specials\\ and a very long title " + "x" * 60,
             review={"cadence": "P6M", "next_due": "2026-11-20"}),
        _doc(tmp_path, "draft", status="draft"),
        _doc(tmp_path, "fine", title="Fine | piped *title*"),
    ]  # fmt: skip
    return review_entries(docs, D(2026, 12, 1))


def test_json_has_the_spec_fields(tmp_path: Path) -> None:
    data = json.loads(format_json(_entries(tmp_path), D(2026, 12, 1), "P30D"))
    assert data["as_of"] == "2026-12-01"
    first = data["charters"][0]
    assert {"id", "file", "status", "last_reviewed", "next_due", "state", "days"} <= set(first)
    assert (first["id"], first["state"], first["days"], first["next_due"]) == (
        "late",
        "overdue",
        -11,
        "2026-11-20",
    )
    assert data["charters"][-1]["state"] == "not-scheduled"
    assert data["charters"][-1]["days"] is None


def test_table_and_markdown(tmp_path: Path) -> None:
    entries = _entries(tmp_path)
    table = format_table(entries, D(2026, 12, 1), "P30D")
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["STATE", "CHARTER", "OWNER"]
    assert lines[1].startswith("overdue") and "11 days overdue" in lines[1]
    assert "\x1b[" not in table
    assert "\x1b[1;31moverdue" in format_table(entries, D(2026, 12, 1), "P30D", colour=True)
    md = format_md(entries, D(2026, 12, 1), "P30D")
    assert "Fine \\| piped \\*title\\*" in md
    assert "| **overdue** |" in md


def test_ics_text_escaping() -> None:
    assert ics_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"


@pytest.mark.parametrize("body", ["é" * 80, "x" * 63, "x" * 64, "x" * 300, "ab€" * 50])
def test_ics_folding(body: str) -> None:
    line = "DESCRIPTION:" + body
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_ics_is_crlf_folded_and_stable(tmp_path: Path) -> None:
    entries = _entries(tmp_path)
    text = format_ics(entries, D(2026, 12, 1))
    assert text == format_ics(entries, D(2026, 12, 1))
    assert text.count("BEGIN:VEVENT") == 2  # the draft has no scheduled review
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "UID:late-review-20261120@rmo\r\n" in text
    assert "DTSTAMP:20261201T000000Z\r\n" in text
    assert "TRIGGER:-P7D\r\n" in text
