"""The fingerprint, sign-off states and sign-off findings (rmo_cli.ops.signoffs), on real files."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, charter, write_charter
from hypothesis import given, settings
from hypothesis import strategies as st

from rmo_cli.charter.fingerprint import fingerprint, fingerprint_payload
from rmo_cli.charter.loading import parse_charter, read_charter
from rmo_cli.cli.exits import exit_code_of
from rmo_cli.ops.signoffs import new_signoff, sign_charter, signers_for
from rmo_cli.rules.signoffs import RULES, SignoffCheck, verify_document, verify_findings
from rmo_cli.support.errors import RmoError

TODAY = dt.date(2026, 11, 23)


def independent_fingerprint(data: dict[str, Any]) -> str:
    """SPEC §6 written out again, without rmo's code."""
    content = copy.deepcopy(data)
    for key in ("signoffs", "status", "lifecycle_stage"):
        content.pop(key, None)
    for key in ("last_reviewed", "next_due", "log"):
        content.get("review", {}).pop(key, None)
    for kpi in content.get("kpis") or []:
        kpi.pop("measurements", None)
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def load(path: Path) -> Any:
    result = read_charter(path)
    assert result.document is not None, result.findings
    return result.document


def signed_charter(tmp_path: Path, *people: str) -> Path:
    path = write_charter(tmp_path / "acme-globex.yaml")
    for person in people:
        sign_charter(path, person, dt.date(2026, 11, 1), as_of=TODAY)
    return path


def states(path: Path) -> list[str]:
    return [c.state for c in verify_document(load(path), None)]


def test_fingerprint_matches_spec_recipe_on_every_sample() -> None:
    for sample in sorted(SAMPLES.glob("*.yaml")):
        data = load(sample).data
        assert fingerprint(data) == independent_fingerprint(data)


def test_fingerprint_ignores_signoffs_and_review_bookkeeping_only() -> None:
    data = charter()
    base = fingerprint(data)
    bookkeeping = copy.deepcopy(data)
    bookkeeping["signoffs"] = [{"person": "jdoe"}]
    bookkeeping["review"].update(last_reviewed="2026-10-01", next_due="2027-01-01", log=[{}])
    # Fingerprint v2: where the charter is in its life, and KPI measurements, are not content.
    bookkeeping.update(status="suspended", lifecycle_stage="exit-strategy")
    bookkeeping["kpis"] = [{"id": "k", "measurements": [{"date": "2026-10-31", "value": 1}]}]
    with_kpi = copy.deepcopy(data)
    with_kpi["kpis"] = [{"id": "k"}]
    assert fingerprint(bookkeeping) == fingerprint(with_kpi)
    bookkeeping.pop("kpis")
    assert fingerprint(bookkeeping) == base
    cadence = copy.deepcopy(data)
    cadence["review"]["cadence"] = "P3M"
    assert fingerprint(cadence) != base


def test_fingerprint_keeps_non_ascii_text_as_utf8() -> None:
    data = charter(title="Zürich–Kraków Charter")
    payload = fingerprint_payload(data)
    assert "Zürich–Kraków".encode() in payload and b"\\u" not in payload
    assert fingerprint(data) == independent_fingerprint(data)


def test_new_signoff_derives_party_capacity_version_fingerprint() -> None:
    data = charter()
    entry = new_signoff(data, "rsmith", dt.date(2026, 11, 2))
    assert entry == {
        "person": "rsmith",
        "party": "globex",
        "capacity": "CEO",
        "date": "2026-11-02",
        "version": "1.0.0",
        "fingerprint": independent_fingerprint(data),
    }
    assert new_signoff(data, "rsmith", TODAY, capacity="Board delegate")["capacity"] == (
        "Board delegate"
    )


def test_new_signoff_refuses_a_stranger() -> None:
    with pytest.raises(RmoError, match="not a representative") as raised:
        new_signoff(charter(), "mallory", TODAY)
    assert exit_code_of(raised.value) == 2
    assert "jdoe, rsmith" in raised.value.message


def test_unchanged_charter_signoffs_are_valid(tmp_path: Path) -> None:
    path = signed_charter(tmp_path, "jdoe", "rsmith")
    checks = verify_document(load(path), None)
    assert [(c.person, c.party, c.state, c.index) for c in checks] == [
        ("jdoe", "acme", "valid", 0),
        ("rsmith", "globex", "valid", 1),
    ]
    assert all(isinstance(c, SignoffCheck) and not c.failing for c in checks)


REFORMATTED = """\
# Same content, written by someone else: comments, other key order, flow lists, quoting.
kind: RelationshipCharter   # the kind
apiVersion: 'rmo/v1'
id: "acme-globex"
version: "1.0.0"
title: ACME–Globex Relationship Charter
status: active
purpose: >-
  Keep the public buildings running.
parties:
- {id: acme, name: ACME Public Works Agency, type: public-sector, people: [{id: jdoe,
    name: Jane Doe, title: Director, email: jane@acme.example, ser: true}]}
- id: globex
  type: private
  name: "Globex Facilities Ltd"
  people:
  - {name: Raj Smith, id: rsmith, title: CEO, email: raj@globex.example, ser: true}
objectives: [{id: obj-1, statement: Halve unplanned outages., owner: jdoe}]
governance: {model: quasi-hierarchy, decision_rule: consensus, lead_party: acme}
term:
  expires: 2028-01-31
  effective: '2025-02-01'
review:
  last_reviewed: 2026-08-01
  cadence: P6M
"""


def test_reformatting_keeps_signoffs_valid(tmp_path: Path) -> None:
    path = signed_charter(tmp_path, "jdoe", "rsmith")
    signoffs_yaml = path.read_text(encoding="utf-8").split("signoffs:")[1]
    path.write_text(REFORMATTED + "signoffs:" + signoffs_yaml, encoding="utf-8")
    assert states(path) == ["valid", "valid"]


def test_review_bookkeeping_keeps_signoffs_valid(tmp_path: Path) -> None:
    path = signed_charter(tmp_path, "jdoe")
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "  last_reviewed: '2026-08-01'\n",
        "  last_reviewed: '2026-11-01'\n  next_due: '2027-05-01'\n"
        "  log:\n  - date: '2026-11-01'\n    reviewers: [jdoe]\n    outcome: affirmed\n",
    )
    assert "next_due" in text
    path.write_text(text, encoding="utf-8")
    assert states(path) == ["valid"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Keep the public buildings running.", "Keep the public buildings running well."),
        ("version: 1.0.0", "version: 1.0.1"),
        ("name: Globex Facilities Ltd", "name: Globex Facilities Limited"),
        ("ser: true\npurpose", "ser: false\npurpose"),
        ("cadence: P6M", "cadence: P3M"),
        ("expires: '2028-01-31'", "expires: '2028-02-01'"),
    ],
)
def test_any_content_edit_makes_signoffs_stale(tmp_path: Path, old: str, new: str) -> None:
    path = signed_charter(tmp_path, "jdoe", "rsmith")
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert states(path) == ["stale", "stale"]


def test_changing_status_or_lifecycle_stage_keeps_signoffs_valid(tmp_path: Path) -> None:
    """Fingerprint v2 (SPEC §6): suspending an agreement does not undo its sign-offs."""
    path = signed_charter(tmp_path, "jdoe", "rsmith")
    text = path.read_text(encoding="utf-8").replace("status: active", "status: suspended", 1)
    path.write_text(text + "lifecycle_stage: exit-strategy\n", encoding="utf-8")
    assert states(path) == ["valid", "valid"]


def test_a_signoff_under_the_old_fingerprint_is_stale_and_says_why(tmp_path: Path) -> None:
    from rmo_cli.charter.fingerprint import legacy_fingerprint

    path = signed_charter(tmp_path, "jdoe")
    old = legacy_fingerprint(load(path).data)
    text = path.read_text(encoding="utf-8")
    current = fingerprint(load(path).data)
    path.write_text(text.replace(current, old), encoding="utf-8")
    [check] = verify_document(load(path), None)
    assert check.state == "stale" and "rmo 0.1" in check.detail


def test_adding_a_key_makes_signoffs_stale(tmp_path: Path) -> None:
    path = signed_charter(tmp_path, "jdoe")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("principles:\n- name: Open book\n  description: Costs are shared.\n")
    assert states(path) == ["stale"]


def test_findings_place_stale_signoffs_at_their_line(tmp_path: Path) -> None:
    path = signed_charter(tmp_path, "jdoe", "rsmith")
    path.write_text(path.read_text(encoding="utf-8").replace("Halve", "Cut"), encoding="utf-8")
    doc = load(path)
    findings = verify_findings(doc, None)
    stale = [f for f in findings if f.rule == "signoff-stale"]
    assert [f.pointer for f in stale] == ["/signoffs/0", "/signoffs/1"]
    lines = doc.text.splitlines()
    assert [lines[f.line - 1].strip() for f in stale] == ["- person: jdoe", "- person: rsmith"]
    assert all(f.severity == "error" and "jdoe" in stale[0].message for f in stale)


def test_active_charter_missing_a_party_is_a_warning_per_party(tmp_path: Path) -> None:
    path = signed_charter(tmp_path, "jdoe")
    findings = verify_findings(load(path), None)
    assert [(f.rule, f.severity, f.pointer) for f in findings] == [
        ("signoff-missing", "warning", "/parties/1")
    ]
    assert "globex" in findings[0].message


def test_stale_signoff_counts_as_missing(tmp_path: Path) -> None:
    path = signed_charter(tmp_path, "jdoe", "rsmith")
    path.write_text(path.read_text(encoding="utf-8").replace("Halve", "Cut"), encoding="utf-8")
    rules = sorted(f.rule for f in verify_findings(load(path), None))
    assert rules == ["signoff-missing", "signoff-missing", "signoff-stale", "signoff-stale"]


def test_only_active_charters_need_every_party(tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml", status="proposed")
    assert verify_findings(load(path), None) == []
    active = write_charter(tmp_path / "active" / "acme-globex.yaml")
    assert {f.pointer for f in verify_findings(load(active), None)} == {"/parties/0", "/parties/1"}


def test_every_rule_id_is_documented() -> None:
    assert set(RULES) == {
        "signoff-stale",
        "signoff-bad-signature",
        "signoff-unknown-signer",
        "signoff-unsigned",
        "signoff-missing",
        "amendment-pending",
    }


def test_status_and_measurements_are_not_content(tmp_path: Path) -> None:
    path = signed_charter(tmp_path, "jdoe", "rsmith")
    text = path.read_text(encoding="utf-8").replace("status: active", "status: suspended", 1)
    text += "lifecycle_stage: knowledge\n"
    path.write_text(text, encoding="utf-8")
    assert states(path) == ["valid", "valid"]


def test_verify_document_skips_malformed_entries() -> None:
    raw = json.dumps(charter(signoffs=["oops", {"person": "jdoe", "party": "acme"}])).encode()
    doc = parse_charter(raw, "x.yaml").document
    assert doc is not None
    checks = verify_document(doc, None)
    assert [(c.index, c.state) for c in checks] == [(1, "stale")]


def test_signers_come_from_the_nearest_rmo_yaml(tmp_path: Path, monkeypatch: Any) -> None:
    repo = tmp_path / "repo"
    (repo / "charters" / "deep").mkdir(parents=True)
    (repo / "rmo.yaml").write_text("signers: keys/allowed_signers\n", encoding="utf-8")
    path = write_charter(repo / "charters" / "deep" / "acme-globex.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert signers_for(path) == repo / "keys" / "allowed_signers"
    lone = write_charter(tmp_path / "lone" / "acme-globex.yaml")
    assert signers_for(lone) is None
    # The current directory's rmo.yaml never governs a charter outside its repository.
    (elsewhere / "rmo.yaml").write_text("signers: trusted\n", encoding="utf-8")
    assert signers_for(lone) is None


def _reorder(value: Any, rng: Any) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: _reorder(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [_reorder(v, rng) for v in value]
    return value


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), flow=st.booleans(), width=st.sampled_from([40, 80, 4096]))
def test_formatting_never_changes_the_fingerprint(seed: int, flow: bool, width: int) -> None:
    import random

    import yaml

    data = charter()
    text = yaml.safe_dump(
        _reorder(data, random.Random(seed)),
        sort_keys=False,
        default_flow_style=flow,
        width=width,
        allow_unicode=True,
    )
    doc = parse_charter(("# a comment\n" + text).encode(), "x.yaml").document
    assert doc is not None
    assert fingerprint(doc.data) == fingerprint(data)


@settings(max_examples=40, deadline=None)
@given(pick=st.integers(0, 10_000), suffix=st.text(min_size=1, max_size=3))
def test_any_leaf_change_changes_the_fingerprint(pick: int, suffix: str) -> None:
    data = charter()
    # Not content (SPEC §6): review bookkeeping, and where the charter is in its life.
    leaves = [
        p
        for p in _leaves(data)
        if p[:2] not in {("review", "last_reviewed")} and p[0] not in ("status", "lifecycle_stage")
    ]
    path = leaves[pick % len(leaves)]
    changed = copy.deepcopy(data)
    target = changed
    for key in path[:-1]:
        target = target[key]
    old = target[path[-1]]
    target[path[-1]] = (str(old) + suffix) if not isinstance(old, bool) else not old
    assert fingerprint(changed) != fingerprint(data)


def test_party_states_tolerate_wrong_types() -> None:
    from rmo_cli.charter.fingerprint import party_states

    assert party_states({"parties": 5, "signoffs": [{"party": ["x"]}]}) == {}
    assert party_states({"parties": [{"id": "a"}], "signoffs": "x"}) == {"a": ("unsigned", None)}


def test_fingerprint_leaves_the_data_alone() -> None:
    from rmo_cli.charter.fingerprint import fingerprint

    data = {"id": "x", "review": {"cadence": "P1M", "log": [{"date": "2026-01"}]}, "signoffs": []}
    before = repr(data)
    fingerprint(data)
    assert repr(data) == before
