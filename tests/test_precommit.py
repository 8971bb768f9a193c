"""The pre-commit hooks (.pre-commit-hooks.yaml), used by a real charter repository.

`pre-commit try-repo` points a temporary charter repository at a snapshot of this project
as a hook repository: pre-commit builds its own virtualenv and pip-installs rmo into it,
exactly as a user's `pre-commit install` would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from conftest import ROOT, SAMPLES, git, git_commit, write_charter
from conftest import charter as minimal_charter

MANIFEST = ROOT / ".pre-commit-hooks.yaml"
# What `pip install` of the project needs, when the project is not a git checkout.
PROJECT_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml")
PROJECT_DIRS = ("rmo_cli", "schemas", "templates")
AS_OF = "2026-11-23"


def charter(**overrides: Any) -> dict[str, Any]:
    """The minimal charter, its party globex named as in the samples (no party-id-conflict)."""
    data = minimal_charter(**overrides)
    data["parties"][1]["name"] = "Globex Facilities Services plc"
    return data


def hooks() -> dict[str, dict[str, Any]]:
    from pre_commit.clientlib import load_manifest

    return {hook["id"]: hook for hook in load_manifest(str(MANIFEST))}


# --- the manifest as data -------------------------------------------------------------------


def test_manifest_is_valid_for_pre_commit() -> None:
    pytest.importorskip("pre_commit")
    found = hooks()
    assert set(found) == {"rmo-validate", "rmo-check"}
    assert found["rmo-validate"]["entry"] == "rmo validate"
    assert found["rmo-check"]["entry"] == "rmo check"
    assert all(hook["language"] == "python" for hook in found.values())
    # check judges the whole repository (ids, sign-offs, reviews), not the staged files.
    assert found["rmo-validate"]["pass_filenames"] is True
    assert found["rmo-check"]["pass_filenames"] is False


def test_hook_entries_are_real_commands() -> None:
    pytest.importorskip("pre_commit")
    from typer.main import get_command

    from rmo_cli.cli.main import app

    commands = get_command(app).commands  # type: ignore[attr-defined]
    for hook in hooks().values():
        program, sub = hook["entry"].split()
        assert program == "rmo" and sub in commands


def test_validate_hook_sees_charters_not_other_yaml() -> None:
    pytest.importorskip("pre_commit")
    pattern = re.compile(hooks()["rmo-validate"]["files"])
    for path in ("charters/acme.yaml", "charters/sub/acme.yml"):
        assert pattern.search(path), path
    for path in (".pre-commit-config.yaml", "rmo.yaml", ".github/workflows/ci.yml", "README.md"):
        assert not pattern.search(path), path


# --- the hooks through pre-commit -----------------------------------------------------------


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookRepo]:
    """A git repository holding a copy of this project's working tree (the hook repository)
    and a PRE_COMMIT_HOME for the module.

    `pre-commit try-repo` installs into a new temporary store on every call; a real config
    and one PRE_COMMIT_HOME let the tests share a single installation of rmo.
    """
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("precommit")
    snapshot = base / "rmo-hooks"
    rev = snapshot_hook_repo(snapshot)
    yield HookRepo(snapshot, rev, base / "pre-commit-home")


def snapshot_hook_repo(snapshot: Path) -> str:
    """Copy this project's files into a new git repository at snapshot; its commit."""
    snapshot.mkdir()
    for name in project_files():
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, snapshot / name)
    env = {**os.environ, **_identity()}
    for args in (
        ("init", "-q", "-b", "main"),
        ("add", "-A"),
        ("commit", "-q", "--no-verify", "-m", "snapshot"),
    ):
        subprocess.run(["git", *args], cwd=snapshot, env=env, check=True, capture_output=True)
    return git(snapshot, "rev-parse", "HEAD").strip()


def project_files() -> list[str]:
    """The project's files as in its working tree: tracked and new, not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
    )
    if listed.returncode == 0:
        names = [n for n in listed.stdout.decode("utf-8").split("\0") if n]
        return [n for n in names if (ROOT / n).is_file()]
    # Not a git checkout (an unpacked sdist): what `pip install` of the project needs.
    names = list(PROJECT_FILES)
    for folder in PROJECT_DIRS:
        names += [
            p.relative_to(ROOT).as_posix()
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        ]
    return names


class HookRepo(NamedTuple):
    path: Path
    rev: str
    home: Path


def _identity() -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.test",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.test",
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def pre_commit_env(hook_repo: HookRepo) -> dict[str, str]:
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(hook_repo.home),
        "RMO_TODAY": AS_OF,
        "NO_COLOR": "1",
    }


def run_hook(hook_repo: HookRepo, repo: Path, hook: str) -> subprocess.CompletedProcess[str]:
    """`pre-commit run HOOK --all-files` in repo, as a developer or CI would run it."""
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--all-files", "--color=never"],
        cwd=repo,
        env=pre_commit_env(hook_repo),
        capture_output=True,
        text=True,
    )


@pytest.fixture
def charter_repo(git_repo: Path, hook_repo: HookRepo) -> Path:
    """A committed charter repository holding the four sample charters, using the hooks."""
    (git_repo / "charters").mkdir()
    for sample in sorted(SAMPLES.glob("*.yaml")):
        shutil.copy2(sample, git_repo / "charters" / sample.name)
    # One sample carries an SSH signature: the repository trusts the samples' signers.
    shutil.copy2(SAMPLES / "allowed_signers", git_repo / "allowed_signers")
    (git_repo / "rmo.yaml").write_text(
        'charters: ["charters/**/*.yaml"]\nsigners: allowed_signers\n'
    )
    # The README's ready-to-paste config, pointed at the snapshot. It is YAML too, and the
    # validate hook must leave it alone.
    (git_repo / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {hook_repo.path}\n"
        f"    rev: {hook_repo.rev}\n"
        "    hooks:\n"
        "      - id: rmo-validate\n"
        "      - id: rmo-check\n"
    )
    git_commit(git_repo, "charters")
    return git_repo


@pytest.mark.slow
def test_validate_hook_passes_then_fails_with_file_and_line(
    hook_repo: HookRepo, charter_repo: Path
) -> None:
    passed = run_hook(hook_repo, charter_repo, "rmo-validate")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"rmo validate \(relationship charters\)\.+Passed", passed.stdout)

    bad = write_charter(
        charter_repo / "charters" / "acme-globex.yaml",
        charter(governance={"model": "hierarchy", "decision_rule": "unanimity"}),
    )
    git_commit(charter_repo, "a broken charter")
    failed = run_hook(hook_repo, charter_repo, "rmo-validate")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"rmo validate \(relationship charters\)\.+Failed", failed.stdout)
    lines = bad.read_text().splitlines()
    rule_line = next(i for i, text in enumerate(lines, 1) if "decision_rule" in text)
    assert f"charters/acme-globex.yaml:{rule_line}:" in failed.stdout
    assert "error[" in failed.stdout
    # The other charters and the non-charter YAML were not reported.
    reported = set(re.findall(r"^(\S+?):\d+:\d+: ", failed.stdout, re.M))
    assert reported == {"charters/acme-globex.yaml"}


@pytest.mark.slow
def test_installed_hook_blocks_a_commit_of_an_invalid_charter(
    hook_repo: HookRepo, charter_repo: Path
) -> None:
    # Only the validate hook here (pre-commit's SKIP), so the test needs no ssh-keygen.
    env = {**pre_commit_env(hook_repo), "SKIP": "rmo-check"}
    installed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=charter_repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    path = charter_repo / "charters" / "acme-globex.yaml"
    write_charter(path, charter(status="dormant"))
    git(charter_repo, "add", "charters/acme-globex.yaml")
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "add a charter"],
        cwd=charter_repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert commit.returncode != 0, "the hook let an invalid charter be committed"
    output = commit.stdout + commit.stderr
    assert re.search(r"rmo validate \(relationship charters\)\.+Failed", output)
    status_line = path.read_text().splitlines().index("status: dormant") + 1
    assert f"charters/acme-globex.yaml:{status_line}:" in output
    # Fixed, the same commit goes through.
    write_charter(path, charter())
    git(charter_repo, "add", "charters/acme-globex.yaml")
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "add a charter"],
        cwd=charter_repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr


@pytest.mark.slow
def test_check_hook_fails_on_an_overdue_review(hook_repo: HookRepo, charter_repo: Path) -> None:
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is needed to verify the signed sample charter")
    passed = run_hook(hook_repo, charter_repo, "rmo-check")
    assert passed.returncode == 0, passed.stdout + passed.stderr

    overdue = charter(review={"cadence": "P6M", "last_reviewed": "2026-01-10"})
    write_charter(charter_repo / "charters" / "acme-globex.yaml", overdue)
    git_commit(charter_repo, "overdue")
    failed = run_hook(hook_repo, charter_repo, "rmo-check")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"charters/acme-globex\.yaml:\d+:\d+: error\[review-overdue\]", failed.stdout)


def test_rmo_init_pre_commit_config_uses_these_hooks(cli: Any, tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    from pre_commit.clientlib import load_config

    target = tmp_path / "charters-repo"
    assert cli("init", target).exit_code == 0
    config = load_config(str(target / ".pre-commit-config.yaml"))
    used = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert used and used <= set(hooks())
