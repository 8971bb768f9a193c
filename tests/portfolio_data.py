"""A small portfolio of charters sharing parties, for the portfolio tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from conftest import charter, write_charter

from rmo_cli.charter.fingerprint import fingerprint

AS_OF = "2026-11-23"


def _party(pid: str, name: str, person: str) -> dict[str, Any]:
    return {
        "id": pid,
        "name": name,
        "type": "private",
        "people": [{"id": person, "name": person.title(), "email": f"{person}@{pid}.example"}],
    }


ACME = _party("acme", "ACME Public Works Agency", "jdoe")
GLOBEX = _party("globex", "Globex Facilities Ltd", "rsmith")
INITECH = _party("initech", "Initech Systems", "pgibbons")
HOOLI = _party("hooli", "Hooli Logistics", "gbelson")


def _signoff(data: dict[str, Any], person: str, party: str, fp: str | None = None) -> dict:
    return {
        "person": person,
        "party": party,
        "capacity": "Director",
        "date": "2026-01-10",
        "version": data["version"],
        "fingerprint": fp or fingerprint(data),
    }


def portfolio_charters() -> dict[str, dict[str, Any]]:
    """Four charters: acme and globex and initech each appear in two or more of them."""
    # ok review, both parties signed, quasi-hierarchy led by acme
    a = charter(id="acme-globex", title="ACME–Globex Facilities")
    a["parties"] = [copy.deepcopy(ACME), copy.deepcopy(GLOBEX)]
    a["signoffs"] = [_signoff(a, "jdoe", "acme"), _signoff(a, "rsmith", "globex")]

    # overdue review; initech's sign-off is stale, acme unsigned
    b = charter(id="acme-initech", title="ACME–Initech IT Services", status="active")
    b["parties"] = [copy.deepcopy(ACME), copy.deepcopy(INITECH)]
    b["objectives"] = [{"id": "obj-1", "statement": "Keep the lights on.", "owner": "jdoe"}]
    b["governance"] = {"model": "network", "decision_rule": "consensus"}
    b["term"] = {"effective": "2024-01-01"}
    b["review"] = {"cadence": "P6M", "last_reviewed": "2025-01-01"}
    b["signoffs"] = [_signoff(b, "pgibbons", "initech", "sha256:" + "0" * 64)]

    # three parties, market, draft (not scheduled), expiring within the window
    c = charter(id="globex-initech-hooli", title="Logistics Framework", status="draft")
    c["parties"] = [copy.deepcopy(GLOBEX), copy.deepcopy(INITECH), copy.deepcopy(HOOLI)]
    c["objectives"] = [{"id": "obj-1", "statement": "Deliver.", "owner": "rsmith"}]
    c["governance"] = {"model": "market", "decision_rule": "consensus"}
    c["term"] = {"effective": "2024-01-01", "expires": "2026-12-10"}

    # hierarchy led by hooli, review due soon (next_due set in the file)
    d = charter(id="hooli-acme", title="Hooli Group Services", status="active")
    d["parties"] = [copy.deepcopy(HOOLI), copy.deepcopy(ACME)]
    d["objectives"] = [{"id": "obj-1", "statement": "Share services.", "owner": "gbelson"}]
    d["governance"] = {"model": "hierarchy", "lead_party": "hooli", "decision_rule": "lead-party"}
    d["review"] = {"cadence": "annual", "next_due": "2026-12-01"}
    return {x["id"]: x for x in (a, b, c, d)}


def write_portfolio(folder: Path) -> dict[str, Path]:
    """Write the portfolio as charters/<id>.yaml under folder; returns id → path."""
    return {
        cid: write_charter(folder / "charters" / f"{cid}.yaml", data)
        for cid, data in portfolio_charters().items()
    }
