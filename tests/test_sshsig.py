"""In-process SSH signature verification, with `ssh-keygen -Y verify` as the oracle.

Every case builds real keys, certificates and signatures with ssh-keygen, asks the
in-process verifier and ssh-keygen the same question, and requires the same answer.
"""

from __future__ import annotations

import base64
import calendar
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmo_cli.adapters import allowed_signers, sshsig

NS = "rmo-charter"
ALICE = "alice@acme.example"
BOB = "bob@globex.example"
MESSAGE = b"sha256:" + b"ab" * 32
# The verify time: 2026-11-23 12:00:00 UTC; certificates are valid 2025 to 2098.
NOW = calendar.timegm((2026, 11, 23, 12, 0, 0, 0, 0, 0))
NOW_TEXT = "20261123120000Z"


@dataclass
class Material:
    """Keys, certificates and signatures made once by ssh-keygen for the whole module."""

    folder: Path
    pubs: dict[str, str]
    sigs: dict[str, bytes]

    def pub(self, name: str) -> str:
        return self.pubs[name]


def _keygen(folder: Path, name: str, *args: str) -> Path:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-N", "", "-C", name, "-f", str(key), *args], check=True)
    return key


def _sign(key: Path, message: bytes, namespace: str = NS) -> bytes:
    payload = key.parent / f"payload-{key.name}-{namespace}"
    payload.write_bytes(message)
    subprocess.run(
        ["ssh-keygen", "-q", "-Y", "sign", "-n", namespace, "-f", str(key), str(payload)],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    return payload.with_name(payload.name + ".sig").read_bytes()


def _certify(folder: Path, ca: Path, key: Path, name: str, *args: str) -> Path:
    """A certificate of key signed by ca, named NAME-cert.pub next to a copy of the key."""
    copy = folder / name
    shutil.copy(key, copy)
    shutil.copy(key.with_suffix(".pub"), copy.with_suffix(".pub"))
    copy.chmod(0o600)
    subprocess.run(
        ["ssh-keygen", "-q", "-s", str(ca), "-I", name, *args, str(copy.with_suffix(".pub"))],
        check=True,
        capture_output=True,
    )
    return folder / f"{name}-cert.pub"


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Material:
    """Every test that uses ssh-keygen (as maker or oracle) asks for this: skipped without it."""
    if shutil.which("ssh-keygen") is None:
        pytest.skip("needs ssh-keygen")
    folder = tmp_path_factory.mktemp("sshsig")
    keys = {
        "ed25519": _keygen(folder, "ed25519", "-t", "ed25519"),
        "ecdsa": _keygen(folder, "ecdsa", "-t", "ecdsa", "-b", "256"),
        "ecdsa384": _keygen(folder, "ecdsa384", "-t", "ecdsa", "-b", "384"),
        "ecdsa521": _keygen(folder, "ecdsa521", "-t", "ecdsa", "-b", "521"),
        "rsa": _keygen(folder, "rsa", "-t", "rsa", "-b", "2048"),
        "stranger": _keygen(folder, "stranger", "-t", "ed25519"),
        "ca": _keygen(folder, "ca", "-t", "ed25519"),
        "rsaca": _keygen(folder, "rsaca", "-t", "rsa", "-b", "2048"),
        "user": _keygen(folder, "user", "-t", "ecdsa"),
    }
    pubs = {name: key.with_suffix(".pub").read_text().strip() for name, key in keys.items()}
    sigs = {name: _sign(key, MESSAGE) for name, key in keys.items() if name not in ("ca", "rsaca")}
    sigs["other-namespace"] = _sign(keys["ed25519"], MESSAGE, "file")
    sigs["sha256"] = _sign_sha256(keys["ed25519"])
    window = ("-V", "20250101Z:20990101Z")
    certs = {
        "cert": _certify(folder, keys["ca"], keys["user"], "cert", "-n", f"{ALICE},{BOB}", *window),
        "rsacert": _certify(
            folder, keys["rsaca"], keys["ed25519"], "rsacert", "-n", ALICE, *window
        ),
        # An RSA CA's SHA-1 ("ssh-rsa") signature, which OpenSSH still accepts on certificates.
        "sha1cert": _certify(
            folder, keys["rsaca"], keys["user"], "sha1cert", "-t", "ssh-rsa", "-n", ALICE, *window
        ),
        "expired": _certify(
            folder, keys["ca"], keys["user"], "expired", "-n", ALICE, "-V", "20200101Z:20200102Z"
        ),
        "future": _certify(
            folder, keys["ca"], keys["user"], "future", "-n", ALICE, "-V", "20300101Z:20310101Z"
        ),
        "host": _certify(folder, keys["ca"], keys["user"], "host", "-h", "-n", ALICE, *window),
        "noprincipal": _certify(folder, keys["ca"], keys["user"], "noprincipal", *window),
        "bobonly": _certify(folder, keys["ca"], keys["user"], "bobonly", "-n", BOB, *window),
        "wildcard": _certify(folder, keys["ca"], keys["user"], "wildcard", "-n", "*", *window),
        "strangerca": _certify(
            folder, keys["stranger"], keys["user"], "strangerca", "-n", ALICE, *window
        ),
    }
    for name, cert in certs.items():
        sigs[name] = _sign(cert, MESSAGE)
        pubs[name] = cert.read_text().strip()
    return Material(folder, pubs, sigs)


def _sign_sha256(key: Path) -> bytes:
    payload = key.parent / "payload-sha256"
    payload.write_bytes(MESSAGE)
    subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-Y",
            "sign",
            "-n",
            NS,
            "-O",
            "hashalg=sha256",
            "-f",
            str(key),
            str(payload),
        ],
        check=True,
        capture_output=True,
    )
    return payload.with_name(payload.name + ".sig").read_bytes()


def oracle(
    folder: Path, sig: bytes, message: bytes, principal: str, allowed: bytes, when: str = NOW_TEXT
) -> tuple[str, str | None]:
    """ssh-keygen's verdict: (state, fingerprint) with the states of sshsig.verify."""
    sig_file = folder / "oracle.sig"
    sig_file.write_bytes(sig)
    signers = folder / "oracle_signers"
    signers.write_bytes(allowed)
    verify = subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "verify",
            "-f",
            str(signers),
            "-I",
            principal,
            "-n",
            NS,
            "-s",
            str(sig_file),
            f"-Overify-time={when}",
        ],
        input=message,
        capture_output=True,
    )
    if verify.returncode == 0:
        found = re.search(rb"key (SHA256:\S+)", verify.stdout)
        return sshsig.VERIFIED, found.group(1).decode() if found else None
    intact = subprocess.run(
        ["ssh-keygen", "-Y", "check-novalidate", "-n", NS, "-s", str(sig_file)],
        input=message,
        capture_output=True,
    )
    return (sshsig.UNKNOWN_SIGNER if intact.returncode == 0 else sshsig.BAD_SIGNATURE), None


def in_process(
    sig: bytes, message: bytes, principal: str, allowed: bytes, when: int = NOW
) -> tuple[str, str | None]:
    verdict = sshsig.verify(sig, message, principal, allowed, NS, when)
    return verdict.status, verdict.fingerprint if verdict.status == sshsig.VERIFIED else None


def agree(
    material: Material,
    sig: bytes,
    principal: str,
    allowed: str | bytes,
    message: bytes = MESSAGE,
    when: int = NOW,
) -> str:
    """Assert both verifiers agree; return the state."""
    data = allowed.encode() if isinstance(allowed, str) else allowed
    text = _ssh_time(when)
    expected = oracle(material.folder, sig, message, principal, data, text)
    got = in_process(sig, message, principal, data, when)
    assert got == expected, (allowed, principal)
    return got[0]


def _ssh_time(seconds: int) -> str:
    import time

    return time.strftime("%Y%m%d%H%M%SZ", time.gmtime(seconds))


# --- plain keys -----------------------------------------------------------------------------

PLAIN = ["ed25519", "ecdsa", "ecdsa384", "ecdsa521", "rsa"]


@pytest.mark.parametrize("name", PLAIN)
def test_good_signature_of_each_key_type_verifies(material: Material, name: str) -> None:
    allowed = f"{ALICE} {material.pub(name)}\n"
    assert agree(material, material.sigs[name], ALICE, allowed) == sshsig.VERIFIED


@pytest.mark.parametrize("name", PLAIN)
def test_tampered_message_is_a_bad_signature(material: Material, name: str) -> None:
    allowed = f"{ALICE} {material.pub(name)}\n"
    tampered = MESSAGE[:-1] + b"0"
    assert agree(material, material.sigs[name], ALICE, allowed, tampered) == sshsig.BAD_SIGNATURE


def test_sha256_hash_algorithm_verifies(material: Material) -> None:
    allowed = f"{ALICE} {material.pub('ed25519')}\n"
    assert agree(material, material.sigs["sha256"], ALICE, allowed) == sshsig.VERIFIED


def test_wrong_namespace_is_a_bad_signature(material: Material) -> None:
    allowed = f"{ALICE} {material.pub('ed25519')}\n"
    sig = material.sigs["other-namespace"]
    assert agree(material, sig, ALICE, allowed) == sshsig.BAD_SIGNATURE


def test_key_not_listed_or_listed_for_another_is_an_unknown_signer(material: Material) -> None:
    listed = f"{ALICE} {material.pub('ed25519')}\n{BOB} {material.pub('rsa')}\n"
    assert agree(material, material.sigs["stranger"], ALICE, listed) == sshsig.UNKNOWN_SIGNER
    assert agree(material, material.sigs["rsa"], ALICE, listed) == sshsig.UNKNOWN_SIGNER
    assert agree(material, material.sigs["ed25519"], BOB, listed) == sshsig.UNKNOWN_SIGNER
    assert agree(material, material.sigs["ed25519"], ALICE, b"") == sshsig.UNKNOWN_SIGNER


def _armor(blob: bytes) -> bytes:
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return (
        "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + "\n-----END SSH SIGNATURE-----\n"
    ).encode()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(PLAIN + ["cert"]), position=st.integers(0, 10_000), bit=st.integers(0, 7)
)
def test_flipping_any_bit_of_the_signature_agrees_with_ssh_keygen(
    material: Material, name: str, position: int, bit: int
) -> None:
    blob = bytearray(sshsig.dearmor(material.sigs[name]))
    blob[position % len(blob)] ^= 1 << bit
    allowed = f"{ALICE} {material.pub(name)}\n* cert-authority {material.pub('ca')}\n"
    agree(material, _armor(bytes(blob)), ALICE, allowed)


ARMOR_CASES = [
    lambda s: s.replace(b"\n", b"\r\n"),
    lambda s: s.replace(b"-----\n", b"-----\n\n", 1),
    lambda s: b" " + s,
    lambda s: s.replace(b"-----END", b"----END"),
    lambda s: s[:-40] + s[-38:],
    lambda s: s + b"trailing text",
    lambda s: s.replace(b"\n", b"", 1),
    lambda s: s.replace(b"A", b"*", 1),
    lambda s: s.replace(b"\n-----END", b"=\n-----END"),
    lambda s: s.replace(b"\n-----END", b"AAAA\n-----END"),
    lambda s: b"",
]


@pytest.mark.parametrize("change", ARMOR_CASES)
def test_armour_variants_agree_with_ssh_keygen(
    material: Material, change: Callable[[bytes], bytes]
) -> None:
    allowed = f"{ALICE} {material.pub('ed25519')}\n"
    agree(material, change(material.sigs["ed25519"]), ALICE, allowed)


# --- principals and options -------------------------------------------------------------------

PRINCIPALS = [
    ALICE,
    f"{BOB},{ALICE}",
    "*@acme.example",
    "alice@*",
    "?lice@acme.example",
    "*",
    "!alice@acme.example,*",
    "*,!*@acme.example",
    "!bob@globex.example,*@acme.example",
    "ALICE@acme.example",
    "alice@acme.example.",
    f'"{ALICE}"',
    f'"x y,{ALICE}"',
    f"x{ALICE}",
    "",
    ",",
    "alice@acme.exampl?",
    "al*ce@acme.exam*le",
    "a*e*e*@*.e*",
]


@pytest.mark.parametrize("principals", PRINCIPALS)
def test_principal_patterns_agree_with_ssh_keygen(material: Material, principals: str) -> None:
    allowed = f"{principals} {material.pub('ed25519')}\n"
    agree(material, material.sigs["ed25519"], ALICE, allowed)


OPTIONS = [
    'namespaces="rmo-charter"',
    'namespaces="file,git"',
    'namespaces="rmo-*"',
    'namespaces="*,!rmo-charter"',
    'namespaces="git,rmo-charter"',
    'NAMESPACES="rmo-charter"',
    "namespaces=rmo-charter",
    'namespaces="rmo-charter",namespaces="rmo-charter"',
    'valid-after="20260101"',
    'valid-after="20261123120000Z"',
    'valid-after="20261123120001Z"',
    'valid-after="202611231201Z"',
    'valid-before="20261123120000Z"',
    'valid-before="20261123115959Z"',
    'valid-before="20270101"',
    'valid-before="20260101"',
    'valid-after="20250101",valid-before="20270101Z"',
    'valid-after="20250101UTC"',
    'valid-after="20250101z"',
    "valid-after=20250101",
    'valid-after="2025010"',
    'valid-after="20251301"',
    'valid-after="19700101Z"',
    'valid-after="19600101"',
    'valid-before="20260230"',
    'valid-after=" 2025 101"',
    'namespaces="rmo-charter",valid-after="20250101"',
    "cert-authority",
    "unknown-option",
    'namespaces="rmo-charter",',
    'namespaces="rmo-charter",,valid-after="20250101"',
    'namespaces="rmo charter"',
    'namespaces="rmo-\\"charter"',
    'namespaces="unterminated',
]


@pytest.mark.parametrize("options", OPTIONS)
def test_options_agree_with_ssh_keygen(material: Material, options: str) -> None:
    allowed = f"{ALICE} {options} {material.pub('ed25519')}\n"
    agree(material, material.sigs["ed25519"], ALICE, allowed)


def test_namespaces_allow_and_deny(material: Material) -> None:
    sig, key = material.sigs["ed25519"], material.pub("ed25519")
    allow = f'{ALICE} namespaces="git,rmo-charter" {key}\n'
    deny = f'{ALICE} namespaces="git,file" {key}\n'
    assert agree(material, sig, ALICE, allow) == sshsig.VERIFIED
    assert agree(material, sig, ALICE, deny) == sshsig.UNKNOWN_SIGNER


@pytest.mark.parametrize("offset", [-86400, -1, 0, 1, 86400])
def test_validity_window_around_the_verify_time(material: Material, offset: int) -> None:
    sig, key = material.sigs["ed25519"], material.pub("ed25519")
    edge = _ssh_time(NOW)
    after = f'{ALICE} valid-after="{edge}" {key}\n'
    before = f'{ALICE} valid-before="{edge}" {key}\n'
    assert agree(material, sig, ALICE, after, when=NOW + offset) == (
        sshsig.VERIFIED if offset >= 0 else sshsig.UNKNOWN_SIGNER
    )
    assert agree(material, sig, ALICE, before, when=NOW + offset) == (
        sshsig.VERIFIED if offset <= 0 else sshsig.UNKNOWN_SIGNER
    )


FILES = [
    # A line that does not allow the signature never hides a later one that does.
    ('{who} namespaces="git" {key}\n{who} {key}\n', ALICE),
    ('{who} valid-before="20200101" {key}\n{who} valid-after="20250101" {key}\n', ALICE),
    ("{who} {other}\n*@acme.example {key}\n", ALICE),
    ("{who} {key}\r\n", ALICE),
    ("# comment\n\n   # indented comment\n{who} {key} comment with words\n", ALICE),
    # `?` is one byte, so a two-byte letter needs two.
    ("?@acme.example {key}\n", "\u00e9@acme.example"),
    ("??@acme.example {key}\n", "\u00e9@acme.example"),
    ("\u00e9@acme.example {key}\n", "\u00e9@acme.example"),
    ("*@acme.example {key}\n", "\u00e9@acme.example"),
    ("{who} {key}\n", "Alice@acme.example"),
    ("{who} {key}\n", "alice@acme.example "),
]


@pytest.mark.parametrize(("template", "principal"), FILES)
def test_whole_files_agree_with_ssh_keygen(
    material: Material, template: str, principal: str
) -> None:
    text = template.format(who=ALICE, key=material.pub("ed25519"), other=material.pub("rsa"))
    agree(material, material.sigs["ed25519"], principal, text)


# --- certificates -----------------------------------------------------------------------------

CERT_CASES = [
    ("cert", ALICE, sshsig.VERIFIED),
    ("cert", BOB, sshsig.VERIFIED),
    ("cert", "carol@acme.example", sshsig.UNKNOWN_SIGNER),
    ("rsacert", ALICE, sshsig.VERIFIED),
    ("sha1cert", ALICE, sshsig.VERIFIED),
    ("expired", ALICE, sshsig.UNKNOWN_SIGNER),
    ("future", ALICE, sshsig.UNKNOWN_SIGNER),
    ("host", ALICE, sshsig.UNKNOWN_SIGNER),
    ("noprincipal", ALICE, sshsig.UNKNOWN_SIGNER),
    ("bobonly", ALICE, sshsig.UNKNOWN_SIGNER),
    ("wildcard", ALICE, sshsig.UNKNOWN_SIGNER),
    ("strangerca", ALICE, sshsig.UNKNOWN_SIGNER),
]


@pytest.mark.parametrize(("cert", "principal", "state"), CERT_CASES)
def test_certificates_under_a_cert_authority(
    material: Material, cert: str, principal: str, state: str
) -> None:
    allowed = (
        f"*@acme.example,*@globex.example cert-authority {material.pub('ca')}\n"
        f'{ALICE} cert-authority,namespaces="rmo-charter" {material.pub("rsaca")}\n'
    )
    assert agree(material, material.sigs[cert], principal, allowed) == state


@pytest.mark.parametrize("offset", [-86401, -86400, -1, 0, 1])
def test_certificate_validity_edges(material: Material, offset: int) -> None:
    """The "expired" certificate is valid from 2020-01-01 (inclusive) to 2020-01-02
    (exclusive), whatever the allowed signers line says."""
    end = calendar.timegm((2020, 1, 2, 0, 0, 0, 0, 0, 0))
    allowed = f"{ALICE} cert-authority {material.pub('ca')}\n"
    state = agree(material, material.sigs["expired"], ALICE, allowed, when=end + offset)
    assert state == (sshsig.VERIFIED if -86400 <= offset < 0 else sshsig.UNKNOWN_SIGNER)


def test_certificate_fingerprint_is_the_plain_keys(material: Material) -> None:
    allowed = f"{ALICE} cert-authority {material.pub('ca')}\n"
    verdict = sshsig.verify(material.sigs["cert"], MESSAGE, ALICE, allowed.encode(), NS, NOW)
    plain = sshsig.verify(
        material.sigs["user"], MESSAGE, ALICE, f"{ALICE} {material.pub('user')}".encode(), NS, NOW
    )
    assert verdict.status == plain.status == sshsig.VERIFIED
    assert verdict.fingerprint == plain.fingerprint


@pytest.mark.parametrize(
    "line",
    [
        "{ALICE} {ca}",  # the CA key without cert-authority does not sign certificates
        "{ALICE} cert-authority {user}",  # the certificate's own key is not its CA
        "{ALICE} {user}",  # the plain key does not match its certificate
        "{ALICE} {cert}",  # the very certificate listed as a key matches
        "{ALICE} cert-authority {cert}",
        '{ALICE} cert-authority,namespaces="git" {ca}',
        '{ALICE} cert-authority,valid-before="20260601" {ca}',
        "{BOB} cert-authority {ca}",
    ],
)
def test_certificate_line_variants(material: Material, line: str) -> None:
    allowed = line.format(
        ALICE=ALICE,
        BOB=BOB,
        ca=material.pub("ca"),
        user=material.pub("user"),
        cert=material.pub("cert"),
    )
    agree(material, material.sigs["cert"], ALICE, allowed + "\n")
    agree(material, material.sigs["user"], ALICE, allowed + "\n")


# --- malformed allowed signers files ------------------------------------------------------------

MALFORMED = [
    "",
    "# just a comment",
    "   \t",
    "{ALICE}",
    "{ALICE} ",
    "{ALICE} ssh-ed25519",
    "{ALICE} ssh-ed25519 AAAA",
    "{ALICE} ssh-ed25519 !!!notbase64",
    "{ALICE} ssh-rsa {ed25519_b64}",
    "{ALICE} rsa-sha2-256 {rsa_b64}",
    "{ALICE} rsa-sha2-512 {rsa_b64}",
    "{ALICE} RSA {rsa_b64}",
    "{ALICE} rsa-sha2-256 {ed25519_b64}",
    "{ALICE} ED25519 {ed25519_b64}",
    "{ALICE} ssh-ed25519 {ed25519_b64}garbage",
    "{ALICE} ssh-ed25519 {ed25519_b64}=",
    '"{ALICE} ssh-ed25519 {ed25519_b64}',
    '{ALICE} namespaces="x ssh-ed25519 {ed25519_b64}',
    "{ALICE} cert-authority,cert-authority {ed25519}",
    "{ALICE} cert-authorityx {ed25519}",
    '{ALICE} foo="bar" {ed25519}',
    "{ALICE}\t{ed25519}",
    "{ALICE}  \t {ed25519} trailing comment words",
    "  {ALICE} {ed25519}\r",
    "{ALICE} {ed25519}\0tail",
    "{ALICE}\0 {ed25519}",
    "\u00e9\u00e8 {ed25519}",
    '{ALICE} valid-after="20250101" valid-before="20270101" {ed25519}',
    '{ALICE} namespaces="rmo-charter"{ed25519}',
    "{ALICE}" + ",x" * 600 + " {ed25519}",
    "x" * 1100 + ",{ALICE} {ed25519}",
]


@pytest.mark.parametrize("line", MALFORMED)
def test_malformed_lines_agree_with_ssh_keygen(material: Material, line: str) -> None:
    ed25519 = material.pub("ed25519")
    text = line.format(
        ALICE=ALICE,
        ed25519=ed25519,
        ed25519_b64=ed25519.split()[1],
        rsa_b64=material.pub("rsa").split()[1],
    )
    agree(material, material.sigs["ed25519"], ALICE, text.encode() + b"\n")
    agree(material, material.sigs["rsa"], ALICE, text.encode() + b"\n")
    # A malformed line never hides the good lines after it.
    good = f"{ALICE} {ed25519}\n".encode()
    assert agree(material, material.sigs["ed25519"], ALICE, text.encode() + b"\n" + good) == (
        sshsig.VERIFIED
    )


FRAGMENTS = st.sampled_from(
    [
        ALICE,
        "*",
        "!",
        ",",
        " ",
        "\t",
        '"',
        "=",
        "cert-authority",
        "namespaces=",
        "valid-after=",
        '"rmo-charter"',
        '"20250101"',
        "#",
        "\\",
        "ssh-ed25519",
        "AAAA",
        "\n",
        "\r",
        "\u00e9",
        "x",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(st.one_of(FRAGMENTS, st.sampled_from(["{key}", "{ca}"])), max_size=8))
def test_generated_lines_agree_with_ssh_keygen(material: Material, parts: list[str]) -> None:
    line = (
        "".join(parts).replace("{key}", material.pub("ed25519")).replace("{ca}", material.pub("ca"))
    )
    agree(material, material.sigs["ed25519"], ALICE, line)
    agree(material, material.sigs["cert"], ALICE, line)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), principal=st.text(max_size=20))
def test_arbitrary_bytes_never_crash(data: bytes, principal: str) -> None:
    allowed_signers.parse_allowed_signers(data, principal.encode("utf-8", "surrogatepass"))
    verdict = sshsig.verify(data, MESSAGE, principal, data, NS, NOW)
    assert verdict.status == sshsig.BAD_SIGNATURE


def test_parse_time_matches_the_documented_forms() -> None:
    assert allowed_signers.parse_time(b"20261123Z") == calendar.timegm(
        (2026, 11, 23, 0, 0, 0, 0, 0, 0)
    )
    assert allowed_signers.parse_time(b"202611231201Z") == NOW + 60
    assert allowed_signers.parse_time(b"20261123120000utc") == NOW
    assert allowed_signers.parse_time(b"2026112") is None
    assert allowed_signers.parse_time(b"2026112x") is None


# --- the wiring in rmo_cli.adapters.ssh ------------------------------------------------------


def test_check_signature_falls_back_to_ssh_keygen_for_dsa(material: Material) -> None:
    """DSA (like sk-* keys) is not verified in-process: ssh-keygen still decides."""
    from rmo_cli.adapters.ssh import check_signature

    folder = material.folder
    try:
        dsa = _keygen(folder, "dsa", "-t", "dsa")
        sig = _sign(dsa, MESSAGE).decode()
    except subprocess.CalledProcessError:
        pytest.skip("this ssh-keygen has no DSA")
    assert sshsig.verify(sig.encode(), MESSAGE, ALICE, b"", NS, NOW).status == sshsig.UNSUPPORTED
    signers = folder / "dsa_signers"
    signers.write_text(f"{ALICE} {dsa.with_suffix('.pub').read_text()}")
    message = MESSAGE
    assert check_signature(message, sig, ALICE, signers).state == "valid"
    assert check_signature(message, sig, BOB, signers).state == "unknown-signer"
    assert check_signature(message[:-1] + b"0", sig, ALICE, signers).state == "bad-signature"


@pytest.mark.parametrize("name", ["ed25519", "rsa", "cert"])
def test_check_signature_states(material: Material, name: str, tmp_path: Path) -> None:
    from rmo_cli.adapters.ssh import check_signature

    signers = tmp_path / "allowed_signers"
    signers.write_text(
        f"{ALICE} {material.pub(name)}\n{ALICE} cert-authority {material.pub('ca')}\n"
    )
    sig, message = material.sigs[name].decode(), MESSAGE
    good = check_signature(message, sig, ALICE, signers)
    assert good.state == "valid" and good.key and good.key.startswith("SHA256:")
    assert good.detail == f"signature verified (key {good.key})"
    assert check_signature(message, sig.rstrip("\n"), ALICE, signers).state == "valid"
    assert check_signature(message + b"x", sig, ALICE, signers).state == "bad-signature"
    unknown = check_signature(message, sig, BOB, signers)
    assert (unknown.state, unknown.detail) == (
        "unknown-signer",
        f"the signing key is not allowed for {BOB} in {signers}",
    )
    assert unknown.key == good.key  # intact: the key is known, only not allowed
    assert check_signature(message, sig, ALICE, None).state == "unknown-signer"
    assert check_signature(message, sig, ALICE, tmp_path / "missing").state == "unknown-signer"
    assert check_signature(message, sig, None, signers).state == "unknown-signer"
