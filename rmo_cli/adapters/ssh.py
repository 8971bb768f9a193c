"""ssh-keygen: SSH signing and verification of sign-offs (namespace rmo-charter)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rmo_cli.support.errors import RmoError
from rmo_cli.support.vocabulary import BAD_SIGNATURE, SIGNATURE_NAMESPACE, UNKNOWN_SIGNER, VALID

if TYPE_CHECKING:
    pass


def _ssh_keygen() -> str:
    """The ssh-keygen executable, or an RmoError saying how to get it."""
    exe = shutil.which("ssh-keygen")
    if exe is None:
        raise RmoError(
            "ssh-keygen not found: install the OpenSSH client (8.2 or later) to sign or "
            "verify SSH signatures"
        )
    return exe


def check_signature(
    message: str, signature: str, email: str | None, signers: Path | None
) -> tuple[str, str]:
    """(state, detail) of an SSH signature of message: valid, bad-signature or unknown-signer.

    The signature must be intact for message in namespace rmo-charter (else bad-signature),
    and its key allowed for the email in the signers file (else unknown-signer).
    """
    exe = _ssh_keygen()
    # In-process first (ssh-keygen -Y verify semantics, verify time now as ssh-keygen's
    # default); ssh-keygen itself only for key types that module does not verify (sk-*, DSA).
    from rmo_cli.adapters import sshsig

    allowed: bytes | None = None
    if signers is not None and signers.is_file() and email:
        try:
            allowed = signers.read_bytes()
        except OSError:
            allowed = b""  # unreadable: no key is allowed, as with ssh-keygen
    armored = (signature if signature.endswith("\n") else signature + "\n").encode("utf-8")
    payload, now = message.encode("utf-8"), int(time.time())
    verdict = sshsig.verify(armored, payload, email or "", allowed, SIGNATURE_NAMESPACE, now)
    if verdict.status == sshsig.VERIFIED:
        return VALID, "signature verified"
    intact_ok = verdict.status == sshsig.UNKNOWN_SIGNER
    if verdict.status == sshsig.UNSUPPORTED:
        with tempfile.TemporaryDirectory(prefix="rmo-verify-") as tmp:
            sig = Path(tmp) / "signoff.sig"
            sig.write_bytes(armored)
            if allowed is not None and signers is not None and email:
                verify = ["-Y", "verify", "-f", str(signers), "-I", email]
                verify += ["-n", SIGNATURE_NAMESPACE, "-s", str(sig)]
                if _run([exe, *verify], message).returncode == 0:
                    return VALID, "signature verified"
            intact = _run(
                [exe, "-Y", "check-novalidate", "-n", SIGNATURE_NAMESPACE, "-s", str(sig)],
                message,
            )
        intact_ok = intact.returncode == 0
    if not intact_ok:
        return BAD_SIGNATURE, "the SSH signature does not match the sign-off's fingerprint"
    if signers is None:
        return UNKNOWN_SIGNER, (
            "no allowed signers file is configured (set 'signers' in rmo.yaml), "
            "so the signature's key cannot be trusted"
        )
    if not signers.is_file():
        return UNKNOWN_SIGNER, f"the allowed signers file {signers} does not exist"
    if not email:
        return UNKNOWN_SIGNER, "the person has no email to check the signature for"
    return UNKNOWN_SIGNER, f"the signing key is not allowed for {email} in {signers}"


def _run(args: list[str], stdin: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(args, input=stdin.encode("utf-8"), capture_output=True, check=False)
    except OSError as exc:
        raise RmoError(f"cannot run ssh-keygen: {exc.strerror or exc}") from None


def ssh_sign(message: str, key: Path) -> str:
    """The armoured SSH signature (namespace rmo-charter) of message's exact UTF-8 bytes.

    key is a private key file, or a public key whose private half is in ssh-agent.
    """
    exe = _ssh_keygen()
    if not Path(key).is_file():
        raise RmoError(f"--key: {key}: no such key file")
    with tempfile.TemporaryDirectory(prefix="rmo-sign-") as tmp:
        payload = Path(tmp) / "fingerprint"
        payload.write_bytes(message.encode("utf-8"))
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
