"""Amendments (SPEC §8): the in-force version, `rmo amend`, and the cycle end to end.

Real git repositories in tmp_path, real ed25519 keys from ssh-keygen, the real CLI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import git, git_commit, keygen, write_charter

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")

AS_OF = "2026-11-23"
JANE = "jane@acme.example"
RAJ = "raj@globex.example"
OLD_PURPOSE = "Keep the public buildings running."
NEW_PURPOSE = "Keep the public buildings running safely and on budget."


@pytest.fixture
def repo(git_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed charter repository: one active charter, two allowed signers' keys."""
    monkeypatch.setenv("RMO_TODAY", AS_OF)
    (git_repo / "rmo.yaml").write_text(
        'charters: ["charters/*.yaml"]\nsigners: allowed_signers\n', encoding="utf-8"
    )
    keys = tmp_path / "keys"
    keys.mkdir()
    lines = []
    for email, name in ((JANE, "jane"), (RAJ, "raj")):
        public = keygen(keys, name).with_suffix(".pub").read_text(encoding="utf-8").strip()
        lines.append(f'{email} namespaces="rmo-charter" {public}\n')
    (git_repo / "allowed_signers").write_text("".join(lines), encoding="utf-8")
    write_charter(git_repo / "charters" / "acme-globex.yaml")
    git_commit(git_repo, "charter drafted")
    monkeypatch.chdir(git_repo)
    return git_repo


CHARTER = "charters/acme-globex.yaml"


def sign_all(cli: Any, repo: Path) -> None:
    for person, name in (("jdoe", "jane"), ("rsmith", "raj")):
        result = cli("sign", CHARTER, "--person", person, "--key", repo.parent / "keys" / name)
        assert result.exit_code == 0, result.stdout + result.stderr


def set_status(repo: Path, status: str) -> None:
    path = repo / CHARTER
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [f"status: {status}\n" if line.startswith("status:") else line for line in lines]
    path.write_text("".join(lines), encoding="utf-8")


def edit_purpose(repo: Path) -> None:
    path = repo / CHARTER
    text = path.read_text(encoding="utf-8")
    assert OLD_PURPOSE in text
    path.write_text(text.replace(OLD_PURPOSE, NEW_PURPOSE), encoding="utf-8")


def check_json(cli: Any) -> tuple[int, list[dict[str, Any]]]:
    result = cli("check", "--format", "json")
    return result.exit_code, json.loads(result.stdout)["findings"]


def rules(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["rule"], f["severity"]) for f in findings]


def states(cli: Any) -> list[str]:
    result = cli("verify", CHARTER, "--format", "json")
    return [s["state"] for s in json.loads(result.stdout)["signoffs"]]


def signed_and_active(cli: Any, repo: Path) -> str:
    sign_all(cli, repo)
    return git_commit(repo, "charter signed by both parties")


def test_amendment_cycle_end_to_end(cli: Any, repo: Path) -> None:
    signed = signed_and_active(cli, repo)
    code, findings = check_json(cli)
    assert code == 0 and findings == []

    amended = cli("amend", CHARTER, "--summary", "Purpose names safety and budget")
    assert amended.exit_code == 0, amended.stderr
    assert "1.0.0 -> 1.1.0" in amended.stdout
    # The amendment record is in the document control of every format.
    md = cli("render", CHARTER, "--to", "md").stdout
    assert "| Version 1.1.0 | 23 November 2026 | Purpose names safety and budget |" in md
    page = cli("render", CHARTER, "--to", "html").stdout
    assert "<caption>Amendment record</caption>" in page
    assert "<td>1.1.0</td><td>23 November 2026</td><td>Purpose names safety and budget</td>" in (
        page
    )
    edit_purpose(repo)
    git_commit(repo, "amendment 1.1.0 drafted")

    # The amendment in progress: the signed version stays in force, one warning.
    code, findings = check_json(cli)
    assert code == 0, findings
    assert rules(findings) == [("amendment-pending", "warning")]
    assert signed[:7] in findings[0]["message"] and "1.0.0" in findings[0]["message"]
    assert states(cli) == ["in-force", "in-force"]
    status = cli("status", "--format", "json")
    assert status.exit_code == 0, status.stderr
    row = json.loads(status.stdout)["charters"][0]
    assert row["in_force"] == f"1.0.0 ({signed[:7]})" and row["stale"] == 0
    log = cli("log", CHARTER)
    assert log.stdout.splitlines()[0] == (
        f"amendment pending: version 1.1.0 is not yet signed by every party; "
        f"version 1.0.0 ({signed[:7]}) is in force"
    )

    rendered = cli("render", CHARTER, "--to", "md").stdout
    # The document says what verify says: both sign-offs approve the version in force.
    assert rendered.count("**In force, signed and verified**") == 2
    assert "**Stale**" not in rendered
    assert "the amendment in progress takes effect once this party signs it" in rendered

    # The redline shows exactly the edit.
    redline = cli("render", CHARTER, "--redline", "--to", "md")
    assert redline.exit_code == 0, redline.stderr
    body = redline.stdout.split("\n---\n", 1)[1]
    assert "Keep the public buildings running<ins> safely and on budget</ins>." in body
    assert "<del>" not in body.split("## Sign-off")[0].replace(
        "| Version | <del>1.0.0</del><ins>1.1.0</ins> |", ""
    ).replace("| Status | <del>Active</del><ins>Under review</ins> |", "")

    # `--redline REV` names the base; a revision before it, the same edit.
    named = cli("render", "--redline", signed[:10], CHARTER, "--to", "md")
    assert named.exit_code == 0, named.stderr
    assert named.stdout.split("\n---\n", 1)[1] == body
    assert f"(commit {signed[:7]})" in named.stdout
    html = cli("render", CHARTER, "--redline", "HEAD", "--to", "html")
    assert html.exit_code == 0 and "No change of content." in html.stdout
    missing = cli("render", CHARTER, "--redline", "no-such-rev", "--to", "md")
    assert missing.exit_code == 2 and "no-such-rev" in missing.stderr

    sign_all(cli, repo)
    set_status(repo, "active")
    git_commit(repo, "amendment 1.1.0 signed and in force")
    code, findings = check_json(cli)
    assert code == 0 and findings == []
    assert states(cli) == ["valid", "valid"]

    log = cli("log", CHARTER)
    assert log.exit_code == 0, log.stderr
    lines = log.stdout.splitlines()
    final = git(repo, "rev-parse", "HEAD").strip()
    assert lines[0] == f"in force: version 1.1.0 ({final[:7]})"
    story = lines[1:]
    assert len(story) == 4, story
    assert "status under-review → active" in story[0] and "in force from here" in story[0]
    assert "sign-off added by Jane Doe" in story[0] and "without a version bump" not in story[0]
    assert "status active → under-review; version 1.0.0 → 1.1.0" in story[1]
    assert "safely and on budget" in story[1]
    assert "sign-off added by Raj Smith" in story[2]
    assert story[3].endswith("created")


def test_activating_without_signing_again_is_stale(cli: Any, repo: Path) -> None:
    signed_and_active(cli, repo)
    assert cli("amend", CHARTER, "--summary", "Safer").exit_code == 0
    edit_purpose(repo)
    git_commit(repo, "amendment drafted")
    set_status(repo, "active")
    code, findings = check_json(cli)
    assert code == 1
    errors = [rule for rule in rules(findings) if rule[1] == "error"]
    assert errors == [("signoff-stale", "error"), ("signoff-stale", "error")]
    assert "amendment-pending" not in {rule for rule, _ in rules(findings)}
    assert states(cli) == ["stale", "stale"]


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
def test_word_redline_defaults_to_the_in_force_version(
    cli: Any, repo: Path, tmp_path: Path
) -> None:
    """`--redline` alone in Word compares with the in-force version, as md, html and pdf do;
    pandoc (the independent reader) accepting every change gives the amended text, rejecting
    them the text in force."""
    import zipfile

    signed = signed_and_active(cli, repo)
    assert cli("amend", CHARTER, "--summary", "Safer").exit_code == 0
    edit_purpose(repo)
    git_commit(repo, "amendment drafted")
    out = tmp_path / "redline.docx"
    result = cli("render", CHARTER, "--to", "docx", "-o", out, "--redline")
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(out) as docx:
        comments = docx.read("word/comments.xml").decode("utf-8")
    assert f"since version 1.0.0 in force (commit {signed[:7]})" in comments

    def text(mode: str) -> str:
        done = subprocess.run(
            ["pandoc", "--track-changes", mode, "-t", "plain", "--wrap=none", str(out)],
            capture_output=True,
            text=True,
            check=True,
        )
        return " ".join(done.stdout.split())

    accepted, rejected = text("accept"), text("reject")
    assert NEW_PURPOSE in accepted and NEW_PURPOSE not in rejected
    assert OLD_PURPOSE in rejected


def test_a_retired_charter_keeps_stale_sign_offs_as_warnings(cli: Any, repo: Path) -> None:
    signed_and_active(cli, repo)
    edit_purpose(repo)
    set_status(repo, "terminated")
    code, findings = check_json(cli)
    assert code == 0
    assert rules(findings) == [("signoff-stale", "warning"), ("signoff-stale", "warning")]


def test_without_a_fully_signed_commit_there_is_no_in_force_version(cli: Any, repo: Path) -> None:
    sign_all(cli, repo)  # signed, not committed
    set_status(repo, "under-review")
    edit_purpose(repo)
    code, findings = check_json(cli)
    assert code == 1
    assert {r for r, _ in rules(findings)} == {"signoff-stale"}
    redline = cli("render", CHARTER, "--redline")
    assert redline.exit_code == 2
    assert "in-force" in redline.stderr or "in force" in redline.stderr


def test_status_alone_is_not_content(cli: Any, repo: Path) -> None:
    signed_and_active(cli, repo)
    set_status(repo, "suspended")
    assert states(cli) == ["valid", "valid"]


# --- rmo amend ------------------------------------------------------------------------------


def test_amend_edits_three_blocks_and_nothing_else(cli: Any, repo: Path) -> None:
    signed_and_active(cli, repo)
    before = (repo / CHARTER).read_text(encoding="utf-8")
    result = cli("amend", CHARTER, "--summary", "Tighter targets", "--date", "2026-11-20")
    assert result.exit_code == 0, result.stderr
    after = (repo / CHARTER).read_text(encoding="utf-8")
    assert "status: under-review\n" in after
    assert (
        "version: '1.1.0'\n" in after
        or 'version: "1.1.0"\n' in after
        or ("version: 1.1.0\n" in after)
    )
    assert "amendments:\n- version: 1.1.0\n  date: 2026-11-20\n  summary: Tighter targets\n" in (
        after.replace("'", "").replace('"', "")
    )
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert all(
        line.startswith(("status:", "version:", "amendments:", "- version", "  date", "  summary"))
        for line in changed
    ), changed
    assert cli("validate", CHARTER).exit_code == 0


@pytest.mark.parametrize(
    ("version", "expected"), [("1.2.3", "1.3.0"), ("2.1", "2.2"), ("0.9.9", "0.10.0")]
)
def test_bump_version(version: str, expected: str) -> None:
    from rmo_cli.ops.amendments import bump_version

    assert bump_version(version) == expected


def test_amend_with_a_version(cli: Any, repo: Path) -> None:
    result = cli("amend", CHARTER, "--summary", "Major change", "--version", "2.0.0")
    assert result.exit_code == 0, result.stderr
    assert "2.0.0" in (repo / CHARTER).read_text(encoding="utf-8")


@pytest.mark.parametrize("status", ["draft", "proposed", "under-review"])
def test_amend_refuses_a_charter_not_agreed_and_leaves_it_byte_identical(
    cli: Any, repo: Path, status: str
) -> None:
    set_status(repo, status)
    before = (repo / CHARTER).read_bytes()
    result = cli("amend", CHARTER, "--summary", "Anything")
    assert result.exit_code == 2
    assert status in result.stderr and "Traceback" not in result.stderr
    assert (repo / CHARTER).read_bytes() == before


def test_amend_refuses_a_bad_version_byte_identical(cli: Any, repo: Path) -> None:
    before = (repo / CHARTER).read_bytes()
    result = cli("amend", CHARTER, "--summary", "x", "--version", "two")
    assert result.exit_code == 2 and (repo / CHARTER).read_bytes() == before


# --- the pre-commit hook during an amendment --------------------------------------------------


@pytest.mark.slow
def test_pre_commit_hook_accepts_the_amendment_commit(
    cli: Any, repo: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("pre_commit")
    from test_precommit import snapshot_hook_repo

    snapshot = tmp_path_factory.mktemp("hooks") / "rmo-hooks"
    rev = snapshot_hook_repo(snapshot)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snapshot}\n    rev: {rev}\n    hooks:\n"
        "      - id: rmo-validate\n      - id: rmo-check\n        verbose: true\n"
    )
    monkeypatch.setenv("PRE_COMMIT_HOME", str(snapshot.parent / "home"))
    monkeypatch.setenv("NO_COLOR", "1")
    hook_env = dict(os.environ)
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=repo,
        env=hook_env,
        check=True,
        capture_output=True,
    )
    signed_and_active(cli, repo)
    assert cli("amend", CHARTER, "--summary", "Safer").exit_code == 0
    edit_purpose(repo)
    git(repo, "add", "-A")
    done = subprocess.run(
        ["git", "commit", "-m", "amendment drafted"],
        cwd=repo,
        env=hook_env,
        capture_output=True,
        text=True,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert re.search(r"rmo check \(charters, sign-offs, reviews\)\.+Passed", said), said
    assert "warning[amendment-pending]" in said, said
    # Activating without signing again: the hook refuses the commit.
    set_status(repo, "active")
    git(repo, "add", "-A")
    refused = subprocess.run(
        ["git", "commit", "-m", "activated unsigned"],
        cwd=repo,
        env=hook_env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0
    assert "error[signoff-stale]" in refused.stdout + refused.stderr
