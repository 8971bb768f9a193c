"""Time `rmo render --to html -o DIR` of N charters against `rmo validate` of the same files.

    python benchmarks/bench_render.py [--count 200] [--repeat 5] [--git]

Target (issue 4): rendering N charters to HTML in one call takes at most 2x validating them.
Both figures are wall clock of the installed `rmo`, interpreter start-up included, best of
--repeat rounds (the two commands alternate). With --git the charters sit in a committed git
repository, so the footer's commit and uncommitted-changes lookup is part of the measurement.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate_charters  # noqa: E402

RMO = Path(sys.executable).parent / "rmo"


def best(commands: list[list[str]], repeat: int, cwd: Path) -> list[float]:
    """Best wall-clock time of each command over repeat rounds (exit status must be 0).

    The commands take turns within each round, so a change in the machine's load between
    rounds affects them alike.
    """
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for cmd, spent in zip(commands, times, strict=True):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
            spent.append(time.perf_counter() - start)
    return [min(spent) for spent in times]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--git", action="store_true", help="put the charters in a git repo")
    args = parser.parse_args()
    if not RMO.exists():
        print(f"rmo is not installed next to {sys.executable}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="rmo-bench-render-"))
    try:
        charters = work / "charters"
        generate_charters(args.count, charters)
        if args.git:
            for cmd in (
                ["git", "init", "-q"],
                ["git", "add", "-A"],
                ["git", "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "c"],
            ):
                subprocess.run(cmd, cwd=work, check=True)
        validate, render = best(
            [
                [str(RMO), "validate", "charters"],
                [str(RMO), "render", "charters", "--to", "html", "-o", "site"],
            ],
            args.repeat,
            work,
        )
        pages = len(list((work / "site").glob("*.html")))
        ratio = render / validate
        print(f"charters: {args.count} (git: {'yes' if args.git else 'no'})")
        print(f"rmo validate:           {validate:6.2f} s")
        print(f"rmo render --to html:   {render:6.2f} s  ({pages} pages incl. index)")
        print(f"ratio render/validate:  {ratio:6.2f}  (target <= 2.0)")
        return 0 if ratio <= 2.0 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
