"""Trust in sign-offs (issue 15, SPEC §6, §11), with real keys made by ssh-keygen.

The signed payload covers the whole sign-off record; the register, not the charter, names
the signer's email; `signers.require` makes a missing signature fail; the document never
shows a sign-off as valid that verify rejects; allowed-signers options are judged on the
sign-off's date, with ssh-keygen itself as the oracle.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import keygen, write_charter

from rmo_cli.adapters.ssh import ssh_sign
from rmo_cli.charter.fingerprint import fingerprint, signed_payload
from rmo_cli.charter.loading import read_charter

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")

JANE = "jane@acme.example"
RAJ = "raj@globex.example"
REGISTER = """\
organisations:
  - id: acme
    name: ACME Public Works Agency
    domains: [acme.example]
    people:
      - {id: jdoe, name: Jane Doe, email: jane@acme.example}
  - id: globex
    name: Globex Facilities Ltd
    domains: [globex.example]
    people:
      - {id: rsmith, name: Raj Smith, email: raj@globex.example}
"""


def public(key: Path) -> str:
    return key.with_suffix(".pub").read_text(encoding="utf-8").strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with a register, allowed signers for Jane and Raj, signatures required."""
    monkeypatch.setenv("RMO_TODAY", "2026-11-23")
    repo = tmp_path / "repo"
    keys = tmp_path / "keys"
    keys.mkdir()
    (repo / "charters").mkdir(parents=True)
    (repo / "rmo.yaml").write_text(
        'charters: ["charters/*.yaml"]\n'
        "signers: {file: allowed_signers, require: true}\n"
        "register: organisations.yaml\n",
        encoding="utf-8",
    )
    (repo / "organisations.yaml").write_text(REGISTER, encoding="utf-8")
    jane, raj = keygen(keys, "jane"), keygen(keys, "raj")
    (repo / "allowed_signers").write_text(
        f'{JANE} namespaces="rmo-charter" {public(jane)}\n'
        f'{RAJ} namespaces="rmo-charter" {public(raj)}\n',
        encoding="utf-8",
    )
    write_charter(repo / "charters" / "acme-globex.yaml")
    monkeypatch.chdir(tmp_path)  # outside the repository: rmo.yaml is found from the charter
    return repo


def path_of(repo: Path) -> Path:
    return repo / "charters" / "acme-globex.yaml"


def key(repo: Path, name: str) -> Path:
    return repo.parent / "keys" / name


def sign(cli: Any, repo: Path, person: str, name: str, *extra: str) -> None:
    result = cli("sign", path_of(repo), "--person", person, "--key", key(repo, name), *extra)
    assert result.exit_code == 0, result.stdout + result.stderr


def states(cli: Any, repo: Path) -> tuple[int, list[tuple[str, str, bool]]]:
    result = cli("verify", path_of(repo), "--format", "json")
    rows = json.loads(result.stdout)["signoffs"]
    return result.exit_code, [(r["person"], r["state"], r["signed"]) for r in rows]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_both_signed_sign_offs_verify_from_anywhere(cli: Any, repo: Path) -> None:
    sign(cli, repo, "jdoe", "jane")
    sign(cli, repo, "rsmith", "raj")
    assert states(cli, repo) == (0, [("jdoe", "valid", True), ("rsmith", "valid", True)])
    text = cli("verify", path_of(repo)).stdout
    assert "signature verified: key SHA256:" in text and f"of {JANE}" in text


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("capacity: Director", "capacity: Intern (no authority to sign)"),
        ("date: 2026-11-23", "date: 2019-01-01"),
        ('version: "1.0.0"', 'version: "0.1.0"'),
        ("party: acme", "party: globex"),
    ],
)
def test_editing_the_signed_record_is_a_bad_signature(
    cli: Any, repo: Path, old: str, new: str
) -> None:
    sign(cli, repo, "jdoe", "jane")
    signoffs = path_of(repo).read_text(encoding="utf-8").split("signoffs:")
    assert old in signoffs[1]
    path_of(repo).write_text(signoffs[0] + "signoffs:" + signoffs[1].replace(old, new, 1))
    code, rows = states(cli, repo)
    assert code == 1 and rows[0][1] == "bad-signature"


def test_impersonation_is_an_email_mismatch_and_never_valid(cli: Any, repo: Path) -> None:
    """Raj puts his own email on Jane in the charter and signs as Jane with his key."""
    path = path_of(repo)
    edit(path, f"email: {JANE}", f"email: {RAJ.upper()}")
    # rmo sign itself refuses the charter now (email-mismatch is an error).
    refused = cli("sign", path, "--person", "jdoe", "--key", key(repo, "raj"))
    assert refused.exit_code == 1 and "email-mismatch" in refused.stderr
    # So Raj forges the entry by hand, with his key, over either email.
    data = read_charter(path).document.data
    entry = {
        "person": "jdoe",
        "party": "acme",
        "capacity": "Director",
        "date": "2026-11-23",
        "version": "1.0.0",
        "fingerprint": fingerprint(data),
    }
    unsigned_text = path.read_text(encoding="utf-8")
    for email, state in ((RAJ.upper(), "bad-signature"), (JANE, "unknown-signer")):
        entry["signature"] = ssh_sign(signed_payload(data["id"], entry, email), key(repo, "raj"))
        path.write_text(
            unsigned_text + "signoffs:\n" + yaml.safe_dump([entry], sort_keys=False),
            encoding="utf-8",
        )
        code, rows = states(cli, repo)
        assert code == 1 and rows == [("jdoe", state, True)]
        check = cli("check", path, "--format", "json")
        found = {f["rule"] for f in json.loads(check.stdout)["findings"]}
        assert "email-mismatch" in found and "signoff-missing" in found
    # Without a register the charter names the principal, so the same forgery passes:
    # the register is what stops it (docs/signoffs.md says so).
    (repo / "rmo.yaml").write_text("signers: allowed_signers\n", encoding="utf-8")
    edit(path, f"email: {RAJ.upper()}", f"email: {RAJ}")
    entry["fingerprint"] = fingerprint(read_charter(path).document.data)
    entry["signature"] = ssh_sign(signed_payload(data["id"], entry, RAJ), key(repo, "raj"))
    path.write_text(
        path.read_text(encoding="utf-8").split("signoffs:")[0]
        + "signoffs:\n"
        + yaml.safe_dump([entry], sort_keys=False),
        encoding="utf-8",
    )
    assert states(cli, repo)[1] == [("jdoe", "valid", True)]


def test_removing_a_signature_under_require_is_unsigned(cli: Any, repo: Path) -> None:
    sign(cli, repo, "jdoe", "jane")
    path = path_of(repo)
    text = path.read_text(encoding="utf-8")
    path.write_text(re.split(r"\n *signature: \|", text)[0] + "\n", encoding="utf-8")
    code, rows = states(cli, repo)
    assert (code, rows) == (1, [("jdoe", "unsigned", False)])
    assert "recorded" in cli("verify", path).stdout
    # A recorded sign-off of a draft is not held to `require`.
    edit(path, "status: active", "status: draft")
    assert states(cli, repo) == (0, [("jdoe", "valid", False)])


def test_recorded_sign_off_without_require_is_valid_and_not_signed(cli: Any, repo: Path) -> None:
    (repo / "rmo.yaml").write_text(
        "signers: allowed_signers\nregister: organisations.yaml\n", encoding="utf-8"
    )
    result = cli("sign", path_of(repo), "--person", "rsmith")
    assert result.exit_code == 0 and "recorded (no signature)" in result.stdout
    assert states(cli, repo) == (0, [("rsmith", "valid", False)])


def test_changing_status_after_signing_keeps_sign_offs_valid(cli: Any, repo: Path) -> None:
    sign(cli, repo, "jdoe", "jane")
    sign(cli, repo, "rsmith", "raj")
    edit(path_of(repo), "status: active", "status: suspended")
    assert states(cli, repo) == (0, [("jdoe", "valid", True), ("rsmith", "valid", True)])


def test_a_person_without_email_in_the_charter_takes_the_registers(cli: Any, repo: Path) -> None:
    text = path_of(repo).read_text(encoding="utf-8")
    path_of(repo).write_text(re.sub(rf"\n *email: {JANE}", "", text), encoding="utf-8")
    sign(cli, repo, "jdoe", "jane")
    assert states(cli, repo)[1] == [("jdoe", "valid", True)]


def test_a_tampered_signature_is_never_shown_as_valid(cli: Any, repo: Path) -> None:
    sign(cli, repo, "jdoe", "jane")
    path = path_of(repo)
    html = cli("render", path, "--to", "html").stdout
    assert "Signed and verified" in html and "SHA256:" in html
    edit(path, "capacity: Director", "capacity: Intern")
    outputs = {fmt: cli("render", path, "--to", fmt).stdout for fmt in ("md", "html")}
    pytest.importorskip("weasyprint")
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils)")
    pdf = repo.parent / "out.pdf"
    done = cli("render", path, "--to", "pdf", "-o", pdf)
    assert done.exit_code == 0, done.stderr
    outputs["pdf"] = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for fmt, text in outputs.items():
        flat = " ".join(text.split())
        assert "Bad signature" in flat, fmt
        assert "Signed and verified" not in flat, fmt
        assert "rmo verify" not in flat, fmt


# --- allowed signers options, on the sign-off's date, against ssh-keygen ----------------------


def ssh_keygen_accepts(signers: Path, email: str, sig: str, payload: bytes, day: str) -> bool:
    """ssh-keygen -Y verify at the first or the last second of day (UTC)."""
    sig_file = signers.parent / "oracle.sig"
    sig_file.write_text(sig, encoding="utf-8")
    for moment in (f"{day.replace('-', '')}000000Z", f"{day.replace('-', '')}235959Z"):
        done = subprocess.run(
            ["ssh-keygen", "-Y", "verify", "-f", str(signers), "-I", email, "-n", "rmo-charter"]
            + ["-s", str(sig_file), f"-Overify-time={moment}"],
            input=payload,
            capture_output=True,
        )
        if done.returncode == 0:
            return True
    return False


def certify(repo: Path, ca: Path, user: Path, *args: str) -> Path:
    """A user certificate of user's key signed by ca; returns the certificate's path."""
    subprocess.run(
        ["ssh-keygen", "-q", "-s", str(ca), "-I", "cert", *args, str(user.with_suffix(".pub"))],
        check=True,
        capture_output=True,
    )
    return user.with_name(user.name + "-cert.pub")


OPTIONS = [
    # (allowed signers options, sign-off date, expected state)
    ('namespaces="rmo-charter"', "2026-11-20", "valid"),
    ('namespaces="rmo-*"', "2026-11-20", "valid"),
    ('namespaces="git"', "2026-11-20", "unknown-signer"),
    ('namespaces="git,file"', "2026-11-20", "unknown-signer"),
    ('valid-after="20261101"', "2026-10-31", "unknown-signer"),
    ('valid-after="20261101"', "2026-11-01", "valid"),
    ('valid-after="20261101120000Z"', "2026-11-01", "valid"),  # later that day
    ('valid-before="20261101"', "2026-11-02", "unknown-signer"),
    ('valid-before="20261101"', "2026-10-31", "valid"),
    ('valid-before="20261101Z",valid-after="20261001Z"', "2026-09-30", "unknown-signer"),
    ('valid-before="20261101Z",valid-after="20261001Z"', "2026-10-15", "valid"),
]


@pytest.mark.parametrize(("options", "day", "expected"), OPTIONS)
def test_allowed_signer_options_apply_on_the_sign_off_date(
    cli: Any, repo: Path, options: str, day: str, expected: str
) -> None:
    signers = repo / "allowed_signers"
    signers.write_text(f"{JANE} {options} {public(key(repo, 'jane'))}\n", encoding="utf-8")
    sign(cli, repo, "jdoe", "jane", "--date", day)
    code, rows = states(cli, repo)
    assert rows == [("jdoe", expected, True)]
    data = read_charter(path_of(repo)).document.data
    [entry] = data["signoffs"]
    payload = signed_payload(data["id"], entry, JANE)
    assert ssh_keygen_accepts(signers, JANE, entry["signature"], payload, day) == (
        expected == "valid"
    )


@pytest.mark.parametrize(
    ("principals", "window", "day", "expected"),
    [
        (JANE, "20261101:20261110", "2026-11-05", "valid"),
        (JANE, "20261101:20261110", "2026-11-20", "unknown-signer"),  # expired by then
        (JANE, "20261101:20261110", "2026-10-20", "unknown-signer"),  # not yet valid
        (RAJ, "20261101:20261110", "2026-11-05", "unknown-signer"),  # for someone else
    ],
)
def test_cert_authority_certificates_on_the_sign_off_date(
    cli: Any, repo: Path, principals: str, window: str, day: str, expected: str
) -> None:
    keys = repo.parent / "keys"
    ca = keygen(keys, "ca")
    cert = certify(repo, ca, key(repo, "jane"), "-n", principals, "-V", window)
    signers = repo / "allowed_signers"
    signers.write_text(f"{JANE} cert-authority {public(ca)}\n", encoding="utf-8")
    result = cli("sign", path_of(repo), "--person", "jdoe", "--key", cert, "--date", day)
    assert result.exit_code == 0, result.stderr
    assert states(cli, repo)[1] == [("jdoe", expected, True)]
    data = read_charter(path_of(repo)).document.data
    [entry] = data["signoffs"]
    payload = signed_payload(data["id"], entry, JANE)
    assert ssh_keygen_accepts(signers, JANE, entry["signature"], payload, day) == (
        expected == "valid"
    )


# --- the register's rules -------------------------------------------------------------------


def findings(cli: Any, *args: Any) -> list[tuple[str, str, str]]:
    result = cli("validate", *args, "--format", "json")
    return [(f["rule"], f["severity"], f["pointer"]) for f in json.loads(result.stdout)["findings"]]


def test_register_rules(cli: Any, repo: Path) -> None:
    path = path_of(repo)
    assert findings(cli, path) == []
    edit(path, "name: Globex Facilities Ltd", "name: Globex Ltd")
    edit(path, "id: rsmith", "id: mallory")
    edit(path, "owner: jdoe", "owner: jdoe")
    assert sorted(findings(cli, path)) == [
        ("organisation-name-mismatch", "warning", "/parties/1/name"),
        ("unregistered-person", "error", "/parties/1/people/0/id"),
    ]
    edit(path, "id: acme\n", "id: acme-works\n")
    rules = {rule for rule, _, _ in findings(cli, path)}
    assert "unknown-organisation" in rules


def test_duplicate_email_in_the_register(cli: Any, repo: Path) -> None:
    register = repo / "organisations.yaml"
    register.write_text(REGISTER.replace(RAJ, JANE.upper()), encoding="utf-8")
    found = findings(cli, path_of(repo))
    assert ("duplicate-email", "error", "/organisations/1/people/0/email") in found


def test_a_broken_register_is_exit_2_naming_it(cli: Any, repo: Path) -> None:
    (repo / "organisations.yaml").write_text("organisations:\n  - id: [\n", encoding="utf-8")
    result = cli("verify", path_of(repo))
    assert result.exit_code == 2 and "organisations.yaml:" in result.stderr
    assert "Traceback" not in result.stderr


def test_party_id_conflict_without_a_register(cli: Any, tmp_path: Path) -> None:
    one = write_charter(tmp_path / "a" / "acme-globex.yaml")
    other = yaml.safe_load(one.read_text(encoding="utf-8"))
    other["id"] = "acme-initech"
    other["parties"][0]["name"] = "Acme County Council"
    other["parties"][1]["people"][0]["email"] = "raj@initech.example"
    other["parties"][0]["people"][0]["email"] = "jane@county.example"
    two = write_charter(tmp_path / "b" / "acme-initech.yaml", other)
    found = findings(cli, tmp_path)
    conflicts = [f for f in found if f[0] == "party-id-conflict"]
    assert conflicts == [
        ("party-id-conflict", "error", "/parties/0/id"),
        ("party-id-conflict", "error", "/parties/0/id"),
    ]
    assert findings(cli, one) == [] and findings(cli, two) == []  # each alone is fine
    # Organisations are named the same everywhere in a register-governed repository.
    result = cli("validate", tmp_path, "--format", "json")
    assert str(one) in result.stdout and str(two) in result.stdout


def test_party_id_conflict_names_three_others_and_counts_the_rest(cli: Any, tmp_path: Path) -> None:
    """One id named six ways: each use gets one finding naming three other names and
    counting the rest, never a list of every charter (which grew with the square of the
    portfolio: 500 MB of JSON for 3,000 charters)."""
    base = yaml.safe_load(write_charter(tmp_path / "seed.yaml").read_text(encoding="utf-8"))
    (tmp_path / "seed.yaml").unlink()
    for n in range(6):
        data = {**base, "id": f"acme-globex-{n}"}
        data["parties"] = [dict(base["parties"][0], name=f"Acme {n}"), base["parties"][1]]
        write_charter(tmp_path / f"c{n}.yaml", data)
    result = cli("validate", tmp_path, "--format", "json")
    conflicts = [
        f for f in json.loads(result.stdout)["findings"] if f["rule"] == "party-id-conflict"
    ]
    assert len(conflicts) == 6
    for finding in conflicts:
        assert finding["message"].count(" in ") == 3
        assert "and 2 other names" in finding["message"]


# --- email syntax (issue 14, item 6) ---------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "x@",
        "@",
        "a@b@c",
        "a b@c",
        "a@b..c",
        "-oProxyCommand=x@y",
        "a@b",
        "jane\u200b@acme.example",
        "jane\u202e@acme.example",
        "tab\t@acme.example",
        "x" * 2_000_000 + "@acme.example",
        "x" * 250 + "@a.io",
    ],
    ids=lambda e: repr(e[:24]),
)
def test_invalid_emails_are_refused(cli: Any, tmp_path: Path, email: str) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    edit(path, f"email: {JANE}", f"email: {json.dumps(email)}")
    result = cli("validate", path, "--format", "json")
    assert result.exit_code == 1
    rules = [f["rule"] for f in json.loads(result.stdout)["findings"]]
    # Hidden characters are also flagged by their own rules (bidi-control, invisible-character).
    assert rules[0] == "schema-format", rules
    assert set(rules) <= {"schema-format", "bidi-control", "invisible-character"}, rules


@pytest.mark.parametrize(
    "email",
    ["jane@acme.example", "j.doe+rmo@lab.test", "ops@printer.local", "zoë@café.example"],
)
def test_valid_emails_including_special_use_domains(cli: Any, tmp_path: Path, email: str) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    edit(path, f"email: {JANE}", f"email: {json.dumps(email)}")
    result = cli("validate", path, "--format", "json")
    assert result.exit_code == 0, result.stdout


# --- names and sign-off state in the portfolio ----------------------------------------------


def test_graph_and_status_name_organisations_as_the_register_does(cli: Any, repo: Path) -> None:
    path = path_of(repo)
    edit(path, "name: Globex Facilities Ltd", "name: Globex")  # a warning, not the name shown
    graph = cli("graph", path).stdout
    assert '"Globex Facilities Ltd"' in graph and '"Globex"' not in graph
    sign(cli, repo, "jdoe", "jane")
    status = json.loads(cli("status", path, "--format", "json").stdout)
    [row] = status["charters"] if isinstance(status, dict) else status
    assert row["signed"] == 1
    edit(path, "capacity: Director", "capacity: Intern")  # a bad signature counts for nothing
    status = json.loads(cli("status", path, "--format", "json").stdout)
    [row] = status["charters"] if isinstance(status, dict) else status
    assert row["signed"] == 0


def test_graph_never_merges_two_organisations_silently(cli: Any, tmp_path: Path) -> None:
    one = write_charter(tmp_path / "a" / "acme-globex.yaml")
    other = yaml.safe_load(one.read_text(encoding="utf-8"))
    other["id"] = "acme-initech"
    other["parties"][0]["name"] = "Acme County Council"
    other["parties"][0]["people"][0]["email"] = "jane@county.example"
    other["parties"][1]["people"][0]["email"] = "raj@initech.example"
    write_charter(tmp_path / "b" / "acme-initech.yaml", other)
    graph = cli("graph", tmp_path).stdout
    assert "ACME Public Works Agency / Acme County Council" in graph


# --- trust and the result cache (issue 21) ---------------------------------------------------


def test_warm_results_follow_the_register_signers_and_require(cli: Any, repo: Path) -> None:
    """The charter's own repository's register, allowed signers file and `require` are in
    every cache key: a change to any of them is seen by the next (warm) run, even from
    outside the repository, and warm runs print what `--no-cache` runs print."""
    path = path_of(repo)
    sign(cli, repo, "jdoe", "jane")

    def runs() -> list[tuple[int, str]]:
        outs = []
        for args in (
            ("validate", path, "-f", "json"),
            ("check", path, "-f", "json"),
            ("verify", path, "--format", "json", "--no-history"),
            ("status", path, "--format", "md"),
        ):
            warm, cold = cli(*args), cli(*args, "--no-cache")
            assert (warm.exit_code, warm.stdout) == (cold.exit_code, cold.stdout), args
            outs.append((warm.exit_code, warm.stdout))
        return outs

    before = runs()
    assert runs() == before  # warm, unchanged
    register = repo / "organisations.yaml"
    register.write_text(REGISTER.replace("Globex Facilities Ltd", "Globex Works Ltd"))
    renamed = runs()
    assert "organisation-name-mismatch" in renamed[0][1]  # validate
    assert "organisation-name-mismatch" in renamed[1][1]  # check
    register.write_text(REGISTER)
    assert runs() == before
    signers = repo / "allowed_signers"
    signers.write_text(signers.read_text(encoding="utf-8").splitlines(keepends=True)[1])
    no_jane = runs()
    assert '"unknown-signer"' in no_jane[2][1] and no_jane[2][0] == 1  # verify
    assert no_jane[1] != before[1] and no_jane[3] != before[3]  # check, status
    config = repo / "rmo.yaml"
    required = config.read_text(encoding="utf-8")
    config.write_text(required.replace("require: true", "require: false"))
    result = cli("sign", path, "--person", "rsmith")  # no key: a recorded sign-off
    assert result.exit_code == 0, result.stdout + result.stderr
    recorded = runs()
    config.write_text(required)  # the same charter bytes; now its sign-off is unsigned
    unsigned = runs()
    assert '"unsigned"' in unsigned[2][1] and '"unsigned"' not in recorded[2][1]


def test_party_id_conflict_from_workers_and_cache_is_the_same(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """party-id-conflict runs on what workers send back (ids, names, places), cached or not:
    the same findings at the same places as in one process without the cache."""
    one = write_charter(tmp_path / "a" / "acme-globex.yaml")
    other = yaml.safe_load(one.read_text(encoding="utf-8"))
    other["id"] = "acme-initech"
    other["parties"][0]["name"] = "Acme County Council"
    other["parties"][1]["people"][0]["email"] = "raj@initech.example"
    other["parties"][0]["people"][0]["email"] = "jane@county.example"
    write_charter(tmp_path / "b" / "acme-initech.yaml", other)
    monkeypatch.setenv("RMO_JOBS", "1")
    alone = cli("validate", tmp_path, "-f", "json", "--no-cache")
    assert alone.stdout.count('"party-id-conflict"') == 2
    monkeypatch.setenv("RMO_JOBS", "2")
    for _ in range(2):  # cold, then warm
        result = cli("validate", tmp_path, "-f", "json")
        assert (result.exit_code, result.stdout) == (alone.exit_code, alone.stdout)
