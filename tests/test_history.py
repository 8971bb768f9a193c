"""history.py as a library: safe revisions, blobs, renames followed, shallow clones."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import git, git_commit, write_charter

from rmo_cli.adapters import git as gitrepo
from rmo_cli.cli.exits import exit_code_of
from rmo_cli.ops import history
from rmo_cli.support.errors import RmoError


@pytest.fixture
def renamed_repo(git_repo: Path) -> tuple[Path, list[str]]:
    """A charter created, edited, renamed with git mv, then edited again."""
    path = write_charter(git_repo / "charters" / "old name.yaml")
    shas = [git_commit(git_repo, "create")]
    write_charter(path, version="1.1.0")
    shas.append(git_commit(git_repo, "bump"))
    git(git_repo, "mv", "charters/old name.yaml", "charters/acme-globex.yaml")
    shas.append(git_commit(git_repo, "rename"))
    write_charter(git_repo / "charters" / "acme-globex.yaml", version="1.2.0", status="draft")
    shas.append(git_commit(git_repo, "edit"))
    return git_repo, shas


def test_open_repo_outside_git_is_a_usage_error(tmp_path: Path):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "c.yaml").write_text("x: 1\n")
    with pytest.raises(RmoError) as err:
        gitrepo.open_repo(plain / "c.yaml")
    assert exit_code_of(err.value) == 2
    assert "not in a git repository" in err.value.message


def test_open_repo_finds_the_repository_from_a_subfolder_and_a_deleted_file(renamed_repo):
    repo_dir, _ = renamed_repo
    repo = gitrepo.open_repo(repo_dir / "charters" / "gone" / "deleted.yaml")
    assert repo.root == repo_dir.resolve()
    assert repo.git_dir == repo.common_dir == (repo_dir / ".git").resolve()
    assert not repo.shallow


def test_open_repo_refuses_a_bare_repository_and_the_git_folder(tmp_path: Path, renamed_repo):
    repo_dir, _ = renamed_repo
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo_dir), str(bare))
    for place, words in ((bare, "a bare repository"), (repo_dir / ".git", "not in the working")):
        with pytest.raises(RmoError) as err:
            gitrepo.open_repo(place / "c.yaml")
        assert exit_code_of(err.value) == 2
        assert words in err.value.message


def test_worktree_shares_the_log_cache_of_its_main_repository(renamed_repo, tmp_path: Path):
    repo_dir, _ = renamed_repo
    other = tmp_path / "other-worktree"
    git(repo_dir, "worktree", "add", "-q", str(other))
    repo = gitrepo.open_repo(other)
    assert repo.root == other.resolve()
    assert repo.common_dir == (repo_dir / ".git").resolve()
    assert repo.git_dir != repo.common_dir
    rows = history.charter_log(repo, "charters/acme-globex.yaml")
    assert rows == history.charter_log(gitrepo.open_repo(repo_dir), "charters/acme-globex.yaml")
    assert len(_cache_files(repo_dir)) == 1


def test_resolve_revision_gives_full_sha(renamed_repo):
    repo_dir, shas = renamed_repo
    repo = gitrepo.open_repo(repo_dir)
    assert gitrepo.resolve_revision(repo, "HEAD") == shas[-1]
    assert gitrepo.resolve_revision(repo, "HEAD~3") == shas[0]
    assert gitrepo.resolve_revision(repo, shas[1][:8]) == shas[1]


@pytest.mark.parametrize("rev", ["--output=pwned", "-p", "--all"])
def test_option_like_revision_is_refused_and_writes_nothing(renamed_repo, rev, monkeypatch):
    repo_dir, _ = renamed_repo
    monkeypatch.chdir(repo_dir)
    before = sorted(os.listdir(repo_dir))
    with pytest.raises(RmoError) as err:
        gitrepo.resolve_revision(gitrepo.open_repo(repo_dir), rev)
    assert exit_code_of(err.value) == 2
    assert "looks like an option" in err.value.message
    assert sorted(os.listdir(repo_dir)) == before


@pytest.mark.parametrize("rev", ["no-such-branch", "HEAD~99", "HEAD^{tree}", ""])
def test_unknown_revision_is_a_usage_error(renamed_repo, rev):
    repo_dir, _ = renamed_repo
    with pytest.raises(RmoError) as err:
        gitrepo.resolve_revision(gitrepo.open_repo(repo_dir), rev)
    assert exit_code_of(err.value) == 2
    assert rev == "" or "unknown revision" in err.value.message


def test_read_blob_exact_bytes_and_missing(git_repo: Path):
    # A BOM, CRLF line ends and no final newline all survive.
    raw = b"\xef\xbb\xbfapiVersion: rmo/v1\r\nkind: RelationshipCharter"
    (git_repo / "c.yaml").write_bytes(raw)
    (git_repo / "sub").mkdir()
    (git_repo / "sub" / "x.yaml").write_text("a: 1\n")
    sha = git_commit(git_repo, "one")
    repo = gitrepo.open_repo(git_repo)
    assert gitrepo.read_blob(repo, sha, "c.yaml") == raw
    assert gitrepo.read_blob(repo, sha, "missing.yaml") is None
    assert gitrepo.read_blob(repo, sha, "sub") is None  # a folder is not a file


def test_file_history_follows_renames(renamed_repo):
    repo_dir, shas = renamed_repo
    repo = gitrepo.open_repo(repo_dir)
    entries = gitrepo.file_history(repo, "charters/acme-globex.yaml")
    assert [e.sha for e in entries] == shas[::-1]
    assert [e.path for e in entries] == [
        "charters/acme-globex.yaml",
        "charters/acme-globex.yaml",
        "charters/old name.yaml",
        "charters/old name.yaml",
    ]
    assert [e.status for e in entries] == ["M", "R", "M", "A"]
    assert entries[1].old_path == "charters/old name.yaml"
    assert entries[0].subject == "edit"
    assert entries[0].author == "Test Author"  # GIT_AUTHOR_NAME from conftest
    # The blob ids read the file's bytes at each commit, straight from the object database.
    for entry in entries:
        assert gitrepo.read_blob_id(repo, entry.blob) == gitrepo.read_blob(
            repo, entry.sha, entry.path
        )


def test_file_history_of_a_repo_without_commits_is_empty(git_repo: Path):
    assert gitrepo.file_history(gitrepo.open_repo(git_repo), "charters/x.yaml") == []


def test_path_at_revision_follows_git_mv_and_plain_mv(renamed_repo):
    repo_dir, shas = renamed_repo
    repo = gitrepo.open_repo(repo_dir)
    current = "charters/acme-globex.yaml"
    assert history.path_at_revision(repo, shas[0], current, shas[-1]) == "charters/old name.yaml"
    assert history.path_at_revision(repo, shas[3], current) == current
    # Renamed again in the working tree without telling git.
    os.rename(repo_dir / current, repo_dir / "charters" / "newest.yaml")
    assert history.path_at_revision(repo, shas[0], "charters/newest.yaml") is None
    # ... but the charter's id finds it among the files the working tree lost.
    found = history.path_at_revision(repo, shas[0], "charters/newest.yaml", None, "acme-globex")
    assert found == "charters/old name.yaml"
    assert history.path_at_revision(repo, shas[0], "charters/never.yaml") is None


def test_revision_forms_git_users_type(renamed_repo):
    repo_dir, shas = renamed_repo
    repo = gitrepo.open_repo(repo_dir)
    git(repo_dir, "tag", "-a", "v1", "-m", "first release", shas[1])
    assert gitrepo.resolve_revision(repo, "v1") == shas[1]  # an annotated tag, peeled
    assert gitrepo.resolve_revision(repo, ":/bump") == shas[1]  # searched by message
    assert gitrepo.resolve_revision(repo, "HEAD~0") == shas[-1]
    with pytest.raises(RmoError) as err:
        gitrepo.resolve_revision(repo, "x" * 10_000)
    assert len(err.value.message) < 300  # a pasted blob is not echoed back whole


def test_shallow_clone_is_detected(renamed_repo, tmp_path: Path):
    repo_dir, _ = renamed_repo
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", repo_dir.as_uri(), str(clone))
    repo = gitrepo.open_repo(clone)
    assert gitrepo.is_shallow(repo)
    assert not gitrepo.is_shallow(gitrepo.open_repo(repo_dir))
    with pytest.raises(RmoError) as err:
        gitrepo.require_full_history(repo)
    assert "git fetch --unshallow" in err.value.message
    assert "fetch-depth: 0" in err.value.message
    with pytest.raises(RmoError) as err:
        gitrepo.resolve_revision(repo, "HEAD~1")
    assert "fetch-depth: 0" in err.value.message


def test_load_at_revision_names_the_commit(renamed_repo):
    repo_dir, shas = renamed_repo
    repo = gitrepo.open_repo(repo_dir)
    result = history.load_at_revision(repo, shas[0], "charters/old name.yaml")
    assert result.document is not None
    assert result.document.data["version"] == "1.0.0"
    assert result.file == f"charters/old name.yaml@{shas[0][:7]}"


def _cache_files(repo_dir: Path) -> list[Path]:
    return sorted((repo_dir / ".git" / "rmo" / "log").glob("*.json"))


def test_charter_log_cache_gives_the_same_rows(renamed_repo):
    repo_dir, shas = renamed_repo
    repo = gitrepo.open_repo(repo_dir)
    path = "charters/acme-globex.yaml"
    fresh = history.charter_log(repo, path, cache=False)
    assert [r.sha for r in fresh] == shas[::-1]
    assert _cache_files(repo_dir) == []
    first = history.charter_log(repo, path)
    [cache_file] = _cache_files(repo_dir)
    assert history.charter_log(repo, path) == first == fresh
    # A damaged cache only costs speed: wrong shapes, wrong types, not JSON at all.
    saved = json.loads(cache_file.read_text())
    assert saved["blobs"] and saved["steps"]
    junk = {key: [1, 2] for key in saved["steps"]}
    saved.update(blobs=dict.fromkeys(saved["blobs"], "junk"), steps=junk)
    cache_file.write_text(json.dumps(saved))
    assert history.charter_log(repo, path) == fresh
    cache_file.write_text('{"format": 2, "rmo": "0.1.0", "blobs": {"x": 1}, "steps": []}')
    assert history.charter_log(repo, path) == fresh
    cache_file.write_text("not json")
    assert history.charter_log(repo, path) == fresh
    assert fresh[0].events == ["status active → draft", "version 1.1.0 → 1.2.0"]
    assert fresh[1].events == ["renamed from charters/old name.yaml"]
    assert fresh[-1].events == ["created"]


def test_each_charter_has_its_own_cache_holding_only_its_history(renamed_repo):
    repo_dir, _ = renamed_repo
    repo = gitrepo.open_repo(repo_dir)
    path = "charters/acme-globex.yaml"
    history.charter_log(repo, path)
    [first] = _cache_files(repo_dir)
    # A rewritten history drops what it no longer uses: amend the newest commit.
    replaced = gitrepo.file_history(repo, path)[0].blob
    assert replaced in json.loads(first.read_text())["blobs"]
    write_charter(repo_dir / path, version="1.3.0", status="draft")
    git(repo_dir, "commit", "-q", "-a", "--amend", "--no-edit")
    rows = history.charter_log(repo, path)
    assert rows[0].events == ["status active → draft", "version 1.1.0 → 1.3.0"]
    saved = json.loads(first.read_text())
    assert set(saved["blobs"]) == {e.blob for e in gitrepo.file_history(repo, path)}
    assert replaced not in saved["blobs"]
    # Logging another charter leaves this one's cache alone.
    before = first.read_bytes()
    other = write_charter(repo_dir / "charters" / "other.yaml", id="other")
    git_commit(repo_dir, "another charter")
    write_charter(other, id="other", version="1.1.0")
    git_commit(repo_dir, "bump it")
    other_rows = history.charter_log(repo, "charters/other.yaml")
    assert [r.events[0] for r in other_rows] == [
        "version 1.0.0 → 1.1.0",
        "created (copied from charters/acme-globex.yaml)",  # git sees a near-copy
    ]
    assert len(_cache_files(repo_dir)) == 2
    assert first.read_bytes() == before


def test_diff_sides_follows_the_rename_to_the_working_tree(renamed_repo):
    repo_dir, shas = renamed_repo
    sides = history.diff_sides(repo_dir / "charters" / "acme-globex.yaml", [shas[0][:10]])
    assert (sides.old_sha, sides.new_sha) == (shas[0], None)
    assert (sides.old_path, sides.new_path) == (
        "charters/old name.yaml",
        "charters/acme-globex.yaml",
    )
    assert sides.old_label == shas[0][:7]  # a typed SHA is not repeated: not "abc1234 (abc1234)"
    assert sides.new_label == "working tree"
    assert sides.old.document.data["version"] == "1.0.0"
    assert sides.new.document.data["version"] == "1.2.0"
    with pytest.raises(RmoError) as err:
        history.diff_sides(repo_dir / "charters" / "acme-globex.yaml", ["--output=x"])
    assert exit_code_of(err.value) == 2 and not (repo_dir / "x").exists()
