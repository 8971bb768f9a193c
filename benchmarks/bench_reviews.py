"""Time `rmo reviews` (every format) against `rmo validate` on the same charters.

    python benchmarks/bench_reviews.py [--sizes 2000 10000] [--repeat 3]

    python benchmarks/bench_reviews.py --history 10000

The acceptance bound (issue 6): `rmo reviews` on 10,000 charters takes no longer than
`rmo validate` on them. Each figure is the best of --repeat runs, wall clock, including
interpreter start-up, output to /dev/null, run from an empty folder (no rmo.yaml). The
script exits 1 when `rmo reviews` (table) is slower than validate at any size.

With --history N it instead times the git-history rule (`review_history_findings`) on N
charters in a git repository with three commits (add all; refresh 1% of the
`last_reviewed` dates without a log entry; an unrelated edit of 1%), against reading the
same files.
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate_charters  # noqa: E402

BIN = Path(sys.executable).parent


def best(cmd: list[str], repeat: int, cwd: Path) -> float:
    """Best wall-clock time of repeat runs of cmd (its exit code must be 0 or 1)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd[:2])} failed: {done.stderr.decode()[-500:]}")
    return min(times)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def history(n: int) -> int:
    """Time review_history_findings on n charters in a git repository."""
    import re

    sys.path.insert(0, str(HERE.parent))
    from rmo_cli.charter.loading import read_charter
    from rmo_cli.rules.reviews import review_history_findings

    work = Path(tempfile.mkdtemp(prefix="rmo-bench-history-"))
    try:
        paths = generate_charters(n, work / "charters")
        _git(work, "init", "-q", "-b", "main")
        for key, value in (("user.name", "Bench"), ("user.email", "bench@example.test")):
            _git(work, "config", key, value)
        _git(work, "add", "-A")
        _git(work, "commit", "-q", "-m", "add charters")
        bumped = 0
        for path in paths[::100]:
            text = path.read_text(encoding="utf-8")
            new = re.sub(r"(last_reviewed: )(\S+)", r"\g<1>2026-11-20", text, count=1)
            bumped += new != text
            path.write_text(new, encoding="utf-8")
        _git(work, "commit", "-q", "-am", "refresh review dates")
        for path in paths[50::100]:
            path.write_text(path.read_text(encoding="utf-8") + "# note\n", encoding="utf-8")
        _git(work, "commit", "-q", "-am", "notes")
        os.chdir(work)
        start = time.perf_counter()
        docs = [read_charter(p, str(p.relative_to(work))).document for p in paths]
        read = time.perf_counter() - start
        start = time.perf_counter()
        findings = review_history_findings(work, [d for d in docs if d is not None])
        took = time.perf_counter() - start
        print(
            f"{n:>6} charters in git: reading them {read:6.2f} s | review_history_findings "
            f"{took:6.2f} s ({len(findings)} findings for {bumped} refreshed dates)",
            flush=True,
        )
    finally:
        os.chdir(HERE)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--history", type=int, metavar="N", help="time the git-history rule")
    args = parser.parse_args()
    if args.history:
        return history(args.history)
    rmo = str(BIN / "rmo")
    os.environ["RMO_TODAY"] = "2026-11-23"
    work = Path(tempfile.mkdtemp(prefix="rmo-bench-reviews-"))
    slower = False
    try:
        for n in args.sizes:
            folder = work / f"c{n}"
            generate_charters(n, folder)
            validate = best([rmo, "validate", str(folder), "--format", "json"], args.repeat, work)
            times = {
                fmt: best([rmo, "reviews", str(folder), "--format", fmt], args.repeat, work)
                for fmt in ("table", "json", "md", "ics")
            }
            slower = slower or times["table"] > validate
            figures = " | ".join(f"reviews {fmt} {t:6.2f} s" for fmt, t in times.items())
            print(
                f"{n:>6} charters: validate {validate:6.2f} s | {figures} "
                f"({times['table'] / validate:.2f}x validate)",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if slower:
        print("rmo reviews was slower than rmo validate", file=sys.stderr)
    return 1 if slower else 0


if __name__ == "__main__":
    sys.exit(main())
