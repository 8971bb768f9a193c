"""Smaller reliability fixes (#14 item 8): far dates, pipes, foreign repositories, file
names git quotes, and one nesting limit."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import icalendar
import pytest
import yaml
from conftest import RMO, charter, git_commit, write_charter

from rmo_cli.charter.loading import MAX_DEPTH, parse_yaml, read_charter
from rmo_cli.rules.reviews import review_history_findings

needs_rmo = pytest.mark.skipif(not RMO.exists(), reason="rmo is not installed here")


def _run(*args: str | Path, **kw: Any) -> subprocess.CompletedProcess[str]:
    # A hang is a failure here, not a stuck suite.
    return subprocess.run(
        [str(RMO), *map(str, args)], capture_output=True, text=True, timeout=10, **kw
    )


def test_ics_for_a_review_due_on_the_last_day_of_the_calendar(cli: Any, tmp_path: Path) -> None:
    data = charter()
    data["review"]["next_due"] = "9999-12-31"
    data["term"]["expires"] = "9999-12-31"
    path = write_charter(tmp_path / "acme-globex.yaml", data)
    result = cli("reviews", path, "--as-of", "2026-12-01", "--format", "ics")
    assert result.exit_code == 0, result.output
    (event,) = icalendar.Calendar.from_ical(result.stdout_bytes).walk("VEVENT")
    assert event.decoded("DTSTART") == dt.date(9999, 12, 31)
    assert "DTEND" in event or str(event["DURATION"].to_ical(), "ascii") == "P1D"


@needs_rmo
def test_a_fifo_nothing_writes_to_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    fifo = tmp_path / "acme-globex.yaml"
    os.mkfifo(fifo)
    good = write_charter(tmp_path / "other" / "acme-globex.yaml")
    done = _run("validate", fifo, good)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "file-unreadable" in done.stdout and "pipe" in done.stdout
    assert "2 files checked: 1 error" in done.stdout


@needs_rmo
def test_stdin_and_process_substitution_still_read(tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    text = path.read_text(encoding="utf-8")
    piped = _run("validate", "/dev/stdin", input=text)
    assert piped.returncode == 0, piped.stdout + piped.stderr
    assert "0 errors" in piped.stdout
    if shutil.which("bash") is None:
        pytest.skip("no bash for <(…)")
    done = subprocess.run(
        ["bash", "-c", f'"{RMO}" validate <(sleep 0.5; cat "{path}")'],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 errors" in done.stdout


@needs_rmo
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown")
def test_render_in_a_repository_owned_by_another_user(git_repo: Path) -> None:
    # git refuses such a repository (safe.directory); GitPython's cat-file dies with it.
    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    git_commit(git_repo, "charter")
    for root, folders, files in os.walk(git_repo):
        for name in [*folders, *files]:
            os.lchown(os.path.join(root, name), 12345, 12345)
    os.lchown(git_repo, 12345, 12345)
    assert subprocess.run(["git", "status"], cwd=git_repo, capture_output=True).returncode != 0
    from rmo_cli.adapters.git import GitLookup

    # Whether cat-file is dead before GitPython writes to it is a race: try it often.
    for _ in range(20):
        assert GitLookup().state(path) is None
    for _ in range(5):
        done = _run("render", path, "--to", "html", cwd=git_repo)
        assert done.returncode == 0, (done.returncode, done.stderr)
        assert "ACME Public Works Agency" in done.stdout


@pytest.mark.parametrize("name", ['a"b.yaml', "c\\d.yaml", "t\tt.yaml", "n\nn.yaml", "plain.yaml"])
def test_review_date_without_log_sees_names_git_quotes(git_repo: Path, name: str) -> None:
    path = write_charter(git_repo / "charters" / name)
    git_commit(git_repo, "charter")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["review"]["last_reviewed"] = "2026-11-01"
    write_charter(path, data)
    in_tree = read_charter(path).document
    assert in_tree is not None
    found = review_history_findings(git_repo, [in_tree])
    assert [f.rule for f in found] == ["review-date-without-log"], "working tree"
    git_commit(git_repo, "bump the date")
    found = review_history_findings(git_repo, [in_tree])
    assert [f.rule for f in found] == ["review-date-without-log"], "committed"
    assert "bump the date" in found[0].message


def _flow(levels: int) -> str:
    return "x: " + "[" * (levels - 1) + "1" + "]" * (levels - 1) + "\n"


def _block(levels: int) -> str:
    return "\n".join(" " * i + "k:" for i in range(levels)) + " 1\n"


def _flow_empty(levels: int) -> str:
    return "x: " + "[" * (levels - 1) + "]" * (levels - 1) + "\n"


def _block_list(levels: int) -> str:
    return "x:\n" + "\n".join(" " * (2 * i) + "-" for i in range(1, levels)) + " 1\n"


def _flow_in_block(levels: int) -> str:
    half = levels // 2
    inner = "[" * (levels - half) + "]" * (levels - half)
    return "\n".join(" " * i + "k:" for i in range(half)) + " " + inner + "\n"


@pytest.mark.parametrize("build", [_flow, _flow_empty, _block, _block_list, _flow_in_block])
def test_one_nesting_limit_for_block_and_flow_style(build: Any) -> None:
    at_limit = parse_yaml(build(MAX_DEPTH).encode(), "x.yaml")
    assert at_limit.document is not None, at_limit.findings
    over = parse_yaml(build(MAX_DEPTH + 1).encode(), "x.yaml")
    assert [f.rule for f in over.findings] == ["yaml-too-deep"]
