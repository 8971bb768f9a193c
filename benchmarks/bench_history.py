"""`rmo diff` and `rmo log` against the length of a repository's history.

Builds two repositories with `git fast-import`: one with 5 commits and one with 5,000
(same files, same charter; in the long one the charter changes every 50th commit and is
renamed half way, the other commits edit 20 other files). Then measures, through the
installed `rmo` command (what a user waits for, start-up included):

- `rmo diff CHARTER FIRST LAST` in each repository: should take the same time;
- `rmo log CHARTER` against `git log --follow` on the same file: should stay under 2x.

Usage: python benchmarks/bench_history.py [--commits 5000] [--runs 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_charters" / "harbourside-globex-facilities.yaml"
RMO = Path(sys.executable).parent / "rmo"
OLD_NAME = "charters/harbourside.yaml"
NEW_NAME = "charters/harbourside-globex-facilities.yaml"
OTHER_FILES = 20  # --other-files: a charter repository holds many charters


def _charter_text(step: int) -> bytes:
    text = SAMPLE.read_text(encoding="utf-8")
    text = text.replace("    target: 12\n", f"    target: {12 + step % 7}\n", 1)
    text = text.replace('version: "1.2.0"', f'version: "1.{2 + step}.0"', 1)
    return text.encode("utf-8")


def _blob(data: bytes) -> bytes:
    return b"data %d\n" % len(data) + data + b"\n"


def build_repo(path: Path, commits: int, charter_every: int, others: int = OTHER_FILES) -> int:
    """A repository of `commits` commits; returns how many of them changed the charter."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream: list[bytes] = []
    name = OLD_NAME
    changed = 0
    for i in range(commits):
        stamp = 1_700_000_000 + i * 60
        message = f"commit {i}".encode()
        stream.append(b"commit refs/heads/main\n")
        stream.append(b"committer Bench <bench@example.test> %d +0000\n" % stamp)
        stream.append(_blob(message))
        if i == 0:
            for n in range(others):
                stream.append(b"M 100644 inline charters/other-%d.yaml\n" % n + _blob(b"start\n"))
        if i == commits // 2 and commits > 1:
            stream.append(f"R {name} {NEW_NAME}\n".encode())
            name = NEW_NAME
            changed += 1
        elif i % charter_every == 0 or i == commits - 1:
            stream.append(f"M 100644 inline {name}\n".encode() + _blob(_charter_text(changed)))
            changed += 1
        else:
            note = b"charters/other-%d.yaml" % (i % others)
            stream.append(b"M 100644 inline " + note + b"\n" + _blob(b"edit %d\n" % i))
        stream.append(b"\n")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=path, check=True)
    subprocess.run(["git", "gc", "-q"], cwd=path, check=True)
    return changed


def _time(cmd: list[str], cwd: Path, runs: int, before: Any = None) -> float:
    """Best wall time of a command over runs, in milliseconds (after one warm-up run).

    The best of several runs, as timeit reports, since other work on the machine only
    ever adds time.
    """
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def _time_call(func: Any, runs: int, before: Any = None) -> float:
    """Best time of a call in this process over runs, in milliseconds (after a warm-up)."""
    func()
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def _rev(repo: Path, rev: str) -> str:
    done = subprocess.run(["git", "rev-parse", rev], cwd=repo, capture_output=True, text=True)
    return done.stdout.strip()


def _library_diff(repo_dir: Path, rev_a: str, rev_b: str) -> Any:
    """What `rmo diff CHARTER REV_A REV_B` does, as library calls."""
    from rmo_cli.adapters import git as gitrepo
    from rmo_cli.charter.diff import compare
    from rmo_cli.ops import history

    def run() -> None:
        repo = gitrepo.open_repo(repo_dir)
        a, b = gitrepo.resolve_revision(repo, rev_a), gitrepo.resolve_revision(repo, rev_b)
        new_path = history.path_at_revision(repo, b, NEW_NAME, None, None)
        assert new_path is not None
        old_path = history.path_at_revision(repo, a, new_path, b, "harbourside-globex-facilities")
        assert old_path is not None
        old = history.load_at_revision(repo, a, old_path).document
        new = history.load_at_revision(repo, b, new_path).document
        assert old is not None and new is not None
        compare(old.data, new.data)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--other-files", type=int, default=OTHER_FILES, help="other files in charters/"
    )
    parser.add_argument("--keep", type=Path, help="build the repositories here and keep them")
    args = parser.parse_args()
    if not RMO.exists():
        print(f"rmo is not installed next to {sys.executable}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    # An installed rmo runs from cached bytecode; don't time compiling it on every run.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    from rmo_cli.adapters import git as gitrepo
    from rmo_cli.ops import history

    base = args.keep or Path(tempfile.mkdtemp(prefix="rmo-bench-history-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        small, large = base / "small", base / "large"
        for repo in (small, large):
            shutil.rmtree(repo, ignore_errors=True)
        t0 = time.perf_counter()
        small_changes = build_repo(small, 5, 1, args.other_files)
        large_changes = build_repo(large, args.commits, 50, args.other_files)
        print(
            f"built in {time.perf_counter() - t0:.1f} s: 5 commits ({small_changes} touch the "
            f"charter) and {args.commits} commits ({large_changes} touch it); the charter is "
            f"renamed half way; {args.other_files} other files"
        )
        start_ms = _time([str(RMO), "--version"], small, args.runs)
        print(f"rmo start-up (rmo --version): {start_ms:.0f} ms")
        runs = args.runs
        results = {}
        for label, repo in (("5 commits", small), (f"{args.commits} commits", large)):
            first = _rev(repo, f"main~{int(_rev_count(repo)) - 1}")
            cache_dir = repo / ".git" / "rmo"

            def drop_cache(cache_dir: Path = cache_dir) -> None:
                shutil.rmtree(cache_dir, ignore_errors=True)

            row = {
                "diff_cli": _time(
                    [str(RMO), "diff", NEW_NAME, first, "main", "--format", "json"], repo, runs
                ),
                "diff_lib": _time_call(_library_diff(repo, first, "main"), runs),
                "log_cli_cold": _time([str(RMO), "log", NEW_NAME], repo, runs, drop_cache),
                "log_cli_warm": _time([str(RMO), "log", NEW_NAME], repo, runs),
                "log_lib_cold": _time_call(
                    lambda repo=repo: history.charter_log(
                        gitrepo.open_repo(repo), NEW_NAME, cache=False
                    ),
                    runs,
                ),
                "log_lib_warm": _time_call(
                    lambda repo=repo: history.charter_log(gitrepo.open_repo(repo), NEW_NAME),
                    runs,
                ),
                "git_log": _time(
                    ["git", "log", "--follow", "--oneline", "--", NEW_NAME], repo, runs
                ),
            }
            results[label] = row
        print()
        print(
            "| repository | rmo diff first last (CLI / library) | rmo log cold cache "
            "(CLI / library) | rmo log warm cache (CLI / library) | git log --follow |"
        )
        print("|---|---:|---:|---:|---:|")
        for label, r in results.items():
            print(
                f"| {label} | {r['diff_cli']:.0f} / {r['diff_lib']:.0f} ms | "
                f"{r['log_cli_cold']:.0f} / {r['log_lib_cold']:.0f} ms | "
                f"{r['log_cli_warm']:.0f} / {r['log_lib_warm']:.0f} ms | {r['git_log']:.0f} ms |"
            )
        small_r, large_r = results["5 commits"], results[f"{args.commits} commits"]
        print()
        print(
            f"diff {args.commits} vs 5 commits: "
            f"CLI {large_r['diff_cli'] / small_r['diff_cli']:.2f}x,"
            f" library {large_r['diff_lib'] / small_r['diff_lib']:.2f}x"
        )
        git_ms = large_r["git_log"]
        for key in ("log_lib_warm", "log_lib_cold", "log_cli_warm", "log_cli_cold"):
            ratio = large_r[key] / git_ms
            verdict = "under" if ratio < 2 else "OVER"
            print(
                f"{key} / git log --follow on {args.commits} commits: {ratio:.1f}x ({verdict} 2x)"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


def _rev_count(repo: Path) -> str:
    done = subprocess.run(
        ["git", "rev-list", "--count", "main"], cwd=repo, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
