"""Time `rmo check` (one pass) against validate + verify + reviews run one after another.

    python benchmarks/bench_check.py [--sizes 100 1000] [--repeat 3]

The charters sit committed in a git repository with an rmo.yaml, as in CI, so the rule that
reads git history (review-date-without-log) runs too. Each figure is the best of --repeat
runs, wall clock, including interpreter start-up.
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

BIN = Path(sys.executable).parent
AS_OF = "2026-11-23"


def best(cmd: list[str], repeat: int, cwd: Path) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def make_repo(n: int, root: Path) -> None:
    generate_charters(n, root / "charters")
    (root / "rmo.yaml").write_text('charters: ["charters/**/*.yaml"]\n')
    env_args = ["-c", "user.name=bench", "-c", "user.email=bench@example.test"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", *env_args, "commit", "-q", "-m", "charters"], cwd=root, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rmo = str(BIN / "rmo")
    work = Path(tempfile.mkdtemp(prefix="rmo-bench-check-"))
    try:
        print(f"{'charters':>8} {'check':>8} {'check sarif':>12} {'v+v+r':>8} {'validate':>9}")
        for n in args.sizes:
            root = work / f"repo{n}"
            root.mkdir()
            make_repo(n, root)
            check = best([rmo, "check", "--as-of", AS_OF], args.repeat, root)
            sarif = best([rmo, "check", "--as-of", AS_OF, "-f", "sarif"], args.repeat, root)
            validate = best([rmo, "validate", "--as-of", AS_OF], args.repeat, root)
            verify = best([rmo, "verify"], args.repeat, root)
            reviews = best([rmo, "reviews", "--as-of", AS_OF], args.repeat, root)
            three = validate + verify + reviews
            print(f"{n:>8} {check:>7.2f}s {sarif:>11.2f}s {three:>7.2f}s {validate:>8.2f}s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
