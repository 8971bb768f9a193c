"""Generate N realistic, valid charters for benchmarks: `python benchmarks/generate.py N OUTDIR`.

Each charter is one of the bundled samples with new ids, names and dates, so sizes and shapes
match real charters (4–11 KB, every section). Sign-off fingerprints are recomputed, so the
charters verify too. Deterministic for a given N.
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rmo_cli.charter.loading import read_charter  # noqa: E402
from rmo_cli.ops.signoffs import fingerprint  # noqa: E402

_WORDS = (
    "northern harbour river valley summit coastal metro union atlas beacon cedar delta "
    "ember falcon granite horizon iris juniper kestrel lumen maple nova orchid pioneer"
).split()


def _samples() -> list[dict]:
    docs = []
    for path in sorted((ROOT / "sample_charters").glob("*.yaml")):
        loaded = read_charter(path)
        if loaded.document is not None:
            docs.append(loaded.document.data)
    return docs


def generate_charters(n: int, outdir: Path | str, seed: int = 44001) -> list[Path]:
    """Write n charters into outdir (created if needed) and return their paths."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    samples = _samples()
    paths = []
    for i in range(n):
        data = copy.deepcopy(samples[i % len(samples)])
        a, b = rng.sample(_WORDS, 2)
        charter_id = f"{a}-{b}-{i:05d}"
        data["id"] = charter_id
        data["title"] = f"{a.title()}–{b.title()} Relationship Charter {i}"
        # Parties keep the sample's ids and names: one organisation, one id, in many charters
        # (as in a real portfolio; a changed name would be a party-id-conflict on each).
        data["purpose"] = data["purpose"] + f"\nRelationship number {i} of the portfolio.\n"
        for signoff in data.get("signoffs", []) or []:
            signoff.pop("signature", None)
        if data.get("signoffs"):
            current = fingerprint(data)
            for signoff in data["signoffs"]:
                signoff["fingerprint"] = current
        path = out / f"{charter_id}.yaml"
        text = "# yaml-language-server: $schema=../schemas/charter.schema.json\n" + yaml.safe_dump(
            data, sort_keys=False, allow_unicode=True, width=100
        )
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int)
    parser.add_argument("outdir", type=Path)
    args = parser.parse_args()
    generate_charters(args.n, args.outdir)
    print(f"wrote {args.n} charters to {args.outdir}")


if __name__ == "__main__":
    main()
