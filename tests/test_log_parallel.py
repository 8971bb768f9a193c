"""A cold `rmo log` of a long history parses versions in worker processes; its output is
exactly that of the one-process path (and of a warm run)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml
from conftest import RMO, charter, git

from rmo_cli.ops.history import PARALLEL_VERSIONS


def _history(repo: Path, versions: int) -> None:
    """versions commits of charters/acme-globex.yaml, written with git fast-import."""
    stream: list[bytes] = []
    data = charter()
    for n in range(versions):
        data["version"] = f"1.{n}"
        data["title"] = f"Acme and Globex, edition {n}"
        data["status"] = ["draft", "active", "under-review"][n % 3]
        if n == versions // 2:
            text = b"status: [unclosed\n"  # one unreadable version in the middle
        else:
            text = yaml.safe_dump(data, sort_keys=False).encode()
        message = f"edit {n}".encode()
        stream += [
            b"commit refs/heads/main\n",
            f"committer T <t@example.test> {1_700_000_000 + n * 60} +0000\n".encode(),
            b"data %d\n%s\n" % (len(message), message),
            b"M 100644 inline charters/acme-globex.yaml\n",
            b"data %d\n%s\n" % (len(text), text),
        ]
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=b"".join(stream), check=True)
    git(repo, "checkout", "-q", "-f", "main")


def test_cold_log_in_workers_prints_what_one_process_prints(git_repo: Path) -> None:
    _history(git_repo, PARALLEL_VERSIONS + 20)
    args = [str(RMO), "log", "charters/acme-globex.yaml"]

    def run(*extra: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*args, *extra],
            cwd=git_repo,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=600,
        )

    serial = run("--no-cache", RMO_JOBS="1")
    assert serial.returncode == 0, serial.stderr
    assert "unreadable at this commit" in serial.stdout
    assert serial.stdout.count("\n") > PARALLEL_VERSIONS
    parallel = run("--no-cache", RMO_JOBS="2")
    assert (parallel.stdout, parallel.returncode) == (serial.stdout, serial.returncode)
    cold = run(RMO_JOBS="2")  # fills .git/rmo/log
    warm = run(RMO_JOBS="2")
    assert cold.stdout == warm.stdout == serial.stdout
    assert (
        run("--format", "json", RMO_JOBS="2").stdout
        == run("--format", "json", "--no-cache", RMO_JOBS="1").stdout
    )
