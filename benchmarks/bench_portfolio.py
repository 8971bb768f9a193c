"""Time `rmo status` and `rmo graph` against `rmo validate` on the same charters.

    python benchmarks/bench_portfolio.py [--sizes 2000 10000] [--repeat 3]

The acceptance bound (issue 9): `rmo status` on 10,000 charters takes no longer than
`rmo validate` on them. Each figure is the best of --repeat runs, wall clock, including
interpreter start-up, output to /dev/null (so no progress bar: stderr is not a terminal).
The script exits 1 when status is slower than validate at any size.
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


def best(cmd: list[str], repeat: int) -> float:
    """Best wall-clock time of repeat runs of cmd (its exit code must be 0 or 1)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd[:2])} failed: {done.stderr.decode()[-500:]}")
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rmo = str(BIN / "rmo")
    env_today = {"RMO_TODAY": "2026-11-23"}
    os.environ.update(env_today)
    work = Path(tempfile.mkdtemp(prefix="rmo-bench-portfolio-"))
    os.environ["RMO_CACHE_DIR"] = str(work / "cache")  # a private result cache, empty at first
    slower = False
    try:
        for n in args.sizes:
            folder = work / f"c{n}"
            generate_charters(n, folder)
            cold = ["--no-cache"]
            validate = best([rmo, "validate", str(folder), "--format", "json", *cold], args.repeat)
            status = best([rmo, "status", str(folder), "--format", "json", *cold], args.repeat)
            table = best([rmo, "status", str(folder), *cold], args.repeat)
            # Warm: the result cache filled by a first run (best of the later ones).
            validate_warm = best([rmo, "validate", str(folder), "--format", "json"], args.repeat)
            status_warm = best([rmo, "status", str(folder), "--format", "json"], args.repeat)
            mermaid = best([rmo, "graph", str(folder)], args.repeat)
            dot = best([rmo, "graph", str(folder), "--format", "dot"], args.repeat)
            slower = slower or status > validate or status_warm > validate_warm
            print(
                f"{n:>6} charters, cold: validate {validate:6.2f} s | status json "
                f"{status:6.2f} s ({status / validate:.2f}x validate) | status table "
                f"{table:6.2f} s\n{n:>6} charters, warm: validate {validate_warm:6.2f} s | "
                f"status json {status_warm:6.2f} s ({status_warm / validate_warm:.2f}x) | "
                f"graph mermaid {mermaid:6.2f} s | graph dot {dot:6.2f} s",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if slower:
        print("rmo status was slower than rmo validate", file=sys.stderr)
    return 1 if slower else 0


if __name__ == "__main__":
    sys.exit(main())
