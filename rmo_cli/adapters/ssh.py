"""ssh-keygen: SSH signing and verification of sign-offs (namespace rmo-charter)."""

from __future__ import annotations

import calendar
import datetime as dt
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rmo_cli.support.errors import RmoError
from rmo_cli.support.vocabulary import BAD_SIGNATURE, SIGNATURE_NAMESPACE, UNKNOWN_SIGNER, VALID


def _ssh_keygen() -> str:
    """The ssh-keygen executable, or an RmoError saying how to get it."""
    exe = shutil.which("ssh-keygen")
    if exe is None:
        raise RmoError(
            "ssh-keygen not found: install the OpenSSH client (8.2 or later) to sign or "
            "verify SSH signatures"
        )
    return exe


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one SSH signature: state, why, and the signing key when intact."""

    state: str
    detail: str
    key: str | None = None  # the key's SHA256 fingerprint, when the signature is intact


def _day_bounds(day: dt.date | None) -> tuple[int, ...]:
    """Verify times for a sign-off dated day: its first and last second (UTC); now if undated.

    A key or certificate valid at any of them is valid "on the sign-off's date" (SPEC §6).
    """
    if day is None:
        return (int(time.time()),)
    start = calendar.timegm((day.year, day.month, day.day, 0, 0, 0, 0, 0, 0))
    return (start, start + 86399)


def check_signature(
    message: bytes,
    signature: str,
    email: str | None,
    signers: Path | None,
    day: dt.date | None = None,
) -> SignatureCheck:
    """Verify an SSH signature of message: valid, bad-signature or unknown-signer.

    The signature must be intact for message in namespace rmo-charter (else bad-signature),
    and its key allowed for email in the signers file on day, the sign-off's date (else
    unknown-signer), with `ssh-keygen -Y verify` semantics.
    """
    # In-process (ssh-keygen -Y verify semantics); ssh-keygen itself only for key types
    # that module does not verify (sk-*, DSA).
    from rmo_cli.adapters import sshsig

    allowed: bytes | None = None
    if signers is not None and signers.is_file() and email:
        try:
            allowed = signers.read_bytes()
        except OSError:
            allowed = b""  # unreadable: no key is allowed, as with ssh-keygen
    armored = (signature if signature.endswith("\n") else signature + "\n").encode("utf-8")
    verdict = sshsig.Verdict(sshsig.UNKNOWN_SIGNER)
    for when in _day_bounds(day):
        verdict = sshsig.verify(armored, message, email or "", allowed, SIGNATURE_NAMESPACE, when)
        if verdict.status != sshsig.UNKNOWN_SIGNER:
            break
    if verdict.status == sshsig.VERIFIED:
        return SignatureCheck(
            VALID, f"signature verified (key {verdict.fingerprint})", verdict.fingerprint
        )
    intact_ok = verdict.status == sshsig.UNKNOWN_SIGNER
    if verdict.status == sshsig.UNSUPPORTED:
        by_ssh_keygen = _check_with_ssh_keygen(armored, message, email, allowed, signers, day)
        if by_ssh_keygen is None:
            return SignatureCheck(VALID, "signature verified")
        intact_ok = by_ssh_keygen
    if not intact_ok:
        return SignatureCheck(BAD_SIGNATURE, "the SSH signature does not match the sign-off record")
    key = verdict.fingerprint
    if signers is None:
        why = (
            "no allowed signers file is configured (set 'signers' in rmo.yaml), "
            "so the signature's key cannot be trusted"
        )
    elif not signers.is_file():
        why = f"the allowed signers file {signers} does not exist"
    elif not email:
        why = "the person has no email to check the signature for"
    else:
        on = f" on {day.isoformat()}" if day is not None else ""
        why = f"the signing key is not allowed for {email}{on} in {signers}"
    return SignatureCheck(UNKNOWN_SIGNER, why, key)


def _check_with_ssh_keygen(
    armored: bytes,
    message: bytes,
    email: str | None,
    allowed: bytes | None,
    signers: Path | None,
    day: dt.date | None,
) -> bool | None:
    """ssh-keygen's verdict for key types sshsig does not handle: None when it verifies,
    else whether the signature is intact."""
    exe = _ssh_keygen()
    with tempfile.TemporaryDirectory(prefix="rmo-verify-") as tmp:
        sig = Path(tmp) / "signoff.sig"
        sig.write_bytes(armored)
        if allowed is not None and signers is not None and email:
            for when in _day_bounds(day):
                stamp = time.strftime("%Y%m%d%H%M%SZ", time.gmtime(when))
                verify = ["-Y", "verify", "-f", str(signers), "-I", email]
                verify += ["-n", SIGNATURE_NAMESPACE, "-s", str(sig), f"-Overify-time={stamp}"]
                if _run([exe, *verify], message).returncode == 0:
                    return None
        intact = _run(
            [exe, "-Y", "check-novalidate", "-n", SIGNATURE_NAMESPACE, "-s", str(sig)], message
        )
    return intact.returncode == 0


def _run(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(args, input=stdin, capture_output=True, check=False)
    except OSError as exc:
        raise RmoError(f"cannot run ssh-keygen: {exc.strerror or exc}") from None


def ssh_sign(message: bytes, key: Path) -> str:
    """The armoured SSH signature (namespace rmo-charter) of message's exact bytes.

    key is a private key file, or a public key whose private half is in ssh-agent.
    """
    exe = _ssh_keygen()
    if not Path(key).is_file():
        raise RmoError(f"--key: {key}: no such key file")
    with tempfile.TemporaryDirectory(prefix="rmo-sign-") as tmp:
        payload = Path(tmp) / "signoff"
        payload.write_bytes(message)
        try:
            # stdin stays the terminal so ssh-keygen can ask for a passphrase.
            done = subprocess.run(
                [exe, "-Y", "sign", "-n", SIGNATURE_NAMESPACE, "-f", str(key), str(payload)],
                capture_output=True,
                check=False,
            )
        except OSError as exc:
            raise RmoError(f"cannot run ssh-keygen: {exc.strerror or exc}") from None
        sig = payload.with_name(payload.name + ".sig")
        if done.returncode != 0 or not sig.is_file():
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            last = reason[-1] if reason else f"exit status {done.returncode}"
            raise RmoError(f"ssh-keygen could not sign with {key}: {last}")
        return sig.read_text(encoding="utf-8")
