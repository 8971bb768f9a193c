"""rmo_cli.ops.checking: validation, sign-offs and reviews in one report (library level)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, charter, git_commit, write_charter

from rmo_cli.charter.fingerprint import fingerprint
from rmo_cli.cli.exits import exit_code_of
from rmo_cli.ops.checking import FAIL_ON, check_files, fail_on_states
from rmo_cli.ops.repository import discover
from rmo_cli.support.errors import RmoError

AS_OF = dt.date(2026, 11, 23)


def signed(data: dict[str, Any], date: str = "2026-09-01") -> dict[str, Any]:
    """data with a valid sign-off from one representative of every party."""
    mark = fingerprint(data)
    data = dict(data)
    data["signoffs"] = [
        {
            "person": party["people"][0]["id"],
            "party": party["id"],
            "capacity": "Senior Executive Responsible",
            "date": date,
            "version": data["version"],
            "fingerprint": mark,
        }
        for party in data["parties"]
    ]
    return data


def check(*paths: Path, **kwargs: Any):  # type: ignore[no-untyped-def]
    kwargs.setdefault("signers", Path("/nonexistent-allowed-signers"))
    return check_files(discover(list(paths)), AS_OF, **kwargs)


def rules(report: Any, severity: str | None = None) -> list[str]:
    return sorted(f.rule for f in report.findings if severity in (None, f.severity))


def test_sample_charters_are_clean() -> None:
    report = check_files(discover([SAMPLES]), AS_OF)
    assert report.findings == []
    assert len(report.files) >= 4


def test_signed_charter_has_no_findings_and_keeps_sources(tmp_path: Path) -> None:
    """Sources (for the coloured report's quoted lines) are kept for files with findings
    only: a clean file's text is not held in memory."""
    path = write_charter(tmp_path / "acme-globex.yaml", signed(charter()))
    report = check(path)
    assert report.findings == []
    assert report.files == [str(path)]
    assert str(path) not in report.sources
    bad = write_charter(tmp_path / "bad.yaml", charter(status="nonsense"))
    report = check(bad)
    assert report.findings
    assert report.sources[str(bad)] == bad.read_text(encoding="utf-8")


def test_invalid_charter_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml", signed(charter(status="dormant")))
    report = check(path)
    errors = [f for f in report.findings if f.severity == "error"]
    assert errors, report.findings
    status_line = path.read_text().splitlines().index("status: dormant") + 1
    assert any(f.line == status_line and f.pointer == "/status" for f in errors)


def test_stale_signoff_is_an_error(tmp_path: Path) -> None:
    data = signed(charter())
    data["purpose"] = "A purpose changed after signing."
    path = write_charter(tmp_path / "acme-globex.yaml", data)
    report = check(path)
    assert rules(report, "error") == ["signoff-stale", "signoff-stale"]
    # Both parties' sign-offs are stale, so the active charter also lacks valid ones.
    assert rules(report, "warning") == ["signoff-missing", "signoff-missing"]


def test_missing_signoff_on_active_charter_is_a_warning(tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    report = check(path)
    assert rules(report) == ["signoff-missing", "signoff-missing"]
    assert rules(report, "error") == []


def overdue_charter() -> dict[str, Any]:
    # Reviewed 2026-01-10 every 6 months: due 2026-07-10, overdue on AS_OF.
    return signed(charter(review={"cadence": "P6M", "last_reviewed": "2026-01-10"}))


def test_overdue_review_fails_by_default(tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml", overdue_charter())
    report = check(path)
    assert rules(report, "error") == ["review-overdue"]
    finding = report.findings[0]
    text = path.read_text().splitlines()
    assert "last_reviewed" in text[finding.line - 1]


def test_fail_on_none_turns_overdue_into_a_warning(tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml", overdue_charter())
    report = check(path, fail_on="none")
    assert rules(report, "warning") == ["review-overdue"]
    assert rules(report, "error") == []


def test_due_soon_fails_only_with_fail_on_due_soon(tmp_path: Path) -> None:
    # Due 2026-12-01: within the default 30 days of AS_OF.
    data = signed(charter(review={"cadence": "P6M", "last_reviewed": "2026-06-01"}))
    path = write_charter(tmp_path / "acme-globex.yaml", data)
    assert rules(check(path), "warning") == ["review-due-soon"]
    assert rules(check(path, fail_on="due-soon"), "error") == ["review-due-soon"]
    # A window that ends before the due date: nothing to say.
    assert check(path, within="P7D").findings == []


def test_fail_on_due_soon_still_fails_overdue(tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml", overdue_charter())
    assert rules(check(path, fail_on="due-soon"), "error") == ["review-overdue"]


def test_expired_active_charter_is_reported_once(tmp_path: Path) -> None:
    data = signed(
        charter(
            term={"effective": "2024-01-01", "expires": "2026-10-31"},
            review={"cadence": "P6M", "last_reviewed": "2026-08-01"},
        )
    )
    path = write_charter(tmp_path / "acme-globex.yaml", data)
    report = check(path)
    # validate's active-but-expired says the same thing at the same place: one finding.
    assert rules(report) == ["charter-expired"]
    assert rules(check(path, fail_on="none")) == ["charter-expired"]


def test_unreadable_file_is_an_error_finding(tmp_path: Path) -> None:
    good = write_charter(tmp_path / "acme-globex.yaml", signed(charter()))
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    report = check(good, bad)
    assert [f.file for f in report.findings] == [str(bad)]
    assert report.findings[0].severity == "error"
    assert report.files == [str(good), str(bad)]


def test_duplicate_ids_across_charters_are_found(tmp_path: Path) -> None:
    first = write_charter(tmp_path / "acme-globex.yaml", signed(charter()))
    second = write_charter(tmp_path / "other" / "acme-globex.yaml", signed(charter()))
    report = check(first, second)
    assert report.findings
    assert all(f.severity == "error" for f in report.findings)


def test_signers_may_be_a_function_of_the_charter_path(tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml", signed(charter()))
    asked: list[Path] = []

    def signers_of(p: Path) -> Path | None:
        asked.append(p)
        return None

    assert check(path, signers=signers_of).findings == []
    assert asked == [path]


def test_fail_on_states() -> None:
    assert fail_on_states("overdue") == {"overdue"}
    assert fail_on_states("due-soon") == {"overdue", "due-soon"}
    assert fail_on_states("none") == set()
    assert set(FAIL_ON) == {"overdue", "due-soon", "none"}
    with pytest.raises(RmoError) as err:
        fail_on_states("sometimes")
    assert exit_code_of(err.value) == 2


def test_bad_window_is_a_usage_error(tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    with pytest.raises(RmoError) as err:
        check(path, within="thirty days")
    assert exit_code_of(err.value) == 2


def test_history_rule_runs_with_a_repository_root(git_repo: Path) -> None:
    data = signed(charter())
    path = write_charter(git_repo / "charters" / "acme-globex.yaml", data)
    git_commit(git_repo, "charter")
    # last_reviewed moved on without a review.log entry: only git history shows it.
    data["review"] = {"cadence": "P6M", "last_reviewed": "2026-10-01"}
    write_charter(path, data)
    git_commit(git_repo, "bump review date")
    files = discover([path])
    with_history = check_files(files, AS_OF, signers=lambda _p: None, repo_root=git_repo)
    without = check_files(files, AS_OF, signers=lambda _p: None)
    assert "review-date-without-log" in rules(with_history)
    assert "review-date-without-log" not in rules(without)
