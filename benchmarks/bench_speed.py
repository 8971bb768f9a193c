"""Issue #21's figures, side by side in one run: wall time and peak RSS.

    python benchmarks/bench_speed.py [--sizes 1000 10000 50000] [--warm 10000]
        [--signed 1000] [--log-versions 5000] [--repeat 3] [--only validate warm ...]
        [--data DIR] [--floor-up-to N]

- validate: `rmo validate --no-cache` of N generated charters against the floor (one process:
  libyaml CSafeLoader parse + one compiled Draft202012Validator with the date and email
  formats), wall time and peak RSS (the largest single process: rmo or one of its workers);
- warm: `rmo validate` and `rmo check` of N unchanged charters with a filled result cache,
  against the same floor;
- verify: `rmo verify --no-history --no-cache` of N charters with SSH-signed sign-offs (signed
  in-process in the SSHSIG format, every signature checked valid) against `rmo validate
  --no-cache` of the same files;
- help: `rmo --help` against a hello-world Typer app;
- log: `rmo log` warm and cold (`--no-cache`) against `git log --follow` plus the hello-world
  start-up, on the 101-version benchmark repository (bench_history.py's) and on a history of
  --log-versions versions.

Each time is the best of --repeat runs (start-up included); the cache lives in a temporary
folder (RMO_CACHE_DIR). Run it on a quiet machine: other load makes every ratio noisy.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_validate import FLOOR, HELLO  # noqa: E402
from generate import generate_charters  # noqa: E402

BIN = Path(sys.executable).parent
RMO = str(BIN / "rmo")
SCHEMA = ROOT / "schemas" / "charter.schema.json"


def measure(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple:
    """(wall seconds, peak RSS in MiB of the largest process, exit code) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def best(cmd: list[str], repeat: int, cwd: Path | None = None, env: dict | None = None) -> tuple:
    """The fastest of repeat runs: (wall, peak RSS MiB)."""
    runs = [measure(cmd, cwd, env) for _ in range(repeat)]
    wall = min(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    return wall, rss


# --- SSH-signed charters, signed in-process (SSHSIG, PROTOCOL.sshsig) ----------------------


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _sshsig(key, public_blob: bytes, message: bytes) -> str:  # type: ignore[no-untyped-def]
    namespace = b"rmo-charter"
    digest = hashlib.sha512(message).digest()
    signed = b"SSHSIG" + _string(namespace) + _string(b"") + _string(b"sha512") + _string(digest)
    signature = _string(b"ssh-ed25519") + _string(key.sign(signed))
    blob = (
        b"SSHSIG"
        + struct.pack(">I", 1)
        + _string(public_blob)
        + _string(namespace)
        + _string(b"")
        + _string(b"sha512")
        + _string(signature)
    )
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + "\n-----END SSH SIGNATURE-----\n"


def signed_charters(n: int, folder: Path) -> None:
    """n generated charters whose sign-offs carry valid SSH signatures, with rmo.yaml and
    an allowed signers file naming every signer."""
    import yaml
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from rmo_cli.charter.fingerprint import signed_payload

    key = Ed25519PrivateKey.generate()
    raw_public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    public_blob = _string(b"ssh-ed25519") + _string(raw_public)
    public_line = "ssh-ed25519 " + base64.b64encode(public_blob).decode()
    emails: set[str] = set()
    paths = generate_charters(n, folder / "charters")
    for path in paths:
        text = path.read_text(encoding="utf-8")
        header, _, body = text.partition("\n")
        data = yaml.safe_load(body)
        people = {
            person["id"]: person.get("email")
            for party in data.get("parties", [])
            for person in party.get("people", []) or []
        }
        for signoff in data.get("signoffs", []) or []:
            email = people.get(signoff["person"])
            if email:
                emails.add(email)
                # The whole sign-off record is signed (SPEC §6), as `rmo sign --key` does.
                payload = signed_payload(data.get("id"), signoff, email)
                signoff["signature"] = _sshsig(key, public_blob, payload)
        path.write_text(
            header + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100),
            encoding="utf-8",
        )
    (folder / "allowed_signers").write_text(
        "".join(f'{email} namespaces="rmo-charter" {public_line}\n' for email in sorted(emails))
    )
    (folder / "rmo.yaml").write_text("charters:\n  - charters/*.yaml\nsigners: allowed_signers\n")


# --- the parts ------------------------------------------------------------------------------


_FLOORS: dict[int, tuple] = {}  # charters → floor (wall, RSS): generated alike for one n


def floor_time(folder: Path, work: Path, repeat: int, n: int) -> tuple:
    if n not in _FLOORS:
        command = [sys.executable, str(work / "floor.py"), str(SCHEMA), str(folder)]
        _FLOORS[n] = best(command, repeat)
    return _FLOORS[n]


def _repeat_for(n: int, repeat: int, big_repeat: int) -> int:
    """Runs of a measurement over n charters: fewer for the largest (minutes each)."""
    return big_repeat if n >= 50_000 else repeat


def charters_in(data: Path | None, work: Path, n: int) -> Path:
    """A folder of n generated charters: made in work, or kept in (and reused from) data."""
    if data is None:
        folder = work / f"c{n}"
        generate_charters(n, folder)
        return folder
    folder = data / f"c{n}"
    done = data / f"c{n}.complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        generate_charters(n, folder)
        done.touch()
    return folder


def part_validate(
    sizes: list[int],
    work: Path,
    repeat: int,
    env: dict,
    big: int = 1,
    data: Path | None = None,
    floor_up_to: int | None = None,
) -> None:
    print("## validate (cold, --no-cache) vs the floor")
    per_file: dict[int, float] = {}
    for n in sizes:
        folder = charters_in(data, work, n)
        runs = _repeat_for(n, repeat, big)
        cmd = [RMO, "validate", str(folder), "--no-cache", "-f", "json"]
        ours, rss = best(cmd, runs, env=env)
        per_file[n] = ours / n
        if floor_up_to is None or n <= floor_up_to:
            floor, floor_rss = floor_time(folder, work, runs, n)
            against = f"floor {floor:7.2f} s {floor_rss:6.0f} MiB"
            ratio = f"{ours / floor:.3f}x floor"
        else:
            against, ratio = "floor not measured", "-"
        print(
            f"{n:>6} charters: {against} | rmo validate "
            f"{ours:7.2f} s {rss:6.0f} MiB | {ratio} | "
            f"{ours / n * 1000:.3f} ms a file",
            flush=True,
        )
        if data is None:
            shutil.rmtree(folder, ignore_errors=True)


def part_warm(n: int, work: Path, repeat: int, env: dict) -> None:
    print(f"## warm validate/check of {n} unchanged charters vs the floor")
    folder = work / f"w{n}"
    generate_charters(n, folder)
    floor, _ = floor_time(folder, work, repeat, n)
    for command in ("validate", "check"):
        cmd = [RMO, command, str(folder), "-f", "json", "--as-of", "2026-11-23"]
        cold, _ = best(cmd, 1, env=env)  # fills the cache
        warm, rss = best(cmd, repeat, env=env)
        print(
            f"rmo {command}: cold {cold:.2f} s, warm {warm:.2f} s {rss:.0f} MiB | floor "
            f"{floor:.2f} s | warm {warm / floor:.3f}x floor",
            flush=True,
        )
    shutil.rmtree(folder, ignore_errors=True)


def part_verify(n: int, work: Path, repeat: int, env: dict) -> None:
    print(f"## verify of {n} SSH-signed charters vs validate of the same")
    folder = work / f"s{n}"
    signed_charters(n, folder)
    verify_cmd = [RMO, "verify", "charters", "--no-history", "--no-cache", "-f", "json"]
    done = subprocess.run(
        verify_cmd,
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
    )
    valid = done.stdout.count('"valid"')
    others = done.stdout.count('"state"') - valid
    verify, _ = best(verify_cmd, repeat, folder, env)
    validate_cmd = [RMO, "validate", "charters", "--no-cache", "-f", "json"]
    validate, _ = best(validate_cmd, repeat, folder, env)
    print(
        f"rmo verify {verify:.2f} s ({valid} valid signatures, {others} other states) | "
        f"rmo validate {validate:.2f} s | verify {verify / validate:.2f}x validate",
        flush=True,
    )
    shutil.rmtree(folder, ignore_errors=True)


def part_help(work: Path) -> None:
    print("## --help vs a hello-world Typer app")
    hello, _ = best([sys.executable, str(work / "hello.py"), "--help"], 10)
    ours, _ = best([RMO, "--help"], 10)
    print(
        f"typer hello-world {hello * 1000:.0f} ms | rmo {ours * 1000:.0f} ms ({ours / hello:.2f}x)"
    )


def part_log(versions: int, work: Path, repeat: int, env: dict) -> None:
    from bench_history import NEW_NAME, build_repo

    print("## rmo log vs git log --follow + hello-world start-up")
    hello, _ = best([sys.executable, str(work / "hello.py"), "--help"], 10)
    for label, commits, every in (("benchmark repository", 5000, 50), ("long", versions, 1)):
        repo = work / f"log-{label.split()[0]}"
        changed = build_repo(repo, commits, every)
        git, _ = best(["git", "log", "--follow", "--oneline", "--", NEW_NAME], repeat, repo)
        bar = git + hello
        cold, _ = best([RMO, "log", NEW_NAME, "--no-cache"], repeat, repo, env)
        subprocess.run([RMO, "log", NEW_NAME], cwd=repo, capture_output=True, env=env)
        warm, _ = best([RMO, "log", NEW_NAME], repeat, repo, env)
        serial_env = {**env, "RMO_JOBS": "1"}
        serial, _ = best([RMO, "log", NEW_NAME, "--no-cache"], repeat, repo, serial_env)
        print(
            f"{label} ({changed} versions): git {git * 1000:.0f} ms + hello "
            f"{hello * 1000:.0f} ms = {bar * 1000:.0f} ms | warm {warm * 1000:.0f} ms "
            f"({warm / bar:.2f}x) | cold {cold * 1000:.0f} ms ({cold / bar:.2f}x) | cold in "
            f"one process {serial * 1000:.0f} ms",
            flush=True,
        )
        shutil.rmtree(repo, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--warm", type=int, default=10000)
    parser.add_argument("--signed", type=int, default=1000)
    parser.add_argument("--log-versions", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--big-repeat", type=int, default=1, help="runs at 50,000 charters and more (minutes each)"
    )
    parser.add_argument(
        "--only", nargs="+", choices=["validate", "warm", "verify", "help", "log"], default=None
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="keep the generated charters of validate in this folder, and reuse them next time",
    )
    parser.add_argument(
        "--floor-up-to",
        type=int,
        default=None,
        help="measure the floor only up to this many charters (it takes 400 s at 50,000)",
    )
    args = parser.parse_args()
    parts = set(args.only or ["validate", "warm", "verify", "help", "log"])
    work = Path(tempfile.mkdtemp(prefix="rmo-speed-"))
    env = {**os.environ, "RMO_CACHE_DIR": str(work / "cache")}
    try:
        (work / "floor.py").write_text(FLOOR)
        (work / "hello.py").write_text(HELLO)
        print(f"# {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        if "validate" in parts:
            part_validate(
                args.sizes, work, args.repeat, env, args.big_repeat, args.data, args.floor_up_to
            )
        if "warm" in parts:
            part_warm(args.warm, work, args.repeat, env)
        if "verify" in parts:
            part_verify(args.signed, work, args.repeat, env)
        if "help" in parts:
            part_help(work)
        if "log" in parts:
            part_log(args.log_versions, work, args.repeat, env)
        print(f"# load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
