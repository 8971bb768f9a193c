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
    parser.add_argument(
        "--pdf", action="store_true", help="time a PDF of each sample charter instead (issue 17)"
    )
    args = parser.parse_args()
    if not RMO.exists():
        print(f"rmo is not installed next to {sys.executable}", file=sys.stderr)
        return 2
    if args.pdf:
        return sample_pdfs(args.repeat)
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


def sample_pdfs(repeat: int) -> int:
    """Time `rmo render SAMPLE --to pdf -o X.pdf` of each sample (PDF/A-3b with the charter
    and sign-offs embedded, sign-offs verified), start-up included; target: under ~2 s."""
    samples = sorted((HERE.parent / "sample_charters").glob("*.yaml"))
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for sample in samples:
            out = Path(tmp) / (sample.stem + ".pdf")
            command = [str(RMO), "render", str(sample), "--to", "pdf", "-o", str(out)]
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                subprocess.run(command, cwd=HERE.parent, check=True, capture_output=True)
                times.append(time.perf_counter() - start)
            pages = subprocess.run(
                ["pdfinfo", str(out)], capture_output=True, text=True, check=False
            ).stdout
            lines = pages.splitlines()
            count = next((ln.split()[-1] for ln in lines if ln.startswith("Pages")), "?")
            print(
                f"{sample.name}: {count} pages, {out.stat().st_size // 1024} KB; "
                f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s "
                f"({repeat} runs)"
            )
            worst = max(worst, min(times))
    print(f"slowest sample, best run: {worst:.2f} s (target under ~2 s)")
    return 0 if worst < 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
