"""SSH signatures of sign-offs with real keys made by ssh-keygen (skipped without it)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SAMPLES, keygen, write_charter

from rmo_cli.adapters.ssh import check_signature
from rmo_cli.charter.fingerprint import signed_payload
from rmo_cli.charter.loading import read_charter
from rmo_cli.rules.signoffs import verify_document

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")

JANE = "jane@acme.example"
RAJ = "raj@globex.example"


def allow(signers: Path, email: str, key: Path) -> None:
    public = key.with_suffix(".pub").read_text(encoding="utf-8").strip()
    with signers.open("a", encoding="utf-8") as handle:
        handle.write(f'{email} namespaces="rmo-charter" {public}\n')


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A charter repository with rmo.yaml naming an allowed signers file, two keys."""
    monkeypatch.setenv("RMO_TODAY", "2026-11-23")
    repo = tmp_path / "repo"
    (repo / "charters").mkdir(parents=True)
    (repo / "rmo.yaml").write_text(
        'charters: ["charters/*.yaml"]\nsigners: .rmo/allowed_signers\n', encoding="utf-8"
    )
    (repo / ".rmo").mkdir()
    keys = tmp_path / "keys"
    keys.mkdir()
    allow(repo / ".rmo" / "allowed_signers", JANE, keygen(keys, "jane"))
    allow(repo / ".rmo" / "allowed_signers", RAJ, keygen(keys, "raj"))
    keygen(keys, "stranger")
    write_charter(repo / "charters" / "acme-globex.yaml")
    monkeypatch.chdir(tmp_path)
    return repo


def charter_path(repo: Path) -> Path:
    return repo / "charters" / "acme-globex.yaml"


def key(repo: Path, name: str) -> Path:
    return repo.parent / "keys" / name


def verify_json(cli: Any, repo: Path) -> tuple[int, list[str]]:
    result = cli("verify", charter_path(repo), "--format", "json")
    return result.exit_code, [s["state"] for s in json.loads(result.stdout)["signoffs"]]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_good_signature_verifies(cli: Any, repo: Path) -> None:
    result = cli("sign", charter_path(repo), "--person", "jdoe", "--key", key(repo, "jane"))
    assert result.exit_code == 0, result.stderr
    assert "with an SSH signature" in result.stdout
    assert result.stderr == ""  # the key is trusted: no warning
    text = charter_path(repo).read_text(encoding="utf-8")
    assert re.search(r"\n +signature: \|\n +-----BEGIN SSH SIGNATURE-----\n", text)
    assert verify_json(cli, repo) == (0, ["valid"])
    assert "signature verified" in cli("verify", charter_path(repo)).stdout


def test_tampered_signature_is_bad(cli: Any, repo: Path) -> None:
    cli("sign", charter_path(repo), "--person", "jdoe", "--key", key(repo, "jane"))
    path = charter_path(repo)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # Flip one character in the middle of the base64 body (the signature bytes).
    index = next(i for i, line in enumerate(lines) if "BEGIN SSH SIGNATURE" in line) + 3
    body = lines[index]
    position = len(body) // 2
    flipped = "A" if body[position] != "A" else "B"
    lines[index] = body[:position] + flipped + body[position + 1 :]
    path.write_text("".join(lines), encoding="utf-8")
    assert verify_json(cli, repo) == (1, ["bad-signature"])
    result = cli("verify", path)
    assert "bad-signature jdoe (acme)" in result.stdout


def test_forged_fingerprint_is_a_bad_signature_not_valid(cli: Any, repo: Path) -> None:
    """Editing content and pasting its new fingerprint breaks the signature."""
    path = charter_path(repo)
    cli("sign", path, "--person", "jdoe", "--key", key(repo, "jane"))
    edit(path, "Halve", "Cut")
    assert verify_json(cli, repo) == (1, ["stale"])
    doc = read_charter(path).document
    assert doc is not None
    [check] = verify_document(doc, repo / ".rmo" / "allowed_signers")
    edit(path, str(check.fingerprint), check.current)
    assert verify_json(cli, repo) == (1, ["bad-signature"])


def test_key_not_in_allowed_signers_is_unknown(cli: Any, repo: Path) -> None:
    result = cli("sign", charter_path(repo), "--person", "jdoe", "--key", key(repo, "stranger"))
    assert result.exit_code == 0
    assert "unknown-signer" in " ".join(result.stderr.split())  # warned at signing time
    assert verify_json(cli, repo) == (1, ["unknown-signer"])


def test_another_persons_key_is_unknown_for_this_person(cli: Any, repo: Path) -> None:
    cli("sign", charter_path(repo), "--person", "jdoe", "--key", key(repo, "raj"))
    assert verify_json(cli, repo) == (1, ["unknown-signer"])


def test_without_a_signers_file_a_signature_is_unknown(cli: Any, repo: Path) -> None:
    cli("sign", charter_path(repo), "--person", "jdoe", "--key", key(repo, "jane"))
    (repo / "rmo.yaml").write_text('charters: ["charters/*.yaml"]\n', encoding="utf-8")
    code, states = verify_json(cli, repo)
    assert (code, states) == (1, ["unknown-signer"])
    text = cli("verify", charter_path(repo)).stdout
    assert "no allowed signers file is configured" in text


def test_bad_signature_outranks_stale(cli: Any, repo: Path) -> None:
    path = charter_path(repo)
    cli("sign", path, "--person", "jdoe", "--key", key(repo, "jane"))
    edit(path, "U1NIU0lH", "U1NIU0lI")  # the base64 of the SSHSIG magic
    edit(path, "Halve", "Cut")
    assert verify_json(cli, repo) == (1, ["bad-signature"])


def test_unknown_signer_outranks_stale(cli: Any, repo: Path) -> None:
    path = charter_path(repo)
    cli("sign", path, "--person", "jdoe", "--key", key(repo, "stranger"))
    edit(path, "Halve", "Cut")
    assert verify_json(cli, repo) == (1, ["unknown-signer"])


def test_good_signature_on_changed_content_is_stale(cli: Any, repo: Path) -> None:
    path = charter_path(repo)
    cli("sign", path, "--person", "jdoe", "--key", key(repo, "jane"))
    cli("sign", path, "--person", "rsmith")
    edit(path, "Halve", "Cut")
    assert verify_json(cli, repo) == (1, ["stale", "stale"])


def test_signing_with_a_public_key_loaded_in_ssh_agent(cli: Any, repo: Path) -> None:
    if shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None:
        pytest.skip("needs ssh-agent and ssh-add")
    socket = repo.parent / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket)], stdout=subprocess.DEVNULL)
    try:
        env = {**os.environ, "SSH_AUTH_SOCK": str(socket)}
        # The socket file appears at bind(), slightly before the agent listens: retry.
        for _ in range(200):
            added = subprocess.run(
                ["ssh-add", "-q", str(key(repo, "raj"))], env=env, capture_output=True, check=False
            )
            if added.returncode == 0:
                break
            time.sleep(0.05)
        assert added.returncode == 0, "ssh-add could not reach the agent"
        public = key(repo, "raj").with_suffix(".pub")
        result = cli("sign", charter_path(repo), "--person", "rsmith", "--key", public, env=env)
        assert result.exit_code == 0, result.stderr
        assert verify_json(cli, repo) == (0, ["valid"])
    finally:
        agent.terminate()
        agent.wait()


def test_missing_key_file_and_refusal_leave_file_untouched(cli: Any, repo: Path) -> None:
    path = charter_path(repo)
    before = path.read_bytes()
    result = cli("sign", path, "--person", "jdoe", "--key", repo / "no-such-key")
    assert result.exit_code == 2 and "no such key file" in " ".join(result.stderr.split())
    not_a_key = repo / "not-a-key"
    not_a_key.write_text("hello\n", encoding="utf-8")
    bad = cli("sign", path, "--person", "jdoe", "--key", not_a_key)
    assert bad.exit_code == 2 and "could not sign" in " ".join(bad.stderr.split())
    assert path.read_bytes() == before


def test_missing_ssh_keygen_is_a_clear_error(
    cli: Any, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = charter_path(repo)
    cli("sign", path, "--person", "jdoe", "--key", key(repo, "jane"))
    signed = path.read_bytes()
    empty = repo.parent / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = cli("sign", path, "--person", "rsmith", "--key", key(repo, "raj"))
    assert result.exit_code == 2
    assert "ssh-keygen not found" in " ".join(result.stderr.split())
    assert path.read_bytes() == signed
    # Verification is in-process (adapters/sshsig.py): it needs no ssh-keygen.
    verified = cli("verify", path)
    assert verified.exit_code == 0, verified.stdout  # globex missing is only a warning
    assert "valid jdoe (acme)" in verified.stdout


# Exactly the script the README gives auditors (README "Checking a sign-off without rmo").
AUDITOR_SCRIPT = """\
import hashlib, json, re, sys, yaml

class Loader(yaml.SafeLoader):
    pass

# Read YAML as rmo does (YAML 1.2): dates stay strings, only true/false are booleans.
Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

def canonical(value):
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")

with open(sys.argv[1], encoding="utf-8-sig") as handle:
    data = yaml.load(handle, Loader=Loader)
signoffs = data.get("signoffs") or []
content = {k: v for k, v in data.items() if k not in ("signoffs", "status", "lifecycle_stage")}
for key in ("last_reviewed", "next_due", "log"):
    content.get("review", {}).pop(key, None)
for kpi in content.get("kpis") or []:
    kpi.pop("measurements", None)
if len(sys.argv) == 2:  # canonical.py CHARTER: the fingerprint
    print("sha256:" + hashlib.sha256(canonical(content)).hexdigest())
else:  # canonical.py CHARTER N EMAIL: the signed payload of sign-off N (0 is the first)
    signoff = signoffs[int(sys.argv[2])]
    fields = ("person", "party", "capacity", "date", "version", "fingerprint")
    record = {field: signoff.get(field) for field in fields}
    record.update(charter=data.get("id"), email=sys.argv[3])
    sys.stdout.buffer.write(canonical(record))
"""


def test_auditor_recipe_from_the_readme(cli: Any, repo: Path) -> None:
    """The documented steps, with python's json/hashlib and ssh-keygen only."""
    docs = (Path(__file__).parents[1] / "docs" / "signoffs.md").read_text(encoding="utf-8")
    assert AUDITOR_SCRIPT in docs  # the script the auditors' section gives, exactly
    path = charter_path(repo)
    # Values PyYAML's YAML 1.1 would misread: "no" is a string, dates stay strings.
    edit(path, "id: acme\n", "id: 'no'\n")
    edit(path, "lead_party: acme", "lead_party: 'no'")
    text = (
        path.read_text(encoding="utf-8").replace("'no'", "no").replace("'2025-02-01'", "2025-02-01")
    )
    path.write_text(text, encoding="utf-8")
    assert "- id: no\n" in text and "effective: 2025-02-01\n" in text
    signed = cli("sign", path, "--person", "jdoe", "--key", key(repo, "jane"))
    assert signed.exit_code == 0, signed.stderr
    recipe = AUDITOR_SCRIPT
    fingerprint = subprocess.run(
        [sys.executable, "-c", recipe, str(path)], capture_output=True, check=True, text=True
    ).stdout.strip()
    payload = subprocess.run(
        [sys.executable, "-c", recipe, str(path), "0", JANE], capture_output=True, check=True
    ).stdout
    entry = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)["signoffs"][0]
    assert entry["fingerprint"] == fingerprint
    sig = repo.parent / "signoff.sig"
    sig.write_text(entry["signature"], encoding="utf-8")
    done = subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "verify",
            "-f",
            str(repo / ".rmo" / "allowed_signers"),
            "-I",
            JANE,
            "-n",
            "rmo-charter",
            "-s",
            str(sig),
        ],
        input=payload,
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr


def test_sample_signatures_verify_with_the_sample_register_and_signers() -> None:
    """Every sample sign-off is signed (rmo.yaml requires it) and verifies, principals from
    the project's register (organisations.yaml), keys from sample_charters/allowed_signers."""
    from rmo_cli.ops.trust import trust_for

    for path in sorted(SAMPLES.glob("*.yaml")):
        trust = trust_for(path)
        assert trust.require and trust.register is not None
        assert trust.signers == SAMPLES / "allowed_signers"
        doc = read_charter(path).document
        assert doc is not None
        checks = verify_document(doc, trust)
        assert checks and all(c.state == "valid" and c.signed and c.key for c in checks)
    doc = read_charter(SAMPLES / "riverside-cardiac-research-network.yaml").document
    assert doc is not None
    [entry] = doc.data["signoffs"]
    payload = signed_payload(doc.data["id"], entry, "rosa.farrell@heartwise.example")
    signers = SAMPLES / "allowed_signers"
    email = "rosa.farrell@heartwise.example"
    assert check_signature(payload, entry["signature"], email, signers).state == "valid"
    wrong = payload.replace(b"Chief Executive", b"Intern")
    assert wrong != payload
    assert check_signature(wrong, entry["signature"], email, signers).state == "bad-signature"
    assert check_signature(payload, entry["signature"], RAJ, signers).state == "unknown-signer"


def test_findings_for_check_name_the_signature_rules(cli: Any, repo: Path) -> None:
    from rmo_cli.rules.signoffs import verify_findings

    path = charter_path(repo)
    cli("sign", path, "--person", "jdoe", "--key", key(repo, "jane"))
    cli("sign", path, "--person", "rsmith", "--key", key(repo, "stranger"))
    edit(path, "U1NIU0lH", "U1NIU0lI")  # the first signature (jdoe's)
    doc = read_charter(path).document
    assert doc is not None
    findings = verify_findings(doc, repo / ".rmo" / "allowed_signers")
    assert [(f.rule, f.severity, f.pointer) for f in findings] == [
        ("signoff-bad-signature", "error", "/signoffs/0"),
        ("signoff-unknown-signer", "error", "/signoffs/1"),
        ("signoff-missing", "warning", "/parties/0"),
        ("signoff-missing", "warning", "/parties/1"),
    ]
    lines = doc.text.splitlines()
    assert lines[findings[1].line - 1].strip() == "- person: rsmith"
