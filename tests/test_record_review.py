"""`rmo record-review`: comment-preserving edits, refusals that leave files untouched."""

from __future__ import annotations

import datetime as dt
import difflib
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLES, git_commit, write_charter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmo_cli.charter.fingerprint import fingerprint
from rmo_cli.charter.loading import read_charter
from rmo_cli.cli.exits import exit_code_of
from rmo_cli.ops.reviews import record_review
from rmo_cli.ops.validation import check_document, has_errors
from rmo_cli.rules.reviews import review_history_findings
from rmo_cli.support.errors import RmoError

TODAY = "2026-11-23"

COMMENTED = """\
# yaml-language-server: $schema=../schemas/charter.schema.json
apiVersion: rmo/v1
kind: RelationshipCharter
id: acme-globex
title: "ACME–Globex Relationship Charter"   # quoted on purpose
version: '1.0.0'
status: active
parties:
  - id: acme
    name: ACME Public Works Agency
    people:
      - {id: jdoe, name: Jane Doe, ser: true}
  - id: globex
    name: Globex Facilities Ltd
    people:
      - id: rsmith
        name: Raj Smith   # CEO since 2024
        ser: true
purpose: |
  Keep the public buildings running.

  Second paragraph.
objectives:
  - id: obj-1
    statement: Halve unplanned outages.
    owner: jdoe
governance:
  model: quasi-hierarchy
  lead_party: acme
term:
  effective: 2025-02-01
  expires: 2028-01-31
review:
  # reviewed twice a year
  cadence: P6M  # agreed at kick-off
  last_reviewed: 2026-03-01
  next_due: 2026-09-01   # brought forward for the budget round
  log:
    - date: 2026-03-01
      reviewers: [jdoe, rsmith]
      outcome: affirmed
      notes: "No changes: all good."

# exit is agreed in the contract
exit:
  owner: jdoe
"""


def _write(tmp_path: Path, text: str = COMMENTED) -> Path:
    path = tmp_path / "charters" / "acme-globex.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def _changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) of a line diff."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def _record(cli, path: Path, *args: str):  # noqa: ANN001, ANN202
    return cli("record-review", path, *args, env={"RMO_TODAY": TODAY})


def test_only_the_review_lines_change(cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = _write(tmp_path)
    result = _record(cli, path, "--date", "2026-11-20", "-r", "jdoe", "--reviewer", "rsmith",
                     "--outcome", "amended", "--notes", "Added a KPI.")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Recorded the review" in result.stdout
    after = path.read_text(encoding="utf-8")
    removed, added = _changes(COMMENTED, after)
    assert removed == [
        "  last_reviewed: 2026-03-01",
        "  next_due: 2026-09-01   # brought forward for the budget round",
    ]
    assert added == [
        "  last_reviewed: 2026-11-20",
        "    - date: 2026-11-20",
        "      reviewers: [jdoe, rsmith]",
        "      outcome: amended",
        "      notes: Added a KPI.",
    ]
    # the new entry comes right after the old one, before the blank line and the comment
    assert '      notes: "No changes: all good."\n    - date: 2026-11-20\n' in after
    assert "Added a KPI.\n\n# exit is agreed in the contract\nexit:" in after


def test_result_validates_and_sign_offs_stay_valid(cli, tmp_path: Path) -> None:  # noqa: ANN001
    for sample in SAMPLES.glob("*.yaml"):
        path = tmp_path / sample.name
        shutil.copy(sample, path)
        before = read_charter(path).document
        assert before is not None
        people = [p["id"] for party in before.data["parties"] for p in party["people"]]
        if before.data["status"] == "proposed":
            continue  # effective in the future: a review today would be refused
        result = _record(cli, path, "-r", people[0], "-r", people[-1], "--outcome", "affirmed")
        assert result.exit_code == 0, result.stderr
        after = read_charter(path).document
        assert after is not None
        assert not has_errors(check_document(after, dt.date(2026, 11, 23)))
        assert fingerprint(after.data) == fingerprint(before.data)
        assert after.data["review"]["last_reviewed"] == TODAY  # no --date: today
        assert after.data["review"]["log"][-1]["date"] == TODAY


def test_unknown_reviewer_is_refused_and_the_file_untouched(cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = _write(tmp_path)
    before = path.read_bytes()
    result = _record(cli, path, "-r", "jdoe", "-r", "nobody", "--outcome", "affirmed")
    assert result.exit_code == 2
    assert "'nobody'" in result.stderr and "jdoe, rsmith" in result.stderr
    assert path.read_bytes() == before
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["-r", "jdoe", "--outcome", "affirmed", "--date", "2026-11-24"], 2, "future"),
        (["-r", "jdoe", "--outcome", "affirmed", "--date", "2025-01-31"], 2, "took effect"),
        (["-r", "jdoe", "--outcome", "affirmed", "--date", "24/11/2026"], 2, "--date"),
        (["-r", "jdoe", "--outcome", "great"], 2, "great"),
        (["--outcome", "affirmed"], 2, "--reviewer"),
        (["-r", "jdoe"], 2, "--outcome"),
        (["-r", "jdoe", "--outcome", "affirmed", "--notes", "  "], 2, "--notes"),
    ],
)
def test_refusals_leave_the_file_byte_identical(
    cli,
    tmp_path: Path,
    args: list[str],
    code: int,
    needle: str,  # noqa: ANN001
) -> None:
    path = _write(tmp_path)
    before = path.read_bytes()
    result = _record(cli, path, *args)
    assert result.exit_code == code, result.stderr
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == before


def test_comma_separated_reviewers(cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = _write(tmp_path)
    assert (
        _record(cli, path, "-r", "jdoe,rsmith", "-r", "jdoe", "--outcome", "affirmed").exit_code
        == 0
    )
    assert read_charter(path).document.data["review"]["log"][-1]["reviewers"] == ["jdoe", "rsmith"]


def test_recording_the_same_review_twice_is_refused(cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = _write(tmp_path)
    args = ("--date", "2026-11-20", "-r", "jdoe", "--outcome", "affirmed")
    assert _record(cli, path, *args).exit_code == 0
    before = path.read_bytes()
    result = _record(cli, path, *args)
    assert result.exit_code == 2 and "already" in result.stderr
    assert path.read_bytes() == before


def test_missing_and_unreadable_charters(cli, tmp_path: Path) -> None:  # noqa: ANN001
    assert (
        _record(cli, tmp_path / "nope.yaml", "-r", "jdoe", "--outcome", "affirmed").exit_code == 2
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("review: [unclosed\n", encoding="utf-8")
    result = _record(cli, broken, "-r", "jdoe", "--outcome", "affirmed")
    assert result.exit_code == 1
    assert broken.read_text(encoding="utf-8") == "review: [unclosed\n"


def test_next_due_in_the_future_is_kept(cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = _write(tmp_path, COMMENTED.replace("next_due: 2026-09-01", "next_due: 2026-12-15"))
    assert _record(cli, path, "-r", "jdoe", "--outcome", "affirmed").exit_code == 0
    data = read_charter(path).document.data
    assert data["review"]["next_due"] == "2026-12-15"


def test_first_review_adds_last_reviewed_and_log_after_cadence(cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = write_charter(tmp_path / "c.yaml", review={"cadence": "P6M"})
    before = path.read_text(encoding="utf-8")
    result = _record(cli, path, "-r", "rsmith", "--outcome", "affirmed",
                     "--notes", "First review.\nAll fine.")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    after = path.read_text(encoding="utf-8")
    removed, added = _changes(before, after)
    assert removed == []
    assert added[0] == f"  last_reviewed: {TODAY}"
    data = read_charter(path).document.data
    assert data["review"]["log"] == [
        {"date": TODAY, "reviewers": ["rsmith"], "outcome": "affirmed",
         "notes": "First review.\nAll fine."}
    ]  # fmt: skip
    assert list(data["review"]) == ["cadence", "last_reviewed", "log"]


def test_a_backdated_review_is_inserted_in_date_order(cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = _write(tmp_path)
    assert (
        _record(cli, path, "--date", "2026-11-01", "-r", "jdoe", "--outcome", "affirmed").exit_code
        == 0
    )
    assert (
        _record(
            cli, path, "--date", "2026-06-01", "-r", "rsmith", "--outcome", "escalated"
        ).exit_code
        == 0
    )
    review = read_charter(path).document.data["review"]
    assert [e["date"] for e in review["log"]] == ["2026-03-01", "2026-06-01", "2026-11-01"]
    assert review["last_reviewed"] == "2026-11-01"


def test_crlf_and_bom_are_kept(cli, tmp_path: Path) -> None:  # noqa: ANN001
    text = COMMENTED.replace("\n", "\r\n")
    path = _write(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert _record(cli, path, "-r", "jdoe", "--outcome", "affirmed").exit_code == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    removed, added = _changes(text.replace("\r\n", "\n"), raw[3:].decode().replace("\r\n", "\n"))
    assert len(removed) == 2 and len(added) == 4


def test_a_recorded_review_passes_the_history_rule(
    cli,
    git_repo: Path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    monkeypatch.chdir(git_repo)
    path = _write(git_repo)
    git_commit(git_repo, "add the charter")
    assert _record(cli, path, "-r", "jdoe", "--outcome", "affirmed").exit_code == 0
    doc = read_charter(path, "charters/acme-globex.yaml").document
    assert review_history_findings(git_repo, [doc]) == []  # uncommitted, against HEAD
    git_commit(git_repo, "record the review")
    assert review_history_findings(git_repo, [doc]) == []  # committed


def test_lines_outside_the_review_block_stay_byte_for_byte(cli, tmp_path: Path) -> None:  # noqa: ANN001
    # Extra spaces after a colon and a 4-space `term:` block, both outside `review:`:
    # the editor would normalise them; only the review block is taken from its output.
    sample = (SAMPLES / "meridian-group-shared-services.yaml").read_text(encoding="utf-8")
    odd = sample.replace("status: active", "status:   active", 1)
    term = "term:\n  effective: 2023-04-01\n  expires: 2029-03-31\n  notice_period: P1Y\n"
    odd = odd.replace(term, term.replace("\n  ", "\n    "))
    path = tmp_path / "meridian-group-shared-services.yaml"
    path.write_text(odd, encoding="utf-8")
    result = _record(cli, path, "-r", "sbaptiste", "--outcome", "affirmed", "--date", TODAY)
    assert result.exit_code == 0, result.stderr
    after = path.read_text(encoding="utf-8")
    assert after.startswith(odd[: odd.index("review:")])
    removed, added = _changes(odd, after)
    assert [line.strip() for line in removed] == ["last_reviewed: 2026-07-01"]
    assert f"last_reviewed: {TODAY}" in [line.strip() for line in added]


def test_a_layout_the_editor_cannot_keep_is_refused_untouched(cli, tmp_path: Path) -> None:  # noqa: ANN001
    data = read_charter(SAMPLES / "meridian-group-shared-services.yaml").document.data
    path = tmp_path / "four.yaml"
    # PyYAML's own style: 4-space mappings, list dashes not indented
    path.write_text(yaml.safe_dump(data, indent=4, sort_keys=False, allow_unicode=True), "utf-8")
    before = path.read_bytes()
    result = _record(cli, path, "-r", "sbaptiste", "--outcome", "affirmed")
    assert result.exit_code == 1
    assert "rewritten" in result.stderr and "nothing was changed" in result.stderr
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(notes=st.text(min_size=1, max_size=60).filter(str.strip))
def test_any_notes_are_written_exactly_or_refused_as_usage(tmp_path: Path, notes: str) -> None:
    path = write_charter(tmp_path / "notes.yaml")
    before = path.read_bytes()
    try:
        record_review(path, date=dt.date(2026, 11, 20), reviewers=["jdoe"], outcome="affirmed",
                      notes=notes, today=dt.date(2026, 11, 22))  # fmt: skip
    except RmoError as exc:
        assert exit_code_of(exc) == 2 and "--notes" in exc.message
        assert path.read_bytes() == before
        return
    written = read_charter(path).document.data["review"]["log"][-1]["notes"]
    assert written == notes.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
