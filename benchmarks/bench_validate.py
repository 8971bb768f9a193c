"""Time `rmo validate` against the floor and check-jsonschema; `rmo --help` against Typer.

    python benchmarks/bench_validate.py [--sizes 2000 10000] [--repeat 3]

floor = one process that reads every file, parses it with libyaml's CSafeLoader and validates
it with one compiled Draft202012Validator of our schema, checking the date and email formats
(the least any validator must do; it gets the same import shortcut rmo takes).
Each figure is the best of --repeat runs, wall clock, including interpreter start-up.
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
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate_charters  # noqa: E402

BIN = Path(sys.executable).parent
FLOOR = r"""
import datetime as dt, json, sys
from pathlib import Path
import yaml
sys.modules["rfc3987_syntax"] = None  # as rmo does: skip compiling an unused IRI grammar
from jsonschema import Draft202012Validator, FormatChecker
schema = json.loads(Path(sys.argv[1]).read_text())
validator = Draft202012Validator(schema, format_checker=FormatChecker(formats=["date", "email"]))
def iso(o):
    if isinstance(o, dict): return {k: iso(v) for k, v in o.items()}
    if isinstance(o, list): return [iso(v) for v in o]
    return o.isoformat() if isinstance(o, dt.date) else o
errors = 0
for path in sorted(Path(sys.argv[2]).glob("*.yaml")):
    data = iso(yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader))
    errors += sum(1 for _ in validator.iter_errors(data))
print(errors)
"""
HELLO = """
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "world") -> None:
    print(f"hello {name}")
@app.command()
def bye() -> None:
    print("bye")
app()
"""


def best(cmd: list[str], repeat: int, cwd: Path | None = None) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rmo = str(BIN / "rmo")
    schema = ROOT / "schemas" / "charter.schema.json"
    work = Path(tempfile.mkdtemp(prefix="rmo-bench-"))
    try:
        (work / "floor.py").write_text(FLOOR)
        (work / "hello.py").write_text(HELLO)
        for n in args.sizes:
            folder = work / f"c{n}"
            generate_charters(n, folder)
            files = sorted(str(p) for p in folder.glob("*.yaml"))
            floor = best(
                [sys.executable, str(work / "floor.py"), str(schema), str(folder)], args.repeat
            )
            ours = best([rmo, "validate", str(folder), "--format", "json"], args.repeat)
            line = (
                f"{n:>6} charters: floor {floor:6.2f} s | "
                f"rmo validate {ours:6.2f} s ({ours / floor:.2f}x floor)"
            )
            cj = shutil.which("check-jsonschema", path=str(BIN)) or shutil.which("check-jsonschema")
            if cj:
                theirs = best([cj, "--schemafile", str(schema), *files], 1)
                line += (
                    f" | check-jsonschema {theirs:6.2f} s ({theirs / ours:.1f}x slower than rmo)"
                )
            print(line, flush=True)
        hello = best([sys.executable, str(work / "hello.py"), "--help"], 10)
        ours = best([rmo, "--help"], 10)
        print(
            f"--help: typer hello-world {hello * 1000:.0f} ms | "
            f"rmo {ours * 1000:.0f} ms ({ours / hello:.2f}x)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.sync()


if __name__ == "__main__":
    main()
