"""The result cache (SPEC §12): a warm run prints exactly what a cold run prints, and every
change a result depends on (file bytes, as-of date, configuration, allowed signers) is seen,
even an edit that keeps a file's size and modification time. A broken cache only slows."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RMO, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate_charters  # noqa: E402

N = 320  # above the worker threshold (300): the pool path runs too
DAY = "2026-11-23"


def run(args: list[str], cwd: Path, cache: Path | None, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, **env}
    if cache is not None:
        environ["RMO_CACHE_DIR"] = str(cache)
    return subprocess.run(
        [str(RMO), *args], cwd=cwd, capture_output=True, text=True, env=environ, timeout=600
    )


def entries(cache: Path) -> int:
    with sqlite3.connect(cache / "results.sqlite3") as db:
        return int(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])


def same_size_edit(path: Path, old: str, new: str) -> None:
    """Replace text by text of the same length, keeping the file's size and mtime."""
    assert len(old.encode()) == len(new.encode())
    info = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size
    assert path.stat().st_mtime_ns == info.st_mtime_ns


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("portfolio")
    paths = generate_charters(N, root / "charters")
    # Some findings to report: a bad status, a duplicate charter id.
    active = [p for p in paths if "\nstatus: active\n" in p.read_text(encoding="utf-8")]
    same_size_edit(active[1], "status: active", "status: activx")
    text = paths[7].read_text(encoding="utf-8")
    first_id = paths[8].stem
    paths[7].write_text(text.replace(f"id: {paths[7].stem}", f"id: {first_id}", 1), "utf-8")
    return root


COMMANDS = [
    ["validate", "charters", "--as-of", DAY],
    ["validate", "charters", "--as-of", DAY, "--format", "json"],
    ["check", "charters", "--as-of", DAY, "--format", "sarif"],
    ["check", "charters", "--as-of", DAY],
]
OTHERS = [
    ["status", "charters", "--as-of", DAY, "--format", "json"],
    ["status", "charters", "--as-of", DAY],
    ["reviews", "charters", "--as-of", DAY, "--format", "json"],
    ["reviews", "charters", "--as-of", DAY, "--format", "ics"],
    ["verify", "charters"],
    ["verify", "charters", "--format", "json"],
]


@pytest.mark.slow
def test_warm_runs_print_what_cold_runs_print(portfolio: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for args in COMMANDS + OTHERS:
        cold = run([*args, "--no-cache"], portfolio, cache)
        if args in COMMANDS:
            assert cold.returncode == 1, cold.stderr
            assert "duplicate-charter-id" in cold.stdout and "activx" in cold.stdout
        first = run(args, portfolio, cache)  # fills the cache
        warm = run(args, portfolio, cache)
        for done in (first, warm):
            assert (done.stdout, done.stderr, done.returncode) == (
                cold.stdout,
                cold.stderr,
                cold.returncode,
            ), args
    # validate, check, status, reviews, verify: N entries each (--format shares), except
    # verify's charters with a stale sign-off (what changed since is read from git).
    import json

    verified = json.loads(run(["verify", "charters", "--format", "json"], portfolio, cache).stdout)
    stale = {c["file"] for c in verified["signoffs"] if c["state"] == "stale"}
    assert stale
    assert entries(cache) == 5 * N - len(stale)

    # Edits that keep size and mtime are seen; so are the as-of date and the config.
    charters = sorted((portfolio / "charters").glob("*.yaml"))
    texts = {p: p.read_text(encoding="utf-8") for p in charters}
    active = [p for p in charters if "\nstatus: active\n" in texts[p]]
    broken = [p for p in charters if "\nstatus: activx\n" in texts[p]]
    same_size_edit(active[5], "status: active", "status: activz")
    same_size_edit(broken[0], "status: activx", "status: active")
    (portfolio / "rmo.yaml").write_text("due_soon: P90D\n", encoding="utf-8")
    for args in [*COMMANDS, *OTHERS, ["check", "charters", "--as-of", "2031-01-01"]]:
        warm = run(args, portfolio, cache)
        cold = run([*args, "--no-cache"], portfolio, cache)
        assert warm.stdout == cold.stdout and warm.returncode == cold.returncode, args
        if args[-1] == DAY:
            assert "activz" in warm.stdout and "activx" not in warm.stdout


@pytest.mark.slow
def test_broken_cache_only_makes_a_run_slower(portfolio: Path, tmp_path: Path) -> None:
    args = ["validate", "charters", "--as-of", DAY, "--format", "json"]
    expected = run([*args, "--no-cache"], portfolio, None, RMO_CACHE_DIR=str(tmp_path / "x"))
    # Corrupt: garbage where the database was, and a damaged entry.
    cache = tmp_path / "corrupt"
    cache.mkdir()
    (cache / "results.sqlite3").write_bytes(b"this is not a database" * 100)
    for _ in range(2):
        done = run(args, portfolio, cache)
        assert (done.stdout, done.returncode) == (expected.stdout, expected.returncode)
    with sqlite3.connect(cache / "results.sqlite3") as db:
        db.execute("UPDATE results SET value = '[1, 2' WHERE rowid % 2 = 0")
        db.execute("UPDATE results SET value = '[true, [[1]], [], null, null]' WHERE rowid % 3 = 0")
    done = run(args, portfolio, cache)
    assert (done.stdout, done.returncode) == (expected.stdout, expected.returncode)
    # A location that cannot be created (a file in the way) and one that is read-only.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = run(args, portfolio, blocker / "cache")
    assert (done.stdout, done.stderr, done.returncode) == (
        expected.stdout,
        expected.stderr,
        expected.returncode,
    )
    # Two runs at once on one cache.
    shared = tmp_path / "shared"
    environ = {**os.environ, "RMO_CACHE_DIR": str(shared)}
    procs = [
        subprocess.Popen(
            [str(RMO), *args], cwd=portfolio, env=environ, stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert outs == [expected.stdout] * 3
    assert run(args, portfolio, shared).stdout == expected.stdout


@pytest.mark.slow
def test_verify_cache_follows_the_allowed_signers_file(tmp_path: Path) -> None:
    """SSH-signed charters: a warm verify prints what a cold one prints, and a change to
    the allowed signers file (named by rmo.yaml) is seen at once."""
    from bench_speed import signed_charters

    folder = tmp_path / "repo"
    signed_charters(12, folder)
    cache = tmp_path / "cache"
    args = ["verify", "charters", "--no-history"]
    cold = run([*args, "--no-cache"], folder, cache)
    assert cold.returncode == 0 and " valid " in cold.stdout, cold.stdout + cold.stderr
    assert run(args, folder, cache).stdout == cold.stdout
    assert run(args, folder, cache).stdout == cold.stdout
    assert entries(cache) == 12
    signers = folder / "allowed_signers"
    lines = signers.read_text().splitlines(keepends=True)
    signers.write_text("".join(lines[1:]))  # one signer is no longer allowed
    warm = run(args, folder, cache)
    cold = run([*args, "--no-cache"], folder, cache)
    assert (warm.stdout, warm.returncode) == (cold.stdout, cold.returncode)
    assert "unknown-signer" in warm.stdout and warm.returncode == 1
    # Time-limited entries: verdicts change with the clock, so they are never cached.
    signers.write_text(
        "".join(
            line.replace(" namespaces=", ' valid-after="20200101",namespaces=') for line in lines
        )
    )
    before = entries(cache)
    run(args, folder, cache)
    assert entries(cache) == before
