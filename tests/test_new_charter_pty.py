"""`rmo new-charter` on a real terminal: the installed rmo driven through a pseudo-terminal."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
from pathlib import Path

import pytest

from rmo_cli.ops.repository import CharterFile
from rmo_cli.ops.validation import validate_files

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.slow  # each test starts the real rmo, which validates what it writes

# The rmo installed beside the Python running the tests (/work/venv locally, .venv in CI).
RMO = Path(sys.executable).parent / "rmo"
TODAY = "2026-03-01"


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn(cwd: Path, *args: str) -> pexpect.spawn:
    if not RMO.exists():
        pytest.skip(f"rmo is not installed at {RMO}")
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200", "RMO_TODAY": TODAY}
    child = pexpect.spawn(
        str(RMO),
        ["new-charter", *args],
        cwd=str(cwd),
        env=env,
        encoding="utf-8",
        timeout=15,
        dimensions=(50, 200),
        # As at a terminal: Ctrl-C interrupts, even when the tests run in a background job
        # (whose shell ignores SIGINT, and an ignored signal stays ignored across exec).
        preexec_fn=_default_sigint,
    )
    return child


def finish(child: pexpect.spawn) -> tuple[str, int]:
    child.expect(pexpect.EOF)
    output = child.before
    child.close()
    return output, child.exitstatus if child.exitstatus is not None else -child.signalstatus


def skip_people_and_purpose(child: pexpect.spawn, parties: int = 2) -> None:
    """Leave each party's representative and the purpose for later (empty answers)."""
    for _ in range(parties):
        child.expect("Representative of")
        child.sendline("")
    child.expect("Purpose")
    child.sendline("")


def assert_valid(path: Path) -> None:
    result = validate_files([CharterFile(path, str(path))], dt.date.fromisoformat(TODAY))
    # Only the scaffold's placeholder sentences, warnings in a draft (SPEC §8).
    assert {(f.rule, f.severity) for f in result.findings} <= {("placeholder-text", "warning")}


def test_prompts_check_each_answer_and_ask_again(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    child.expect("Title")
    child.sendline("Acme Globex Alliance")
    child.expect(r"Charter id \(acme-globex-alliance\)")
    child.sendline("../x")  # a wrong answer: refused with the reason, then asked again
    child.expect("'../x' is not a safe id")
    child.expect(r"Charter id \(acme-globex-alliance\)")
    child.sendline("")  # the default: the slug of the title
    child.expect("Party 1 name")
    child.sendline("ACME Public Works")
    child.expect(r"Id of ACME Public Works \(acme-public-works\)")
    child.sendline("acme")
    child.expect("Party 2 name")
    child.sendline("Globex Ltd")
    child.expect("Id of Globex Ltd")
    child.sendline("acme")  # taken by party 1
    child.expect("'acme' is already the id of another party")
    child.expect("Id of Globex Ltd")
    child.sendline("globex")
    child.expect(r"Party 3 name \(empty to finish\)")
    child.sendline("")
    # The choices are shown with what each model means.
    child.expect("quasi-hierarchy: legally independent, but a lead party sets the rules")
    child.expect("Governance model")
    child.sendline("feudal")
    child.expect("'feudal' is not a governance model")
    child.expect("Governance model")
    child.sendline("3")
    child.expect("Lead party")
    child.sendline("initech")
    child.expect("'initech' is not one of the parties")
    child.expect("Lead party")
    child.sendline("globex")
    child.expect(r"Review every \(P6M\)")
    child.sendline("fortnightly")
    child.expect("'fortnightly' is not a review cadence")
    child.expect("Review every")
    child.sendline("quarterly")
    child.expect(rf"Effective date \({TODAY}\)")
    child.sendline("2026-02-30")
    child.expect("'2026-02-30' is not a date")
    child.expect("Effective date")
    child.sendline("2026-04-01")
    skip_people_and_purpose(child)
    output, code = finish(child)

    assert code == 0, output
    assert "Created charters/acme-globex-alliance.yaml" in output
    path = tmp_path / "charters" / "acme-globex-alliance.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../.rmo/charter.schema.json\n")
    assert (tmp_path / ".rmo" / "charter.schema.json").is_file()
    for line in (
        "id: acme-globex-alliance",
        "title: Acme Globex Alliance",
        "status: draft",
        "  - id: acme",
        "    name: ACME Public Works",
        "  - id: globex",
        "  model: quasi-hierarchy",
        "  lead_party: globex",
        "  cadence: quarterly",
        "  effective: 2026-04-01",
    ):
        assert f"\n{line}" in text, line
    assert_valid(path)


def test_flags_given_are_not_asked(tmp_path: Path) -> None:
    child = spawn(
        tmp_path,
        "--title",
        "Riverside Network",
        "--governance",
        "network",
        "--party",
        "riverside=Riverside Hospital",
        "--review-every",
        "P1Y",
    )
    child.expect("Charter id")
    child.sendline("")
    child.expect("Party 2 name")  # one party came from the flags
    child.sendline("Northgate University")
    child.expect("Id of")
    child.sendline("")
    child.expect("Party 3 name")
    child.sendline("")
    child.expect("Effective date")
    child.sendline("")
    skip_people_and_purpose(child)
    output, code = finish(child)
    assert code == 0, output
    assert "Title" not in output and "Governance model" not in output
    assert "Lead party" not in output  # a network has no lead party
    assert "Review every" not in output
    path = tmp_path / "charters" / "riverside-network.yaml"
    assert "  - id: northgate-university\n" in path.read_text(encoding="utf-8")
    assert f"  effective: {TODAY}\n" in path.read_text(encoding="utf-8")
    assert_valid(path)


def test_an_id_whose_file_exists_is_asked_again(tmp_path: Path) -> None:
    existing = tmp_path / "charters" / "alliance.yaml"
    existing.parent.mkdir()
    existing.write_text("keep me\n", encoding="utf-8")
    child = spawn(
        tmp_path,
        "--title",
        "Alliance",
        "--party",
        "a=A",
        "--party",
        "b=B",
        "--governance",
        "market",
        "--review-every",
        "P1Y",
        "--effective",
        TODAY,
    )
    child.expect(r"Charter id \(alliance\)")
    child.sendline("")
    child.expect("already exists; use --force to overwrite it")
    child.expect("Charter id")
    child.sendline("alliance-2")
    skip_people_and_purpose(child)
    output, code = finish(child)
    assert code == 0, output
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    assert_valid(tmp_path / "charters" / "alliance-2.yaml")


def test_ctrl_c_stops_with_130_and_writes_nothing(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    child.expect("Title")
    child.sendline("Acme Globex Alliance")
    child.expect("Charter id")
    # Under load the first ^C can land before the prompt reads the terminal; send it again
    # until the process ends (a second ^C is what a person would do too).
    seen = ""
    for _ in range(10):
        child.sendintr()
        if child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=3) == 0:
            break
        seen += child.before
    output = seen + child.before
    child.close()
    code = child.exitstatus if child.exitstatus is not None else -child.signalstatus
    assert code == 130, output
    assert "interrupted; nothing was written" in output
    assert not (tmp_path / "charters").exists()
    assert not (tmp_path / ".rmo").exists()


def test_from_asks_only_for_the_new_title_and_id(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parent.parent / "sample_charters"
    source = source / "harbourside-globex-facilities.yaml"
    child = spawn(tmp_path, "--from", str(source))
    child.expect(r"Title \(Harbourside Public Works – Globex Facilities Relationship Charter\)")
    child.sendline("Harbourside renewal 2028")
    child.expect(r"Charter id \(harbourside-renewal-2028\)")
    child.sendline("")
    output, code = finish(child)
    assert code == 0, output
    assert "Party 1" not in output and "Governance" not in output
    path = tmp_path / "charters" / "harbourside-renewal-2028.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\ntitle: Harbourside renewal 2028\n" in text
    assert '\nversion: "0.1.0"\n' in text and "\nstatus: draft\n" in text
    assert "signoffs:" not in text
    result = validate_files([CharterFile(path, str(path))], dt.date.fromisoformat(TODAY))
    assert [f for f in result.findings if f.severity == "error"] == []


def test_a_bad_lead_party_flag_is_asked_again_keeping_the_answers(tmp_path: Path) -> None:
    child = spawn(
        tmp_path,
        "--title",
        "Meridian",
        "--governance",
        "hierarchy",
        "--lead-party",
        "parent",
        "--review-every",
        "P1Y",
        "--effective",
        TODAY,
    )
    child.expect("Charter id")
    child.sendline("")
    child.expect("Party 1 name")
    child.sendline("Meridian Group")
    child.expect("Id of")
    child.sendline("meridian")
    child.expect("Party 2 name")
    child.sendline("Meridian Shared Services")
    child.expect("Id of")
    child.sendline("services")
    child.expect("Party 3 name")
    child.sendline("")
    child.expect("--lead-party: 'parent' is not one of the parties")
    child.expect("Lead party")
    child.sendline("meridian")
    skip_people_and_purpose(child)
    output, code = finish(child)
    assert code == 0, output
    text = (tmp_path / "charters" / "meridian.yaml").read_text(encoding="utf-8")
    assert "\n  lead_party: meridian\n" in text


def test_what_was_meant_is_offered_and_the_signatories_are_asked_for(tmp_path: Path) -> None:
    """Issue 19's friction points, as a new user meets them: capitals in a party id, a
    misspelt model, a cadence in words, an id whose file exists, the representatives (name
    and email, which the sign-off needs) and the purpose."""
    existing = tmp_path / "charters" / "county-depots.yaml"
    existing.parent.mkdir()
    existing.write_text("keep me\n", encoding="utf-8")
    child = spawn(tmp_path)
    child.expect("Title")
    child.sendline("County Depots")
    child.expect(r"Charter id \(county-depots\)")
    child.sendline("")  # its file exists: said, and a free id becomes the default
    child.expect("already exists")
    child.expect(r"Charter id \(county-depots-2\)")
    child.sendline("")
    child.expect("Party 1 name")
    child.sendline("ACME Public Works")
    child.expect("Id of ACME Public Works")
    child.sendline("ACME")  # capitals: offered lower-cased, not just refused
    child.expect("'ACME' has capital letters; a party id is lower case: 'acme'")
    child.expect(r"Id of ACME Public Works \(acme\)")
    child.sendline("")
    child.expect("Party 2 name")
    child.sendline("Globex Ltd")
    child.expect("Id of Globex Ltd")
    child.sendline("")
    child.expect("Party 3 name")
    child.sendline("")
    child.expect("Governance model")
    child.sendline("netwrok")  # the same "did you mean" as validate, then the default
    child.expect("'netwrok' is not a governance model")
    child.expect("did you mean 'network'")
    child.expect(r"Governance model \(name or number\) \(network\)")
    child.sendline("")
    child.expect(r"Review every \(P6M\)")
    child.sendline("every 3 months")  # words are a cadence too
    child.expect("Effective date")
    child.sendline("")
    child.expect("Representative of ACME Public Works")
    child.sendline("Jane Doe")
    child.expect("Email of Jane Doe")
    child.sendline("jane at acme")
    child.expect("'jane at acme' is not an email address")
    child.expect("Email of Jane Doe")
    child.sendline("jane.doe@acme.example")
    child.expect("Representative of Globex Ltd")
    child.sendline("")  # left for later
    child.expect("Purpose")
    child.sendline("Shared winter road depots across the county.")
    output, code = finish(child)

    assert code == 0, output
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    path = tmp_path / "charters" / "county-depots-2.yaml"
    text = path.read_text(encoding="utf-8")
    for line in (
        "id: county-depots-2\n",
        "  - id: acme",
        "    people:   # the party's representatives; person ids are unique across parties",
        "      - id: jane-doe\n",
        "        name: Jane Doe\n",
        "        email: jane.doe@acme.example\n",
        "  - id: globex-ltd\n",
        "  model: network   # ",
        "  cadence: P3M   # ISO 8601 duration (P3M, P1Y) or monthly | quarterly | semiannual"
        " | annual\n",
        "purpose: Shared winter road depots across the county.\n",
    ):
        assert f"\n{line}" in text, line
    assert "To be written together" not in text  # the purpose given replaces the placeholder
    assert_valid(path)
