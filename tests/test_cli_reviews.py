"""`rmo reviews` through the real CLI: formats, --as-of, --within, --fail-on, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import RMO, SAMPLES, write_charter

icalendar = pytest.importorskip("icalendar")


def _charters(folder: Path) -> Path:
    """Three charters: overdue (2026-11-20), due soon (2026-12-10), ok (2027-06-01), a draft."""
    write_charter(folder / "late.yaml", id="late", title="Late Charter",
                  review={"cadence": "P6M", "next_due": "2026-11-20"})  # fmt: skip
    write_charter(folder / "soon.yaml", id="soon", title="Soon Charter",
                  review={"cadence": "P6M", "next_due": "2026-12-10"})  # fmt: skip
    write_charter(folder / "fine.yaml", id="fine", title="Fine Charter",
                  review={"cadence": "P6M", "next_due": "2027-06-01"})  # fmt: skip
    write_charter(folder / "draft.yaml", id="draft", title="Draft Charter", status="draft")
    return folder


def test_table_lists_overdue_first_with_owner_and_days(cli, tmp_path: Path) -> None:  # noqa: ANN001
    result = cli("reviews", _charters(tmp_path / "c"), "--as-of", "2026-12-01")
    assert result.exit_code == 0, result.stderr
    rows = [line.split()[:2] for line in result.stdout.splitlines()[1:5]]
    assert rows == [
        ["overdue", "late"],
        ["due-soon", "soon"],
        ["ok", "fine"],
        ["not-scheduled", "draft"],
    ]
    assert "11 days overdue" in result.stdout and "Jane Doe" in result.stdout
    assert "1 overdue, 1 due soon, 1 ok, 1 not scheduled" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour when not on a terminal


def test_json_as_of_boundaries(cli, tmp_path: Path) -> None:  # noqa: ANN001
    folder = _charters(tmp_path / "c")
    result = cli("reviews", folder, "--as-of", "2026-11-21", "--format", "json")
    data = json.loads(result.stdout)
    assert data["as_of"] == "2026-11-21"
    states = {c["id"]: (c["state"], c["days"]) for c in data["charters"]}
    assert states["late"] == ("overdue", -1)
    assert states["soon"] == ("due-soon", 19)
    assert states["draft"] == ("not-scheduled", None)
    data = json.loads(cli("reviews", folder, "--as-of", "2026-11-20", "-f", "json").stdout)
    assert {c["id"]: (c["state"], c["days"]) for c in data["charters"]}["late"] == ("due-soon", 0)


def test_within_widens_the_window(cli, tmp_path: Path) -> None:  # noqa: ANN001
    folder = _charters(tmp_path / "c")
    narrow = json.loads(
        cli("reviews", folder, "--as-of", "2026-12-01", "--within", "P1W", "-f", "json").stdout
    )
    assert {c["id"]: c["state"] for c in narrow["charters"]}["soon"] == "ok"
    wide = json.loads(
        cli("reviews", folder, "--as-of", "2026-12-01", "--within", "P1Y", "-f", "json").stdout
    )
    assert {c["id"]: c["state"] for c in wide["charters"]}["fine"] == "due-soon"


def test_within_defaults_to_rmo_yaml_due_soon(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001
    _charters(tmp_path / "charters")
    (tmp_path / "rmo.yaml").write_text("due_soon: P1W\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    data = json.loads(cli("reviews", "--as-of", "2026-12-01", "-f", "json").stdout)
    assert data["within"] == "P1W"
    assert {c["id"]: c["state"] for c in data["charters"]}["soon"] == "ok"
    assert len(data["charters"]) == 4


def test_fail_on(cli, tmp_path: Path) -> None:  # noqa: ANN001
    folder = _charters(tmp_path / "c")
    result = cli("reviews", folder, "--as-of", "2026-12-01", "--fail-on", "overdue")
    assert result.exit_code == 1
    assert "1 charter fails --fail-on overdue: 1 review overdue" in result.stderr
    assert "late" in result.stdout  # results are still printed
    (folder / "late.yaml").unlink()
    assert cli("reviews", folder, "--as-of", "2026-12-01", "--fail-on", "overdue").exit_code == 0
    assert cli("reviews", folder, "--as-of", "2026-12-01", "--fail-on", "due-soon").exit_code == 1
    assert cli("reviews", folder, "--as-of", "2026-12-01").exit_code == 0


def test_expired_charter_is_reported_and_fails_as_overdue(cli, tmp_path: Path) -> None:  # noqa: ANN001
    term = {"effective": "2020-01-01", "expires": "2026-10-31"}
    review = {"cadence": "P6M", "next_due": "2027-01-01"}
    write_charter(tmp_path / "old.yaml", id="old", term=term, review=review)
    result = cli("reviews", tmp_path / "old.yaml", "--as-of", "2026-12-01", "--fail-on", "overdue")
    assert result.exit_code == 1
    assert "expired" in result.stdout and "31 days ago" in result.stdout
    assert "1 charter expired" in result.stderr
    data = json.loads(
        cli("reviews", tmp_path / "old.yaml", "--as-of", "2026-12-01", "-f", "json").stdout
    )
    assert data["charters"][0]["expiry_state"] == "expired"


def test_markdown(cli, tmp_path: Path) -> None:  # noqa: ANN001
    result = cli("reviews", _charters(tmp_path / "c"), "--as-of", "2026-12-01", "--format", "md")
    assert result.exit_code == 0
    assert result.stdout.startswith("# Charter reviews as of 2026-12-01")
    assert "| **overdue** | Late Charter (`late`)" in result.stdout


def test_ics_parses_with_icalendar_and_is_stable(cli, tmp_path: Path) -> None:  # noqa: ANN001
    folder = _charters(tmp_path / "c")
    first = cli("reviews", folder, "--as-of", "2026-12-01", "--format", "ics").stdout_bytes
    second = cli("reviews", folder, "--as-of", "2026-12-01", "--format", "ics").stdout_bytes
    assert first == second
    assert b"\r\n" in first and b"\n" not in first.replace(b"\r\n", b"")
    calendar = icalendar.Calendar.from_ical(first)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 3  # the draft has no scheduled review
    by_uid = {str(e["UID"]): e for e in events}
    assert set(by_uid) == {
        "late-review-20261120@rmo",
        "soon-review-20261210@rmo",
        "fine-review-20270601@rmo",
    }
    late = by_uid["late-review-20261120@rmo"]
    assert str(late["SUMMARY"]) == "Review: Late Charter"
    assert late.decoded("DTSTART").isoformat() == "2026-11-20"
    description = str(late["DESCRIPTION"])
    assert "late.yaml" in description and "Jane Doe" in description
    [alarm] = list(late.walk("VALARM"))
    assert alarm.decoded("TRIGGER").days == -7
    # a later run (another day) keeps the same UIDs for the same reviews
    later = cli("reviews", folder, "--as-of", "2026-12-05", "--format", "ics").stdout_bytes
    later_uids = {str(e["UID"]) for e in icalendar.Calendar.from_ical(later).walk("VEVENT")}
    assert later_uids == set(by_uid)


def test_unreadable_file_is_reported_and_exits_1(cli, tmp_path: Path) -> None:  # noqa: ANN001
    folder = _charters(tmp_path / "c")
    (folder / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    result = cli("reviews", folder, "--as-of", "2026-12-01", "-f", "json")
    assert result.exit_code == 1
    assert "broken.yaml" in result.stderr
    assert len(json.loads(result.stdout)["charters"]) == 4


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--within", "thirty days"], "--within"),
        (["--as-of", "2026-13-01"], "--as-of"),
        (["--format", "pdf"], "pdf"),
        (["--fail-on", "late"], "late"),
    ],
)
def test_bad_usage_exits_2(cli, tmp_path: Path, args: list[str], needle: str) -> None:  # noqa: ANN001
    result = cli("reviews", _charters(tmp_path / "c"), *args)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_path_exits_2(cli, tmp_path: Path) -> None:  # noqa: ANN001
    assert cli("reviews", tmp_path / "nope").exit_code == 2


def test_samples_through_the_installed_command(tmp_path: Path) -> None:
    if not RMO.exists():
        pytest.skip("rmo is not installed beside this Python")
    folder = tmp_path / "samples"
    shutil.copytree(SAMPLES, folder)
    env = {**os.environ, "RMO_TODAY": "2027-02-20"}
    done = subprocess.run(
        [str(RMO), "reviews", str(folder), "--format", "ics"],
        capture_output=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    events = list(icalendar.Calendar.from_ical(done.stdout).walk("VEVENT"))
    assert len(events) == 3  # one of the four samples is proposed, so not scheduled
    done = subprocess.run(
        [str(RMO), "reviews", str(folder), "--fail-on", "overdue"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stdout.splitlines()[1].startswith("overdue")


def test_worker_processes_give_the_same_report(cli, tmp_path: Path) -> None:  # noqa: ANN001
    folder = _charters(tmp_path / "c")
    (folder / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    args = ("reviews", folder, "--as-of", "2026-12-01", "-f", "json")
    serial = cli(*args, env={"RMO_JOBS": "1"})
    parallel = cli(*args, env={"RMO_JOBS": "2"})
    assert serial.exit_code == parallel.exit_code == 1
    assert serial.stdout == parallel.stdout
    assert serial.stderr == parallel.stderr
    assert [c["id"] for c in json.loads(parallel.stdout)["charters"]] == [
        "late",
        "soon",
        "fine",
        "draft",
    ]
