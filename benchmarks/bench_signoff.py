"""Sign-off costs: the fingerprint, an SSH signature check, `rmo verify` and `rmo sign`.

Measures, on this machine:
- `fingerprint(data)` per charter (canonical JSON + SHA-256), in-process;
- one SSH signature check of a sample sign-off's signed payload (in-process SSHSIG),
  in-process;
- `rmo verify DIR --no-history` over N generated charters (start-up included);
- `rmo sign` of a sample charter (validation, round-trip edit, atomic write, re-check);
- `rmo sign --key` of a sample charter in a copy of this project's sample repository
  (rmo.yaml with `signers: {require: true}` and the organisation register): the signature,
  the register's email, and the check of the new signature against the allowed signers
  (issue 15: under 0.5 s).

Usage: python benchmarks/bench_signoff.py [--charters 500] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
SAMPLES = ROOT / "sample_charters"
RMO = Path(sys.executable).parent / "rmo"


def _median(runs: int, action) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charters", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from generate import generate_charters

    from rmo_cli.adapters.ssh import check_signature
    from rmo_cli.charter.fingerprint import fingerprint
    from rmo_cli.charter.loading import read_charter

    sample = SAMPLES / "riverside-cardiac-research-network.yaml"
    doc = read_charter(sample).document
    assert doc is not None
    per = _median(args.runs, lambda: [fingerprint(doc.data) for _ in range(200)]) / 200
    print(f"fingerprint of an 8 KB charter: {per * 1000:.3f} ms")

    if shutil.which("ssh-keygen"):
        from rmo_cli.charter.fingerprint import signed_payload
        from rmo_cli.support.dates import parse_iso_date

        entry = doc.data["signoffs"][0]
        signers = SAMPLES / "allowed_signers"
        email = "rosa.farrell@heartwise.example"
        payload = signed_payload(doc.data["id"], entry, email)
        day = parse_iso_date(entry["date"])

        def check() -> None:
            assert (
                check_signature(payload, entry["signature"], email, signers, day).state == "valid"
            )

        print(f"one SSH signature check: {_median(args.runs * 4, check) * 1000:.1f} ms")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "charters"
        generate_charters(args.charters, folder)
        seconds = _median(
            args.runs,
            lambda: subprocess.run(
                [str(RMO), "verify", str(folder), "--no-history", "--format", "json"],
                capture_output=True,
                check=False,
            ),
        )
        print(
            f"rmo verify over {args.charters} charters: {seconds:.2f} s "
            f"({seconds / args.charters * 1000:.2f} ms a charter, start-up included)"
        )
        target = Path(tmp) / "sign.yaml"
        original = (SAMPLES / "harbourside-globex-facilities.yaml").read_bytes()
        original = original.replace(b"Relationship Charter\n", b"(bench)\n", 1)

        def sign() -> None:
            target.write_bytes(original)
            subprocess.run(
                [str(RMO), "sign", str(target), "--person", "jdoe", "--date", "2026-11-01"],
                capture_output=True,
                check=True,
            )

        print(f"rmo sign (one charter, start-up included): {_median(args.runs, sign):.2f} s")
        if shutil.which("ssh-keygen"):
            _sign_with_key(Path(tmp) / "repo", args.runs)


def _sign_with_key(repo: Path, runs: int) -> None:
    """`rmo sign --key` in a copy of the sample repository (register, require: true)."""
    shutil.copytree(SAMPLES, repo / "sample_charters")
    for name in ("rmo.yaml", "organisations.yaml"):
        shutil.copy(ROOT / name, repo / name)
    key = repo / "rosa"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", str(key)],
        check=True,
    )
    public = key.with_suffix(".pub").read_text().split()
    with (repo / "sample_charters" / "allowed_signers").open("a") as handle:
        handle.write(
            f'rosa.farrell@heartwise.example namespaces="rmo-charter" {public[0]} {public[1]}\n'
        )
    target = repo / "sample_charters" / "riverside-cardiac-research-network.yaml"
    # New content to approve (signing what was already signed is refused: nothing to do).
    original = target.read_bytes().replace(b"\ntitle: ", b"\ntitle: (bench) ", 1)
    command = [str(RMO), "sign", str(target), "--person", "rfarrell", "--key", str(key)]

    def sign() -> None:
        target.write_bytes(original)
        subprocess.run(command, capture_output=True, check=True, cwd=repo)

    times = []
    for _ in range(max(runs, 10)):
        start = time.perf_counter()
        sign()
        times.append(time.perf_counter() - start)
    verdict = subprocess.run(
        [str(RMO), "verify", str(target), "--no-cache"], capture_output=True, text=True, cwd=repo
    )
    assert verdict.returncode == 0, verdict.stdout + verdict.stderr
    print(
        f"rmo sign --key (register, require: true; start-up included), {len(times)} runs: "
        f"median {statistics.median(times):.3f} s, best {min(times):.3f} s, "
        f"worst {max(times):.3f} s"
    )


if __name__ == "__main__":
    main()
