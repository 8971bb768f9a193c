"""Shared fixtures: the real CLI, real git repositories, charter builders."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
# The rmo console script installed beside the Python running the tests (.venv in CI).
RMO = Path(sys.executable).parent / "rmo"
SAMPLES = ROOT / "sample_charters"
DATA = Path(__file__).resolve().parent / "data"

# Headless Chromium as the browser tests start it: a fresh profile, no network chatter.
CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

MINIMAL: dict[str, Any] = {
    "apiVersion": "rmo/v1",
    "kind": "RelationshipCharter",
    "id": "acme-globex",
    "title": "ACME–Globex Relationship Charter",
    "version": "1.0.0",
    "status": "active",
    "parties": [
        {
            "id": "acme",
            "name": "ACME Public Works Agency",
            "type": "public-sector",
            "people": [
                {
                    "id": "jdoe",
                    "name": "Jane Doe",
                    "title": "Director",
                    "email": "jane@acme.example",
                    "ser": True,
                }
            ],
        },
        {
            "id": "globex",
            "name": "Globex Facilities Ltd",
            "type": "private",
            "people": [
                {
                    "id": "rsmith",
                    "name": "Raj Smith",
                    "title": "CEO",
                    "email": "raj@globex.example",
                    "ser": True,
                }
            ],
        },
    ],
    "purpose": "Keep the public buildings running.",
    "objectives": [{"id": "obj-1", "statement": "Halve unplanned outages.", "owner": "jdoe"}],
    "governance": {"model": "quasi-hierarchy", "lead_party": "acme", "decision_rule": "consensus"},
    "term": {"effective": "2025-02-01", "expires": "2028-01-31"},
    "review": {"cadence": "P6M", "last_reviewed": "2026-08-01"},
}


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test may read or write the real home directory or git identity."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.test")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Committer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "committer@example.test")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("RMO_DEBUG", raising=False)
    monkeypatch.delenv("RMO_TODAY", raising=False)
    # Each test its own result cache (rmo_cli/ops/cache.py), under its own home.
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("RMO_CACHE_DIR", raising=False)
    monkeypatch.delenv("RMO_NO_CACHE", raising=False)


def charter(**overrides: Any) -> dict[str, Any]:
    """A valid minimal charter as data, with top-level keys replaced by overrides."""
    data = copy.deepcopy(MINIMAL)
    data.update(overrides)
    return data


def write_charter(path: Path, data: dict[str, Any] | None = None, **overrides: Any) -> Path:
    """Write a charter (default: the minimal one) as YAML to path; returns path."""
    data = copy.deepcopy(data) if data is not None else charter()
    data.update(overrides)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# yaml-language-server: $schema=../schemas/charter.schema.json\n"
        + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return path


class Cli:
    """Runs rmo through Typer's CliRunner with stdout and stderr kept apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(
        self,
        *args: str | os.PathLike[str],
        input: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Any:
        from rmo_cli.cli.main import app

        return self.runner.invoke(
            app, [str(a) for a in args], input=input, env=env, catch_exceptions=True
        )


@pytest.fixture
def cli() -> Cli:
    """Invoke the real CLI in-process: `result = cli("validate", path)`."""
    return Cli()


def keygen(folder: Path, name: str) -> Path:
    """A fresh ed25519 key pair without passphrase (real ssh-keygen); the private key's path."""
    key = folder / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key


def git(cwd: Path, *args: str) -> str:
    """Run git in cwd and return its stdout (fails the test on error)."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def git_commit(repo: Path, message: str, *paths: str) -> str:
    """Stage paths (default: everything) and commit; returns the new commit's SHA."""
    git(repo, "add", *(paths or ("-A",)))
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """An empty git repository in tmp_path/repo with a pinned identity."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test User")
    git(repo, "config", "user.email", "test@example.test")
    git(repo, "config", "commit.gpgsign", "false")
    return repo
