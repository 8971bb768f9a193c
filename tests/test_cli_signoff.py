"""`rmo sign` and `rmo verify` through the real CLI, on real files."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, SAMPLES, charter, write_charter

RMO = Path(sys.executable).with_name("rmo")

COMMENTED = """\
# yaml-language-server: $schema=../schemas/charter.schema.json
# A charter as people write it: comments, flow lists, quoting, blank lines.
apiVersion: rmo/v1
kind: RelationshipCharter
id: acme-globex
title: 'ACME–Globex Relationship Charter'
version: "1.0.0"
status: active

parties:
  - id: acme
    name: ACME Public Works Agency   # the lead
    type: public-sector
    people:
      - {id: jdoe, name: Jane Doe, title: Director, email: jane@acme.example, ser: true}
  - id: globex
    name: "Globex Facilities Ltd"
    type: private
    people:
      - id: rsmith
        name: Raj Smith
        title: CEO
        email: raj@globex.example
        ser: true

purpose: |
  Keep the public buildings running.

objectives:
  - id: obj-1
    statement: Halve unplanned outages.
    owner: jdoe
governance:
  model: quasi-hierarchy
  lead_party: acme
  decision_rule: consensus
term:
  effective: 2025-02-01
  expires: 2028-01-31
review:
  cadence: P6M  # twice a year
  last_reviewed: 2026-08-01
"""


class IsoLoader(yaml.SafeLoader):
    """PyYAML without the timestamp resolver: dates stay the ISO strings they spell."""


IsoLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in value if tag != "tag:yaml.org,2002:timestamp"]
    for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RMO_TODAY", "2026-11-23")
    # No rmo.yaml of the project (or elsewhere) may leak into these tests.
    monkeypatch.chdir(tmp_path)


def canonical_fingerprint(path: Path) -> str:
    """SPEC §6 recomputed with PyYAML, json and hashlib only (no rmo code)."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=IsoLoader)
    for key in ("signoffs", "status", "lifecycle_stage"):
        data.pop(key, None)
    for key in ("last_reviewed", "next_due", "log"):
        data["review"].pop(key, None)
    for kpi in data.get("kpis") or []:
        kpi.pop("measurements", None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def signoffs(path: Path) -> list[dict[str, Any]]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=IsoLoader).get("signoffs") or []


def stderr(result: Any) -> str:
    """stderr with any frame drawn around it removed and whitespace joined."""
    return " ".join(re.sub("[\u2500-\u257f]", " ", result.stderr).split())


def added_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines of a diff between two texts."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_sign_stores_the_spec_fingerprint(cli: Any, tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    result = cli("sign", path, "--person", "jdoe")
    assert result.exit_code == 0, result.stderr
    [entry] = signoffs(path)
    assert entry["fingerprint"] == canonical_fingerprint(path)
    assert entry["fingerprint"] in result.stdout
    assert entry == {
        "person": "jdoe",
        "party": "acme",
        "capacity": "Director",
        "date": "2026-11-23",
        "version": "1.0.0",
        "fingerprint": entry["fingerprint"],
    }


def test_sign_adds_only_its_lines_keeping_comments_order_quoting(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme-globex.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    result = cli(
        "sign", path, "--person", "rsmith", "--capacity", "Chief Executive", "--date", "2026-11-20"
    )
    assert result.exit_code == 0, result.stderr
    after = path.read_text(encoding="utf-8")
    assert after.startswith(COMMENTED)
    removed, added = added_lines(COMMENTED, after)
    assert removed == []
    assert added == [
        "signoffs:",
        "  - person: rsmith",
        "    party: globex",
        "    capacity: Chief Executive",
        "    date: 2026-11-20",
        '    version: "1.0.0"',
        f"    fingerprint: {canonical_fingerprint(path)}",
    ]


def test_sign_keeps_lines_the_round_trip_editor_would_normalise(cli: Any, tmp_path: Path) -> None:
    # Extra spaces after a colon and a 4-space mapping beside 2-space ones stay byte for
    # byte; only the new sign-off's lines are added.
    sample = (SAMPLES / "meridian-group-shared-services.yaml").read_text(encoding="utf-8")
    odd = sample.replace("status: active", "status:   active", 1)
    term = "term:\n  effective: 2023-04-01\n  expires: 2029-03-31\n  notice_period: P1Y\n"
    assert term in odd
    odd = odd.replace(term, term.replace("\n  ", "\n    "))
    path = tmp_path / "meridian-group-shared-services.yaml"
    path.write_text(odd, encoding="utf-8")
    assert cli("validate", path).exit_code == 0
    result = cli("sign", path, "--person", "ogrant", "--date", "2026-11-20")
    assert result.exit_code == 0, result.stderr
    removed, added = added_lines(odd, path.read_text(encoding="utf-8"))
    assert removed == []
    assert added[0] == "  - person: ogrant"
    assert all(line.startswith("    ") for line in added[1:])
    assert cli("verify", path, "--format", "json").exit_code in (0, 1)


def test_second_signer_appends_after_the_first(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme-globex.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    assert cli("sign", path, "--person", "jdoe").exit_code == 0
    first = path.read_text(encoding="utf-8")
    assert cli("sign", path, "--person", "rsmith").exit_code == 0
    removed, added = added_lines(first, path.read_text(encoding="utf-8"))
    assert removed == [] and added[0] == "  - person: rsmith" and len(added) == 6
    assert [s["person"] for s in signoffs(path)] == ["jdoe", "rsmith"]


def test_new_signoff_replaces_the_persons_stale_one(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme-globex.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    assert cli("sign", path, "--person", "jdoe", "--date", "2026-11-01").exit_code == 0
    assert cli("sign", path, "--person", "rsmith", "--date", "2026-11-02").exit_code == 0
    text = path.read_text(encoding="utf-8").replace("Halve", "Cut")
    path.write_text(text, encoding="utf-8")
    result = cli("sign", path, "--person", "jdoe")
    assert result.exit_code == 0, result.stderr
    assert "replaces jdoe's sign-off of 2026-11-01" in result.stdout
    entries = signoffs(path)
    assert [(s["person"], s["date"]) for s in entries] == [
        ("jdoe", "2026-11-23"),
        ("rsmith", "2026-11-02"),
    ]
    assert entries[0]["fingerprint"] == canonical_fingerprint(path) != entries[1]["fingerprint"]


def test_sign_turns_an_empty_flow_list_into_a_block_list(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme-globex.yaml"
    path.write_text(COMMENTED + "signoffs: []\n", encoding="utf-8")
    assert cli("sign", path, "--person", "jdoe").exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert "signoffs:\n  - person: jdoe\n" in text
    assert len(signoffs(path)) == 1


def test_sign_keeps_crlf_and_bom(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme-globex.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + COMMENTED.replace("\n", "\r\n").encode("utf-8"))
    assert cli("sign", path, "--person", "jdoe").exit_code == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\n" not in raw.replace(b"\r\n", b"")
    assert b"  - person: jdoe\r\n" in raw


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--person", "mallory"], 2, "not a representative"),
        (["--person", "jdoe", "--date", "2026-11-24"], 2, "in the future"),
        (["--person", "jdoe", "--date", "23/11/2026"], 2, "not a date"),
        (["--person", "jdoe", "--key", ""], 2, "--key: empty"),
        (["--person", "jdoe", "--key", "  "], 2, "--key: empty"),
        (["--person", "jdoe", "--capacity", ""], 2, "--capacity: the capacity is empty"),
        (["--person", "jdoe", "--capacity", "a\tb\x01"], 2, "control character U+0009"),
    ],
)
def test_refusals_leave_the_file_byte_identical(
    cli: Any, tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    path = tmp_path / "acme-globex.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    before = path.read_bytes()
    result = cli("sign", path, *args)
    assert result.exit_code == code
    assert message in stderr(result)
    assert "Traceback" not in result.stderr + result.stdout
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_duplicate_signoff_is_refused_byte_identical(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme-globex.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    assert cli("sign", path, "--person", "jdoe", "--date", "2026-11-01").exit_code == 0
    before = path.read_bytes()
    result = cli("sign", path, "--person", "jdoe")
    assert result.exit_code == 2
    assert "already signed this content on 2026-11-01" in stderr(result)
    assert path.read_bytes() == before


def test_invalid_charter_is_refused_byte_identical(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme-globex.yaml"
    path.write_text(COMMENTED.replace("owner: jdoe", "owner: nobody"), encoding="utf-8")
    before = path.read_bytes()
    result = cli("sign", path, "--person", "jdoe")
    assert result.exit_code == 1
    assert "is not valid" in stderr(result) and "nobody" in stderr(result)
    assert path.read_bytes() == before


def test_unreadable_or_missing_charter_is_refused(cli: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    before = broken.read_bytes()
    result = cli("sign", broken, "--person", "jdoe")
    assert result.exit_code == 1 and "cannot be read" in stderr(result)
    assert broken.read_bytes() == before
    missing = cli("sign", tmp_path / "nope.yaml", "--person", "jdoe")
    assert missing.exit_code == 2 and "no such file" in stderr(missing)


def test_verify_text_reports_each_signoff_and_exits_1_when_stale(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "acme-globex.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    cli("sign", path, "--person", "jdoe")
    cli("sign", path, "--person", "rsmith")
    ok = cli("verify", path)
    assert ok.exit_code == 0, ok.stdout + ok.stderr
    assert "valid jdoe (acme)" in ok.stdout and "valid rsmith (globex)" in ok.stdout
    assert ok.stdout.rstrip().endswith("1 charter, 2 sign-offs: 2 valid")
    path.write_text(path.read_text(encoding="utf-8").replace("Halve", "Cut"), encoding="utf-8")
    stale = cli("verify", path)
    assert stale.exit_code == 1
    assert "stale jdoe (acme)" in stale.stdout
    assert "warning[signoff-missing]" in stale.stdout
    assert stale.stdout.rstrip().endswith("2 stale")


def test_verify_json_is_exactly_the_spec_shape(cli: Any, tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    cli("sign", path, "--person", "jdoe")
    result = cli("verify", path, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "signoffs": [
            {
                "file": str(path),
                "person": "jdoe",
                "party": "acme",
                "state": "valid",
                "signed": False,
            }
        ]
    }
    assert "globex" in result.stderr  # the missing party is a warning on stderr


def test_verify_without_signoffs_and_unreadable_files(cli: Any, tmp_path: Path) -> None:
    write_charter(tmp_path / "charters" / "acme-globex.yaml", status="draft")
    result = cli("verify")  # ./charters by default
    assert result.exit_code == 0
    assert result.stdout.strip() == "1 charter, 0 sign-offs"
    (tmp_path / "charters" / "broken.yaml").write_text("a: [\n", encoding="utf-8")
    broken = cli("verify", "--format", "json")
    assert broken.exit_code == 1
    assert "broken.yaml" in broken.stderr
    assert json.loads(broken.stdout) == {"signoffs": []}


def test_verify_bad_format_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    assert cli("verify", path, "--format", "xml").exit_code == 2


def test_help_has_summary_and_example(cli: Any) -> None:
    for command in ("sign", "verify"):
        result = cli(command, "--help")
        assert result.exit_code == 0
        assert "Example: rmo " + command in result.stdout


@pytest.mark.slow
def test_installed_rmo_verifies_the_samples_from_anywhere(tmp_path: Path) -> None:
    if not RMO.exists():
        pytest.skip("rmo is not installed in this environment")
    env = {k: v for k, v in os.environ.items() if k != "RMO_TODAY"}
    for cwd in (ROOT, tmp_path):
        target = "sample_charters" if cwd == ROOT else str(SAMPLES)
        done = subprocess.run(
            [str(RMO), "verify", target], cwd=cwd, capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "valid rfarrell (heartwise)" in done.stdout
        assert "signature verified" in done.stdout
        assert "stale" not in done.stdout and "unknown-signer" not in done.stdout


def test_record_review_keeps_signoffs_valid(cli: Any, tmp_path: Path) -> None:
    from rmo_cli.cli.main import app

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    if "record-review" not in names:
        pytest.skip("record-review is not implemented yet")
    path = tmp_path / "acme-globex.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    assert cli("sign", path, "--person", "jdoe").exit_code == 0
    assert cli("sign", path, "--person", "rsmith").exit_code == 0
    reviewed = cli(
        "record-review",
        path,
        "--date",
        "2026-11-20",
        "--reviewer",
        "jdoe",
        "--outcome",
        "affirmed",
    )
    assert reviewed.exit_code == 0, reviewed.stderr
    assert "2026-11-20" in path.read_text(encoding="utf-8")
    result = cli("verify", path)
    assert result.exit_code == 0, result.stdout
    assert "2 valid" in result.stdout


def test_sample_fingerprints_match_the_recipe() -> None:
    for sample in sorted(SAMPLES.glob("*.yaml")):
        for entry in signoffs(sample):
            assert entry["fingerprint"] == canonical_fingerprint(sample), sample.name


def test_charter_helper_is_valid_for_signing(cli: Any, tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml", charter(status="proposed"))
    assert cli("sign", path, "--person", "rsmith").exit_code == 0


def test_stale_signoff_says_what_changed_since_the_signed_commit(
    cli: Any, git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import git, git_commit

    monkeypatch.chdir(git_repo)
    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    assert cli("sign", "charters/acme-globex.yaml", "--person", "jdoe").exit_code == 0
    signed = git_commit(git_repo, "sign-off by jdoe")
    edit = path.read_text(encoding="utf-8").replace("Halve", "Cut")
    path.write_text(edit, encoding="utf-8")
    git_commit(git_repo, "reword the objective")
    git(git_repo, "mv", "charters/acme-globex.yaml", "charters/renamed.yaml")
    git_commit(git_repo, "rename")
    moved = git_repo / "charters" / "renamed.yaml"
    moved.write_text(moved.read_text(encoding="utf-8").replace("P6M", "P3M"), encoding="utf-8")
    result = cli("verify", "charters/renamed.yaml")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "stale jdoe (acme)" in line)
    assert f"changed since the signed revision {signed[:7]}" in lines[at + 1]
    details = "\n".join(lines[at + 2 : at + 4])
    assert "Halve unplanned outages." in details and "Cut unplanned outages." in details
    assert "P6M" in details and "P3M" in details
    quiet = cli("verify", "charters/renamed.yaml", "--no-history")
    assert "signed revision" not in quiet.stdout


def test_stale_signoff_outside_git_history_is_noted(
    cli: Any, git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import git_commit

    monkeypatch.chdir(git_repo)
    path = write_charter(git_repo / "acme-globex.yaml")
    assert cli("sign", path, "--person", "jdoe").exit_code == 0
    path.write_text(path.read_text(encoding="utf-8").replace("Halve", "Cut"), encoding="utf-8")
    git_commit(git_repo, "signed content never committed")
    result = cli("verify", path)
    assert result.exit_code == 1
    assert "the signed revision is not in acme-globex.yaml's git history" in result.stdout


@pytest.mark.parametrize("parties", ["3", "[{id: a, people: 3}, {id: b}]"])
def test_wrong_types_never_crash_verify_check_diff(cli, tmp_path: Path, parties: str) -> None:
    from conftest import write_charter as _write

    path = _write(tmp_path / "acme-globex.yaml")
    text = path.read_text(encoding="utf-8")
    start = text.index("parties:")
    end = text.index("purpose:")
    path.write_text(text[:start] + f"parties: {parties}\n" + text[end:], encoding="utf-8")
    for args in (("verify", path), ("check", path), ("textconv", path), ("status", path)):
        result = cli(*args)
        assert result.exit_code in (0, 1), (args, result.stderr)
        assert "internal error" not in result.stderr


def test_verify_shows_wrong_typed_sign_off_fields_empty_not_as_python(
    cli: Any, tmp_path: Path
) -> None:
    data = charter()
    data["signoffs"] = [{"person": ["p"], "party": {"a": 1}, "fingerprint": "sha256:0"}]
    path = write_charter(tmp_path / "acme-globex.yaml", data)
    result = cli("verify", path, "--format", "json")
    [check] = json.loads(result.stdout)["signoffs"]
    assert (check["person"], check["party"], check["state"]) == ("", "", "stale")
    text = cli("verify", path).stdout
    assert "['p']" not in text and "{'a': 1}" not in text


def test_a_comment_after_the_sign_offs_stays_before_the_next_key_once(
    cli: Any, tmp_path: Path
) -> None:
    # The sign-offs moved before `term:`, with a comment that introduces term.
    sample = (SAMPLES / "meridian-group-shared-services.yaml").read_text(encoding="utf-8")
    body, signoffs = sample.split("\nsignoffs:\n", 1)
    marker = "# ---- the term of the agreement ----\n"
    block = "signoffs:\n" + signoffs.rstrip("\n") + "\n\n" + marker
    text = body.replace("\nterm:\n", "\n" + block + "term:\n", 1) + "\n"
    path = tmp_path / "meridian-group-shared-services.yaml"
    path.write_text(text, encoding="utf-8")
    assert cli("validate", path).exit_code == 0
    result = cli("sign", path, "--person", "ogrant", "--date", "2026-11-20")
    assert result.exit_code == 0, result.stderr
    after = path.read_text(encoding="utf-8")
    assert after.count(marker) == 1
    assert after.index("- person: ogrant") < after.index(marker) < after.index("\nterm:")
    removed, _ = added_lines(text, after)
    assert removed == []


LAYOUTS = Path(__file__).resolve().parent / "data" / "layouts"


@pytest.mark.parametrize(
    "layout",
    [
        "doc-markers",  # `---` / `...` and no sign-offs yet: added before the `...`
        "flow-signoffs",  # a flow list whose `]` is at column 0
        "quoted-key",  # "signoffs": []
        "signature-then-comment",  # last sign-off ends in a literal, then a comment
        "emptyflow-eol-comment",  # signoffs: []  # none yet, then a comment at column 0
        "alias-into-signoffs",  # a sign-off's capacity is an alias of an anchor outside it
        "four-space-empty-signoffs",  # the style comes from the rest of the file
    ],
)
def test_sign_changes_only_the_signoffs_block_of_odd_layouts(
    cli: Any, tmp_path: Path, layout: str
) -> None:
    from collections import Counter

    path = tmp_path / "charter.yaml"
    shutil.copy(LAYOUTS / f"{layout}.yaml", path)
    before = path.read_text(encoding="utf-8")
    result = cli("sign", path, "--person", "ann", "--date", "2026-11-20")
    assert result.exit_code == 0, result.stderr
    after = path.read_text(encoding="utf-8")

    def comments(text: str) -> Counter[str]:
        return Counter(ln.strip() for ln in text.splitlines() if ln.strip().startswith("#"))

    assert comments(after) == comments(before)  # none duplicated, dropped or invented
    old, new = before.splitlines(), after.splitlines()
    start = next(i for i, ln in enumerate(new) if "signoffs" in ln.split(":")[0])
    assert new[:start] == old[:start]  # everything above the block, unchanged
    data = yaml.safe_load(after)
    assert [s["person"] for s in data["signoffs"]][-1] == "ann"
    if layout == "four-space-empty-signoffs":  # the editor sees only the block: same style
        assert "\n    -   person: ann\n        party: a\n" in after
    if layout == "alias-into-signoffs":  # the block alone cannot be read: the whole file is
        assert data["signoffs"][0]["capacity"] == "Director"


def test_record_review_refuses_a_layout_its_editor_would_garble(cli: Any, tmp_path: Path) -> None:
    # A comment after the last log entry would have become part of the new notes.
    path = tmp_path / "charter.yaml"
    shutil.copy(LAYOUTS / "comment-after-last-log-entry.yaml", path)
    before = path.read_bytes()
    result = cli(
        "record-review", path, "--reviewer", "bob", "--outcome", "renewed",
        "--date", "2026-09-24", "--notes", "First line.\nSecond line.",
    )  # fmt: skip
    assert result.exit_code == 1, result.stderr  # a refusal, not a bug report (exit 3)
    assert "Add the review.log entry by hand" in result.stderr
    assert path.read_bytes() == before


def test_verify_in_worker_processes_gives_the_one_process_report(cli: Any, tmp_path: Path) -> None:
    # The sample repository (allowed signers, register, require) with a broken file and a
    # sign-off whose record was edited after signing: every state, in files' order.
    shutil.copytree(SAMPLES, tmp_path / "sample_charters")
    for name in ("rmo.yaml", "organisations.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    folder = tmp_path / "sample_charters"
    (folder / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    tampered = folder / "harbourside-globex-facilities.yaml"
    text = tampered.read_text(encoding="utf-8")
    tampered.write_text(
        text.replace("capacity: Senior Executive Responsible", "capacity: Intern", 1),
        encoding="utf-8",
    )
    args = ("verify", folder, "--no-cache", "--no-history", "-f", "json")
    serial = cli(*args, env={"RMO_JOBS": "1"})
    parallel = cli(*args, env={"RMO_JOBS": "2"})
    assert serial.exit_code == parallel.exit_code == 1
    assert serial.stdout == parallel.stdout
    assert serial.stderr == parallel.stderr
    states = [c["state"] for c in json.loads(parallel.stdout)["signoffs"]]
    assert "valid" in states and "bad-signature" in states
    assert "broken.yaml" in parallel.stderr
