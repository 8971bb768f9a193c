"""SSH signatures verified in-process: `ssh-keygen -Y verify` semantics without a process.

Follows OpenSSH 9.x sshsig.c: the armoured SSHSIG format (PROTOCOL.sshsig), its check
against the message and namespace, and `verify`, which asks the allowed signers file
(`allowed_signers.py`) whether the signing key (`ssh_keys.py`) may sign for the principal.
Keys this does not verify (sk-*, DSA) give UNSUPPORTED, so the caller can ask ssh-keygen.
The three modules are tested as a whole against ssh-keygen (tests/test_sshsig.py).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from rmo_cli.adapters.allowed_signers import AllowedSigner, find_signer, parse_allowed_signers
from rmo_cli.adapters.ssh_keys import (
    RSA,
    Malformed,
    PublicKey,
    Reader,
    Unsupported,
    b64decode,
    parse_public_key,
    wire_string,
)

# Verdicts of `verify`.
VERIFIED = "verified"
BAD_SIGNATURE = "bad-signature"
UNKNOWN_SIGNER = "unknown-signer"
UNSUPPORTED = "unsupported"

_BEGIN = b"-----BEGIN SSH SIGNATURE-----"
_END = b"\n-----END SSH SIGNATURE-----"
_MAGIC = b"SSHSIG"
_SIG_VERSION = 1
_HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}


@dataclass(frozen=True)
class Verdict:
    """The outcome of `verify`: status, and the signing key's fingerprint when intact."""

    status: str
    fingerprint: str | None = None
    reason: str = ""


def dearmor(armored: bytes) -> bytes:
    """The SSHSIG blob inside an armoured signature (sshsig_dearmor)."""
    # OpenSSH 9.2 wants LF after the header (9.4 and later also take CRLF there).
    if not armored.startswith(_BEGIN + b"\n"):
        raise Malformed("missing header")
    body = armored[len(_BEGIN) + 1 :]
    end = body.find(_END)
    if end == -1:
        raise Malformed("missing footer")
    body = body[:end]
    if b"\0" in body:
        raise Malformed("NUL in signature")
    return b64decode(body)


@dataclass(frozen=True)
class Signature:
    """A parsed SSHSIG blob (PROTOCOL.sshsig)."""

    key: PublicKey
    namespace: bytes
    hash_algorithm: str
    signature: bytes


def parse_signature(armored: bytes) -> Signature:
    """An armoured SSH signature, parsed; raises Malformed or Unsupported."""
    reader = Reader(dearmor(armored))
    if reader.take(len(_MAGIC)) != _MAGIC:
        raise Malformed("not an SSH signature")
    if reader.u32() > _SIG_VERSION:
        raise Malformed("unsupported signature version")
    key_blob = reader.string()
    namespace = reader.cstring()
    reader.string()  # reserved
    hash_algorithm = reader.cstring().decode("latin-1")
    signature = reader.string()
    reader.end()
    if hash_algorithm not in _HASHES:
        raise Malformed(f"unsupported hash algorithm {hash_algorithm}")
    return Signature(parse_public_key(key_blob), namespace, hash_algorithm, signature)


def check_signature(armored: bytes, message: bytes, namespace: str) -> PublicKey:
    """The signing key when armored is an intact signature of message in namespace
    (`ssh-keygen -Y check-novalidate`); raises Malformed (not intact) or Unsupported."""
    sig = parse_signature(armored)
    if sig.namespace != namespace.encode("utf-8"):
        raise Malformed("namespace does not match")
    digest = _HASHES[sig.hash_algorithm](message).digest()
    signed = (
        _MAGIC
        + wire_string(sig.namespace)
        + wire_string(b"")
        + wire_string(sig.hash_algorithm.encode())
        + wire_string(digest)
    )
    allowed = ("rsa-sha2-512", "rsa-sha2-256") if sig.key.plain_type == RSA else None
    if not sig.key.verify(sig.signature, signed, allowed):
        raise Malformed("signature does not verify")
    return sig.key


@functools.lru_cache(maxsize=16)
def _all_signers(text: bytes) -> tuple[AllowedSigner, ...]:
    """Every usable line of a file's content, parsed once per content."""
    return tuple(parse_allowed_signers(text))


def verify(
    armored: bytes,
    message: bytes,
    principal: str,
    allowed_signers: bytes | None,
    namespace: str,
    verify_time: int,
) -> Verdict:
    """`ssh-keygen -Y verify -f FILE -I principal -n namespace -Overify-time=...`, in-process.

    allowed_signers is the file's content (None: no file, so no signer is known).
    """
    try:
        key = check_signature(armored, message, namespace)
    except Unsupported as exc:
        return Verdict(UNSUPPORTED, reason=f"unsupported key type {exc}")
    except Malformed as exc:
        return Verdict(BAD_SIGNATURE, reason=str(exc))
    fingerprint = key.fingerprint()
    if allowed_signers is None or not principal:
        return Verdict(UNKNOWN_SIGNER, fingerprint, "no allowed signers")
    wanted = principal.encode("utf-8")
    entries = _all_signers(allowed_signers)
    if find_signer(entries, key, wanted, namespace.encode("utf-8"), verify_time) is None:
        return Verdict(UNKNOWN_SIGNER, fingerprint, f"no allowed signer for {principal}")
    return Verdict(VERIFIED, fingerprint)
