"""`rmo diff`, `rmo log` and `rmo textconv` on real git repositories with real histories."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RMO, charter, git, git_commit, write_charter

KPIS = [
    {"id": "kpi-otd", "name": "On-time delivery", "target": 95, "owner": "jdoe"},
    {"id": "kpi-avail", "name": "Payment service availability", "target": 99.9, "owner": "rsmith"},
]
INITECH = {
    "id": "initech",
    "name": "Initech Ltd",
    "type": "private",
    "people": [{"id": "bob", "name": "Bob Slydell", "email": "bob@initech.example"}],
}


class History:
    """A charter's six commits: created, KPI target, reorder, party added, renamed, activated."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.old_path = repo / "charters" / "acme-globex.yaml"
        self.path = repo / "charters" / "acme-globex-alliance.yaml"
        data = charter(status="draft", kpis=copy.deepcopy(KPIS))
        write_charter(self.old_path, data)
        self.created = git_commit(repo, "Create the charter")
        data["kpis"][1]["target"] = 99.95
        data["version"] = "1.1.0"
        write_charter(self.old_path, data)
        self.kpi = git_commit(repo, "Raise the availability target")
        data["kpis"].reverse()
        data["parties"].reverse()
        write_charter(self.old_path, data)
        self.reorder = git_commit(repo, "Reorder")
        data["parties"].append(copy.deepcopy(INITECH))
        data["version"] = "1.2.0"
        write_charter(self.old_path, data)
        self.party = git_commit(repo, "Add Initech")
        git(repo, "mv", "charters/acme-globex.yaml", "charters/acme-globex-alliance.yaml")
        self.rename = git_commit(repo, "Rename")
        data["status"] = "active"
        write_charter(self.path, data)
        self.activate = git_commit(repo, "Activate")
        self.data = data


@pytest.fixture
def hist(git_repo: Path) -> History:
    return History(git_repo)


def _diff_json(cli, *args) -> dict:
    result = cli("diff", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.parts)


def test_kpi_target_change(cli, hist):
    out = _diff_json(cli, hist.path, hist.created, hist.kpi)
    assert out["from"] == hist.created and out["to"] == hist.kpi
    assert out["changes"] == [
        {"op": "changed", "path": "version", "old": "1.0.0", "new": "1.1.0"},
        {"op": "changed", "path": "kpis[kpi-avail].target", "old": 99.9, "new": 99.95},
    ]
    assert out["fingerprint_changed"] is True and out["version_bumped"] is True
    text = cli("diff", hist.path, hist.created, hist.kpi).stdout
    assert "  ~ KPI Payment service availability: target 99.9 → 99.95\n" in text
    assert "  ~ version: 1.0.0 → 1.1.0\n" in text
    assert "\nKPIs\n" in text and "\nDocument control\n" in text
    assert "Version 1.0.0 → 1.1.0." in text


def test_reorder_is_no_change(cli, hist):
    out = _diff_json(cli, hist.path, hist.kpi, hist.reorder)
    assert out["changes"] == []
    # The SPEC §6 fingerprint follows list order, so sign-offs do go stale: say so.
    assert out["fingerprint_changed"] is True and out["reordered_only"] is True
    assert out["needs_version_bump"] is False
    result = cli("diff", hist.path, hist.kpi, hist.reorder, "--exit-code")
    assert result.exit_code == 0
    assert "No changes.\nItems were reordered: no change in content" in result.stdout


def test_added_party(cli, hist):
    out = _diff_json(cli, hist.path, f"{hist.reorder}..{hist.party}")
    assert out["changes"] == [
        {"op": "changed", "path": "version", "old": "1.1.0", "new": "1.2.0"},
        {"op": "added", "path": "parties[initech]", "old": None, "new": INITECH},
    ]
    text = cli("diff", hist.path, hist.reorder, hist.party).stdout
    assert "\nParties\n  + party Initech Ltd added\n" in text
    assert cli("diff", hist.path, hist.reorder, hist.party, "--exit-code").exit_code == 1


def test_rename_is_followed(cli, hist):
    out = _diff_json(cli, hist.path, hist.party, hist.rename)
    assert out["changes"] == []
    assert out["paths"] == {
        "from": "charters/acme-globex.yaml",
        "to": "charters/acme-globex-alliance.yaml",
    }
    # Across the rename, from the first commit to the working tree.
    out = _diff_json(cli, hist.path, hist.created)
    assert out["to"] == "working tree"
    assert [c["path"] for c in out["changes"]] == [
        "version",
        "status",
        "parties[initech]",
        "kpis[kpi-avail].target",
    ]
    text = cli("diff", hist.path, hist.created).stdout
    assert "renamed: charters/acme-globex.yaml → charters/acme-globex-alliance.yaml" in text


def test_status_change_needs_no_version_bump(cli, hist):
    """Fingerprint v2 (SPEC §6): status is not signed content, so no bump is asked for."""
    out = _diff_json(cli, hist.path, hist.rename, hist.activate)
    assert out["changes"] == [{"op": "changed", "path": "status", "old": "draft", "new": "active"}]
    # Status is not signed content (SPEC §6): activating needs no new version.
    assert out["needs_version_bump"] is False
    text = cli("diff", hist.path, hist.rename, hist.activate).stdout
    assert "  ~ status: draft → active\n" in text
    assert "the version was not bumped" not in text
    md = cli("diff", hist.path, hist.rename, hist.activate, "--format", "md").stdout
    assert "- status: ~~draft~~ → **active**" in md
    assert "version was not bumped" not in md


def test_default_is_head_against_working_tree_and_people_by_name(cli, hist, monkeypatch):
    data = copy.deepcopy(hist.data)
    data["kpis"][0]["owner"] = "bob"  # kpi-avail comes first after the reorder
    write_charter(hist.path, data)
    monkeypatch.chdir(hist.repo)
    result = cli("diff", "charters/acme-globex-alliance.yaml")
    assert result.exit_code == 0, result.stderr
    assert "HEAD (" in result.stdout and "→ working tree" in result.stdout
    assert "KPI Payment service availability: owner Raj Smith → Bob Slydell" in result.stdout
    # CHARTER may be the charter's id.
    by_id = _diff_json(cli, "acme-globex")
    assert by_id["changes"] == [
        {"op": "changed", "path": "kpis[kpi-avail].owner", "old": "rsmith", "new": "bob"}
    ]
    assert by_id["from"] == hist.activate


def test_no_colour_when_not_a_terminal(cli, hist):
    result = cli("diff", hist.path, hist.created, hist.kpi)
    assert "\x1b[" not in result.stdout


def test_log_lists_every_commit_across_the_rename(cli, hist):
    result = cli("log", hist.path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    commits = json.loads(result.stdout)["commits"]
    assert [c["sha"] for c in commits] == [
        hist.activate,
        hist.rename,
        hist.party,
        hist.reorder,
        hist.kpi,
        hist.created,
    ]
    assert [c["events"] for c in commits] == [
        ["status draft → active"],
        ["renamed from charters/acme-globex.yaml"],
        ["version 1.1.0 → 1.2.0", "party Initech Ltd added"],
        ["items reordered (no change in content, but the fingerprint changed)"],
        ["version 1.0.0 → 1.1.0", "KPI Payment service availability: target 99.9 → 99.95"],
        ["created"],
    ]
    assert [c["status"] for c in commits] == ["active"] + ["draft"] * 5
    assert commits[-1]["path"] == "charters/acme-globex.yaml"
    text = cli("log", hist.path).stdout.splitlines()
    assert len(text) == 6
    assert text[0].startswith(f"{hist.activate[:7]}  ")
    assert text[0].endswith("1.2.0  active  status draft → active")
    assert text[-1].endswith("1.0.0  draft   created")  # columns padded
    assert "Test Author" in text[0]


def test_log_reports_signoffs_and_reviews(cli, git_repo):
    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    git_commit(git_repo, "create")
    data = charter()
    data["signoffs"] = [
        {"person": "rsmith", "party": "globex", "date": "2026-01-05", "fingerprint": "sha256:0"}
    ]
    data["review"]["log"] = [{"date": "2026-08-01", "reviewers": ["jdoe"], "outcome": "affirmed"}]
    write_charter(path, data)
    git_commit(git_repo, "sign and review")
    lines = cli("log", path).stdout.splitlines()
    assert lines[0].endswith(
        "sign-off added by Raj Smith; review recorded (2026-08-01 affirmed by Jane Doe)"
    )


def test_log_on_a_branchy_history_compares_each_commit_with_its_parent(cli, git_repo):
    # base → (branch: availability 99.5) and (main: 99.8) → merge resolved to 99.7.
    path = git_repo / "charters" / "acme-globex.yaml"
    data = charter(kpis=copy.deepcopy(KPIS))
    write_charter(path, data)
    git_commit(git_repo, "base")
    main = git(git_repo, "branch", "--show-current").strip()
    git(git_repo, "checkout", "-q", "-b", "side")
    data["kpis"][1]["target"] = 99.5
    write_charter(path, data)
    git_commit(git_repo, "side: 99.5")
    git(git_repo, "checkout", "-q", main)
    data["kpis"][1]["target"] = 99.8
    write_charter(path, data)
    git_commit(git_repo, "main: 99.8")
    subprocess.run(["git", "merge", "-q", "side"], cwd=git_repo, capture_output=True)
    data["kpis"][1]["target"] = 99.7
    write_charter(path, data)
    merge = git_commit(git_repo, "merge side: 99.7")
    rows = json.loads(cli("log", path, "--format", "json").stdout)["commits"]
    told = [(r["subject"], r["events"]) for r in rows]
    assert told[0] == ("merge side: 99.7", [_AVAIL.format("99.8 → 99.7"), _NO_BUMP])
    assert sorted(told[1:3]) == [  # the two branches' commits, in either order
        ("main: 99.8", [_AVAIL.format("99.9 → 99.8"), _NO_BUMP]),
        ("side: 99.5", [_AVAIL.format("99.9 → 99.5"), _NO_BUMP]),
    ]
    assert told[3] == ("base", ["created"])
    assert rows[0]["sha"] == merge


def test_log_lists_a_merged_branchs_change_once_not_again_on_the_merge(cli, git_repo):
    # The pull-request workflow: a change made on a branch, merged with --no-ff.
    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    git_commit(git_repo, "create")
    main = git(git_repo, "branch", "--show-current").strip()
    git(git_repo, "checkout", "-q", "-b", "review")
    write_charter(path, status="under-review")
    git_commit(git_repo, "review starts")
    new = write_charter(git_repo / "charters" / "second.yaml", id="second", title="Second")
    git_commit(git_repo, "add a second charter on the branch")
    git(git_repo, "checkout", "-q", main)
    (git_repo / "NOTES.md").write_text("unrelated\n")
    git_commit(git_repo, "unrelated work on main")
    git(git_repo, "merge", "-q", "--no-ff", "-m", "Merge the review", "review")
    rows = json.loads(cli("log", path, "--format", "json").stdout)["commits"]
    assert [r["subject"] for r in rows] == ["review starts", "create"]
    # git --follow may see the new charter as a copy (at the merge or on the branch):
    # either way it is created once, and its history ends there.
    rows = json.loads(cli("log", new, "--format", "json").stdout)["commits"]
    assert len(rows) == 1 and rows[0]["events"][0].startswith("created")


_AVAIL = "KPI Payment service availability: target {}"
_NO_BUMP = "content changed without a version bump"


def test_log_keeps_a_commit_whose_subject_holds_rmos_separators(cli, git_repo):
    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    git_commit(git_repo, "create")
    write_charter(path, status="suspended")
    git_commit(git_repo, "suspend \x1e x \x1f y")
    write_charter(path, status="suspended", title="New title")
    git_commit(git_repo, "retitle")
    rows = json.loads(cli("log", path, "--format", "json").stdout)["commits"]
    assert [r["subject"] for r in rows] == ["retitle", "suspend \x1e x \x1f y", "create"]
    assert rows[1]["events"][0] == "status active → suspended"


def test_charter_unreadable_at_a_revision(cli, git_repo):
    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    good = git_commit(git_repo, "good")
    path.write_text("apiVersion: rmo/v1\nkind: RelationshipCharter\nid: [unclosed\n")
    bad = git_commit(git_repo, "broken")
    result = cli("diff", path, good, bad)
    assert result.exit_code == 1
    assert f"acme-globex.yaml@{bad[:7]}:" in result.stderr
    assert "cannot be read as a charter" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    # The log still lists it, saying the file was unreadable at that commit.
    log = cli("log", path)
    assert log.exit_code == 0
    assert "unreadable at this commit" in log.stdout.splitlines()[0]


# ----- safety: bad revisions, shallow clones, plain directories -------------------------


@pytest.mark.parametrize(
    "revs",
    [
        ["--", "--output=pwned"],
        ["--", "HEAD", "--output=pwned"],
        ["--", "--output=pwned..HEAD"],
        ["--output=pwned"],
    ],
)
def test_option_injection_is_refused_and_writes_nothing(cli, hist, monkeypatch, revs):
    monkeypatch.chdir(hist.repo)
    before = _listing(hist.repo)
    result = cli("diff", "charters/acme-globex-alliance.yaml", *revs)
    assert result.exit_code == 2
    assert result.stderr.strip()
    assert not (hist.repo / "pwned").exists()
    assert _listing(hist.repo) == before


def test_option_injection_through_the_installed_command(hist):
    if not RMO.exists():
        pytest.skip("rmo is not installed beside this Python")
    before = _listing(hist.repo)
    done = subprocess.run(
        [str(RMO), "diff", "charters/acme-globex-alliance.yaml", "--", "--output=pwned"],
        cwd=hist.repo,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "looks like an option" in done.stderr
    assert _listing(hist.repo) == before


@pytest.mark.parametrize("rev", ["no-such-branch", "HEAD~42"])
def test_unknown_revision(cli, hist, rev):
    before = _listing(hist.repo)
    result = cli("diff", hist.path, rev)
    assert result.exit_code == 2
    assert f"unknown revision '{rev}'" in result.stderr
    assert result.stdout == ""
    assert _listing(hist.repo) == before


def test_too_many_revisions(cli, hist):
    result = cli("diff", hist.path, "HEAD", "HEAD~1", "HEAD~2")
    assert result.exit_code == 2
    assert "at most two revisions" in result.stderr


def test_shallow_clone(cli, hist, tmp_path):
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", hist.repo.as_uri(), str(clone))
    before = _listing(clone)
    charter_path = clone / "charters" / "acme-globex-alliance.yaml"
    log = cli("log", charter_path)
    assert log.exit_code == 2
    assert "fetch-depth: 0" in log.stderr and "git fetch --unshallow" in log.stderr
    diff = cli("diff", charter_path, "HEAD~1")
    assert diff.exit_code == 2
    assert "fetch-depth: 0" in diff.stderr
    assert _listing(clone) == before


def test_plain_directory(cli, tmp_path, monkeypatch):
    plain = tmp_path / "plain"
    path = write_charter(plain / "charters" / "acme-globex.yaml")
    monkeypatch.chdir(plain)
    before = _listing(plain)
    for command in ("diff", "log"):
        result = cli(command, path)
        assert result.exit_code == 2
        assert "not in a git repository" in result.stderr
    assert _listing(plain) == before


def test_no_commits_yet(cli, git_repo):
    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    assert cli("diff", path).exit_code == 2
    result = cli("log", path)
    assert result.exit_code == 2
    assert "no committed history" in result.stderr


def test_a_charter_new_since_the_revision_is_all_added(cli, hist):
    # A pull request that adds a charter: `rmo diff NEW origin/main..HEAD` in CI.
    data = charter(id="second")
    other = write_charter(hist.repo / "charters" / "second.yaml", data)
    git_commit(hist.repo, "second charter")
    payload = _diff_json(cli, other, f"{hist.created}..HEAD")
    assert payload["paths"] == {"from": None, "to": "charters/second.yaml"}
    assert {c["op"] for c in payload["changes"]} == {"added"}
    assert [c["path"] for c in payload["changes"]] == list(data)
    assert payload["changes"][0]["new"] == data[next(iter(data))]
    text = cli("diff", other, hist.created, "HEAD")
    assert text.exit_code == 0
    assert "new charter: charters/second.yaml does not exist at" in text.stdout
    assert "without a version bump" not in text.stdout
    md = cli("diff", other, hist.created, "HEAD", "--format", "md")
    assert "(new charter: not in" in md.stdout
    assert cli("diff", other, hist.created, "HEAD", "--exit-code").exit_code == 1


def test_unknown_charter_id(cli, hist, monkeypatch):
    monkeypatch.chdir(hist.repo)
    result = cli("diff", "no-such-charter")
    assert result.exit_code == 2
    assert "no charter with that id" in result.stderr


def test_a_charter_id_two_files_share_is_refused_and_both_named(cli, hist, monkeypatch):
    monkeypatch.chdir(hist.repo)
    # hist.path's id is acme-globex but it is not named after it; a copy makes it ambiguous.
    shutil.copy(hist.path, hist.repo / "charters" / "acme-globex-copy.yaml")
    for command in ("diff", "log"):
        result = cli(command, "acme-globex")
        assert result.exit_code == 2, result.stdout
        assert "2 charters have this id" in result.stderr
        assert "acme-globex-alliance.yaml" in result.stderr
        assert "acme-globex-copy.yaml" in result.stderr
    # The file named after the id wins: that is the convention new-charter follows.
    shutil.copy(hist.path, hist.repo / "charters" / "acme-globex.yaml")
    result = cli("log", "acme-globex", "--format", "json")
    assert result.exit_code == 0, result.stderr
    logged = json.loads(result.stdout)
    assert logged["commits"][0]["path"] == "charters/acme-globex.yaml"
    # "file" is the charter's path, as in `diff --format json`, even when given by id.
    assert logged["file"] == _diff_json(cli, "acme-globex")["file"]
    assert logged["file"] == str(Path("charters") / "acme-globex.yaml")


@pytest.mark.parametrize("charter", ["", "   ", "a" * 300 + ".yaml", "d/" + "b" * 300])
def test_an_empty_or_impossible_charter_path_is_a_usage_error(cli, hist, monkeypatch, charter):
    monkeypatch.chdir(hist.repo)
    for command in ("diff", "log"):
        result = cli(command, charter)
        assert result.exit_code == 2, (command, result.stderr)
        assert result.stderr.startswith("rmo: error: ")
        assert "internal error" not in result.stderr


def test_json_output_is_strict_json_even_for_nan_and_infinity(cli, git_repo):
    path = write_charter(git_repo / "charters" / "acme-globex.yaml", charter(kpis=KPIS))
    git_commit(git_repo, "create")
    text = path.read_text(encoding="utf-8").replace("target: 95", "target: .nan")
    path.write_text(text.replace("target: 99.9", "target: -.inf"), encoding="utf-8")
    git_commit(git_repo, "unknown targets")

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    result = cli("diff", path, "HEAD~1", "HEAD", "--format", "json")
    changes = json.loads(result.stdout, parse_constant=refuse)["changes"]
    assert {c["path"]: c["new"] for c in changes} == {
        "kpis[kpi-otd].target": ".nan",
        "kpis[kpi-avail].target": "-.inf",
    }
    json.loads(cli("log", path, "--format", "json").stdout, parse_constant=refuse)


def test_escape_sequences_in_a_charter_never_reach_the_terminal(cli, git_repo):
    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    git_commit(git_repo, "create")
    write_charter(
        path,
        purpose="Retitle your terminal \x1b]0;pwned\x07 and \x9b2J clear it",
        status="\x1b]0;pwned\x07active",
    )
    git_commit(git_repo, "hostile purpose")
    for result in (cli("diff", path, "HEAD~1", "HEAD"), cli("log", path)):
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert "\x9b" not in result.stdout
        assert "\\x1b]0;pwned\\x07" in result.stdout


def test_a_charter_copied_to_a_new_file_is_told_as_copied_not_renamed(cli, git_repo):
    old = write_charter(git_repo / "charters" / "acme-globex.yaml")
    git_commit(git_repo, "create")
    new = git_repo / "charters" / "acme-globex-2027.yaml"
    shutil.copy(old, new)
    write_charter(new, version="2.0.0")  # same id: the 2027 edition starts as a copy
    git_commit(git_repo, "start the 2027 edition")
    result = cli("diff", new, "HEAD~1", "HEAD")
    assert result.exit_code == 0, result.stderr
    assert "copied: charters/acme-globex.yaml → charters/acme-globex-2027.yaml" in result.stdout
    assert "renamed" not in result.stdout
    git(git_repo, "rm", "-q", "charters/acme-globex.yaml")
    git_commit(git_repo, "retire the old file")
    moved = cli("diff", new, "HEAD~2", "HEAD", "--format", "md")
    assert "(renamed from `charters/acme-globex.yaml`)" in moved.stdout


def test_diff_follows_a_committed_symlink_to_the_charter(cli, git_repo, monkeypatch):
    write_charter(git_repo / "charters" / "acme-globex.yaml")
    (git_repo / "charters" / "current.yaml").symlink_to("acme-globex.yaml")
    git_commit(git_repo, "create, with a stable link to the current charter")
    write_charter(git_repo / "charters" / "acme-globex.yaml", status="suspended")
    git_commit(git_repo, "suspend")
    monkeypatch.chdir(git_repo)
    payload = _diff_json(cli, "charters/current.yaml", "HEAD~1", "HEAD")
    assert payload["changes"] == [
        {"op": "changed", "path": "status", "old": "active", "new": "suspended"}
    ]
    # log of the link is the log of the charter it points to.
    log = json.loads(cli("log", "charters/current.yaml", "--format", "json").stdout)
    assert log["file"] == os.path.join("charters", "acme-globex.yaml")
    assert [r["events"][0] for r in log["commits"]] == ["status active → suspended", "created"]


# ----- git integration: textconv -------------------------------------------------------


def test_textconv_prints_canonical_lines(cli, tmp_path):
    path = write_charter(tmp_path / "c.yaml", charter(kpis=copy.deepcopy(KPIS)))
    result = cli("textconv", path)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "kpis[kpi-avail].target: 99.9" in lines
    assert "kpis[kpi-otd].owner: jdoe (Jane Doe)" in lines
    # Reordering id-keyed items does not change the text.
    reordered = charter(kpis=copy.deepcopy(KPIS)[::-1])
    reordered["parties"].reverse()
    write_charter(path, reordered)
    assert cli("textconv", path).stdout.splitlines() == lines


def test_textconv_passes_other_files_through(cli, tmp_path):
    other = tmp_path / "workflow.yaml"
    other.write_bytes(b"on: push\njobs: {}\n")
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(b"apiVersion: [\n")
    assert cli("textconv", other).stdout == "on: push\njobs: {}\n"
    assert cli("textconv", broken).stdout == "apiVersion: [\n"


@pytest.mark.slow
def test_git_diff_uses_textconv(hist):
    if not RMO.exists() or shutil.which("git") is None:
        pytest.skip("needs the installed rmo and git")
    (hist.repo / ".gitattributes").write_text("*.yaml diff=rmo\n*.yml diff=rmo\n")
    git(hist.repo, "config", "diff.rmo.textconv", f"{RMO} textconv")
    env = {**os.environ, "PATH": f"{RMO.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["git", "diff", hist.created, hist.kpi, "--", "charters/"],
        cwd=hist.repo,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    changed = [
        line
        for line in done.stdout.splitlines()
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == [
        "-version: 1.0.0",
        "+version: 1.1.0",
        "-kpis[kpi-avail].target: 99.9",
        "+kpis[kpi-avail].target: 99.95",
    ]
    # The reorder commit shows no content lines at all.
    done = subprocess.run(
        ["git", "log", "-p", "-1", hist.reorder, "--format=%s"],
        cwd=hist.repo,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert not [
        line for line in done.stdout.splitlines() if line.startswith(("+k", "-k", "+p", "-p"))
    ]


def test_log_of_a_charter_copied_from_another_starts_at_the_copy(cli, hist):
    data = copy.deepcopy(hist.data)
    data["id"] = "second"
    write_charter(hist.repo / "charters" / "second.yaml", data)
    copied = git_commit(hist.repo, "Start a second charter from the first")
    result = cli("log", hist.repo / "charters" / "second.yaml", "--format", "json")
    assert result.exit_code == 0, result.stderr
    commits = json.loads(result.stdout)["commits"]
    assert [c["sha"] for c in commits] == [copied]
    assert commits[0]["events"] == ["created (copied from charters/acme-globex-alliance.yaml)"]


@pytest.mark.slow
def test_colour_on_a_terminal_only_without_no_color(hist):
    pexpect = pytest.importorskip("pexpect")
    if not RMO.exists():
        pytest.skip("rmo is not installed beside this Python")
    args = ["diff", str(hist.path), hist.created, hist.kpi]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = pexpect.run(str(RMO), args=args, env=env, cwd=str(hist.repo), encoding="utf-8")
    assert "\x1b[" in coloured
    assert "KPI Payment service availability: target 99.9 → 99.95" in coloured
    plain = pexpect.run(
        str(RMO), args=args, env={**env, "NO_COLOR": "1"}, cwd=str(hist.repo), encoding="utf-8"
    )
    assert "\x1b[" not in plain
    assert "KPI Payment service availability: target 99.9 → 99.95" in plain


def test_log_cache_can_be_turned_off(cli, hist):
    cache = hist.repo / ".git" / "rmo"
    plain = cli("log", hist.path, "--no-cache")
    assert plain.exit_code == 0
    assert not cache.exists()
    assert cli("log", hist.path).stdout == plain.stdout
    assert len(list((cache / "log").glob("*.json"))) == 1


_LOADED_MODULES = """
import sys
from rmo_cli.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as done:
    assert not done.code, done.code
heavy = ["git", "rmo_cli.charter.loading", "rmo_cli.charter.diff", "yaml", "pydantic"]
print(" ".join(name for name in heavy if name in sys.modules))
"""


def test_log_with_a_warm_cache_reads_no_blob_and_parses_nothing(hist):
    # The cache's point: a second `rmo log` costs one `git log`, not GitPython and a parse
    # of every version. Checked by what the process imported, not by a clock.
    def loaded(*extra: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", _LOADED_MODULES, "log", str(hist.path), *extra],
            cwd=hist.repo,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.split("\n")[-2].split()

    parsed = ["git", "rmo_cli.charter.loading", "rmo_cli.charter.diff", "yaml"]
    assert loaded("--no-cache") == parsed
    assert set(loaded()) >= {"git", "rmo_cli.charter.loading"}  # cold: fills the cache
    assert loaded() == []


def test_a_folder_is_not_a_charter(cli, hist):
    for command in ("diff", "log"):
        result = cli(command, hist.repo / "charters")
        assert result.exit_code == 2
        assert "is a folder" in result.stderr


def test_log_of_a_deleted_charter(cli, hist):
    git(hist.repo, "rm", "-q", "charters/acme-globex-alliance.yaml")
    removed = git_commit(hist.repo, "Retire the charter")
    commits = json.loads(cli("log", hist.path, "--format", "json").stdout)["commits"]
    assert commits[0]["sha"] == removed and commits[0]["events"] == ["deleted"]
    assert len(commits) == 7
    # Its last two versions can still be compared.
    out = _diff_json(cli, hist.path, hist.rename, hist.activate)
    assert [c["path"] for c in out["changes"]] == ["status"]


@pytest.mark.slow
def test_rmo_init_sets_up_the_semantic_git_diff(cli, tmp_path):
    if not RMO.exists():
        pytest.skip("rmo is not installed beside this Python")
    repo = tmp_path / "charters-repo"
    assert cli("init", repo).exit_code == 0
    path = write_charter(repo / "charters" / "acme-globex.yaml", charter(kpis=copy.deepcopy(KPIS)))
    git_commit(repo, "create")
    data = charter(kpis=copy.deepcopy(KPIS)[::-1])
    data["kpis"][0]["target"] = 99.95
    write_charter(path, data)
    env = {**os.environ, "PATH": f"{RMO.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["git", "diff", "--", "charters/"], cwd=repo, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    body = [
        line
        for line in done.stdout.splitlines()
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert body == ["-kpis[kpi-avail].target: 99.9", "+kpis[kpi-avail].target: 99.95"]
