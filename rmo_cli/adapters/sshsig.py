"""SSH signatures verified in-process: `ssh-keygen -Y verify` semantics without a process.

Two parts, both following OpenSSH 9.x (sshsig.c, sshkey.c, misc.c, match.c):
- the armoured SSHSIG format (PROTOCOL.sshsig) and the public keys and certificates
  (PROTOCOL.certkeys) it may carry, verified with `cryptography`;
- the allowed signers file (man ssh-keygen, ALLOWED SIGNERS) and its matching.

Supported: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa (rsa-sha2-256/512 signatures)
and their `*-cert-v01@openssh.com` certificates. Security keys (sk-*) and DSA are reported
as UNSUPPORTED so that the caller can ask ssh-keygen instead; they are never guessed at.

Over 500 lines on purpose: one verifier mirroring OpenSSH's sources file by file, tested as a
whole against ssh-keygen; splitting it would scatter the parts that must agree.
"""

from __future__ import annotations

import base64
import calendar
import functools
import hashlib
import re
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

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

_ED25519 = "ssh-ed25519"
_RSA = "ssh-rsa"
_CURVES: dict[str, tuple[str, ec.EllipticCurve, hashes.HashAlgorithm]] = {
    "ecdsa-sha2-nistp256": ("nistp256", ec.SECP256R1(), hashes.SHA256()),
    "ecdsa-sha2-nistp384": ("nistp384", ec.SECP384R1(), hashes.SHA384()),
    "ecdsa-sha2-nistp521": ("nistp521", ec.SECP521R1(), hashes.SHA512()),
}
_CERT_SUFFIX = "-cert-v01@openssh.com"
_PLAIN_TYPES = (_ED25519, _RSA, *_CURVES)
_UNSUPPORTED_TYPES = (
    "ssh-dss",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
_RSA_HASHES: dict[str, hashes.HashAlgorithm] = {
    "rsa-sha2-256": hashes.SHA256(),
    "rsa-sha2-512": hashes.SHA512(),
    "ssh-rsa": hashes.SHA1(),  # accepted by OpenSSH for a CA's signature on a certificate
}
_RSA_MIN_BITS = 1024  # SSH_RSA_MINIMUM_MODULUS_SIZE
_RSA_MAX_BITS = 16384
_MAX_BIGNUM = 16384 // 8
_MAX_PRINCIPALS = 256
_CERT_USER = 1
_CERT_HOST = 2
_C_SPACE = b" \t\n\v\f\r"  # isspace() in the C locale
_BLANK = re.compile(rb"[ \t]")
_DELIMITER = re.compile(rb'[ \t\r\n"]')


class Malformed(ValueError):
    """The bytes are not a well-formed key, certificate or signature."""


class Unsupported(ValueError):
    """A key or signature algorithm this module does not verify (sk-*, DSA)."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of `verify`: status, and the signing key's fingerprint when intact."""

    status: str
    fingerprint: str | None = None
    reason: str = ""


# --- wire format -----------------------------------------------------------------------------


class _Reader:
    """SSH wire-format reader (RFC 4251 §5) over bytes; every fault is Malformed."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise Malformed("truncated")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def u64(self) -> int:
        return int(struct.unpack(">Q", self.take(8))[0])

    def string(self) -> bytes:
        return self.take(self.u32())

    def cstring(self) -> bytes:
        """A string that holds text: a NUL is allowed only as its last byte (sshbuf)."""
        value = self.string()
        nul = value.find(b"\0")
        if nul != -1 and nul != len(value) - 1:
            raise Malformed("NUL inside a string")
        return value[:nul] if nul != -1 else value

    def mpint(self) -> int:
        value = self.string()
        if value and value[0] & 0x80:
            raise Malformed("negative number")
        value = value.lstrip(b"\0")
        if len(value) > _MAX_BIGNUM:
            raise Malformed("number too large")
        return int.from_bytes(value, "big")

    def rest(self) -> int:
        return len(self.data) - self.pos

    def end(self) -> None:
        if self.pos != len(self.data):
            raise Malformed("trailing data")


def _string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def _mpint(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    if raw and raw[0] & 0x80:
        raw = b"\0" + raw
    return _string(raw)


# --- public keys and certificates -----------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    """The parts of an OpenSSH certificate that signature checks need."""

    blob: bytes
    cert_type: int
    key_id: bytes
    principals: tuple[bytes, ...]
    valid_after: int
    valid_before: int
    ca: PublicKey


@dataclass(frozen=True)
class PublicKey:
    """An SSH public key: its plain type, key material, and certificate if it is one."""

    plain_type: str
    material: tuple[Any, ...]
    cert: Certificate | None = None

    @property
    def type(self) -> str:
        """The key's type name as written in a key file (a certificate's name if one)."""
        return self.plain_type + _CERT_SUFFIX if self.cert else self.plain_type

    def plain_blob(self) -> bytes:
        """The wire encoding of the plain key (a certificate's key without the certificate)."""
        name = _string(self.plain_type.encode())
        if self.plain_type == _ED25519:
            return name + _string(bytes(self.material[0]))
        if self.plain_type == _RSA:
            e, n = self.material
            return name + _mpint(int(e)) + _mpint(int(n))
        curve_name, x, y = self.material
        size = (_CURVES[self.plain_type][1].key_size + 7) // 8
        point = b"\x04" + int(x).to_bytes(size, "big") + int(y).to_bytes(size, "big")
        return name + _string(str(curve_name).encode()) + _string(point)

    def fingerprint(self) -> str:
        """`SHA256:...` as ssh-keygen prints it (of the plain key for a certificate)."""
        digest = hashlib.sha256(self.plain_blob()).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    def same_public(self, other: PublicKey) -> bool:
        """sshkey_equal_public: same plain type and key material (certificates ignored)."""
        return self.plain_type == other.plain_type and self.material == other.material

    def same_key(self, other: PublicKey) -> bool:
        """sshkey_equal: same type, material and, for certificates, the same certificate."""
        if not self.same_public(other) or (self.cert is None) != (other.cert is None):
            return False
        return self.cert is None or other.cert is None or self.cert.blob == other.cert.blob

    def verify(self, blob: bytes, data: bytes, allowed: tuple[str, ...] | None = None) -> bool:
        """Whether blob (an SSH signature: algorithm name + bytes) signs data with this key.

        allowed, when given, lists the signature algorithm names that are acceptable.
        """
        reader = _Reader(blob)
        try:
            algorithm = reader.cstring().decode("ascii")
            raw = reader.string()
            reader.end()
        except (Malformed, UnicodeDecodeError):
            return False
        if allowed is not None and algorithm not in allowed:
            return False
        try:
            if self.plain_type == _ED25519:
                if algorithm != _ED25519:
                    return False
                Ed25519PublicKey.from_public_bytes(bytes(self.material[0])).verify(raw, data)
            elif self.plain_type == _RSA:
                digest = _RSA_HASHES.get(algorithm)
                if digest is None:
                    return False
                e, n = (int(v) for v in self.material)
                size = (n.bit_length() + 7) // 8
                if len(raw) > size:
                    return False
                public = rsa.RSAPublicNumbers(e, n).public_key()
                public.verify(raw.rjust(size, b"\0"), data, padding.PKCS1v15(), digest)
            else:
                if algorithm != self.plain_type:
                    return False
                inner = _Reader(raw)
                r, s = inner.mpint(), inner.mpint()
                inner.end()
                _, curve, digest = _CURVES[self.plain_type]
                x, y = (int(v) for v in self.material[1:])
                public_ec = ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
                public_ec.verify(encode_dss_signature(r, s), data, ec.ECDSA(digest))
        except (InvalidSignature, Malformed, ValueError, UnsupportedAlgorithm):
            # UnsupportedAlgorithm: an OpenSSL policy that refuses SHA-1 (ssh-rsa CA signatures).
            return False
        return True


def _parse_plain(reader: _Reader, plain_type: str) -> tuple[Any, ...]:
    """The key material of a plain_type key at reader's position (after the type name)."""
    if plain_type == _ED25519:
        pk = reader.string()
        if len(pk) != 32:
            raise Malformed("ed25519 key of the wrong length")
        return (pk,)
    if plain_type == _RSA:
        e, n = reader.mpint(), reader.mpint()
        if not _RSA_MIN_BITS <= n.bit_length() <= _RSA_MAX_BITS:
            raise Malformed("RSA key of an unsupported size")
        return (e, n)
    curve_name, curve, _ = _CURVES[plain_type]
    if reader.cstring().decode("latin-1") != curve_name:
        raise Malformed("ECDSA curve does not match the key type")
    point = reader.string()
    try:
        numbers = ec.EllipticCurvePublicKey.from_encoded_point(curve, point).public_numbers()
    except ValueError:
        raise Malformed("invalid ECDSA point") from None
    return (curve_name, numbers.x, numbers.y)


def parse_public_key(blob: bytes, allow_cert: bool = True) -> PublicKey:
    """A public key or certificate from its wire encoding (sshkey_fromb).

    A certificate's CA signature is checked here, as OpenSSH does when it reads one.
    Raises Malformed, or Unsupported for sk-* and DSA keys.
    """
    reader = _Reader(blob)
    name = reader.cstring().decode("latin-1")
    if name.endswith(_CERT_SUFFIX) and allow_cert:
        plain_type = name[: -len(_CERT_SUFFIX)]
        if plain_type in _UNSUPPORTED_TYPES:
            raise Unsupported(name)
        if plain_type not in _PLAIN_TYPES:
            raise Malformed(f"unknown key type {name}")
        reader.string()  # nonce
        material = _parse_plain(reader, plain_type)
        cert = _parse_certificate(reader, blob)
        return PublicKey(plain_type, material, cert)
    if name in _UNSUPPORTED_TYPES:
        raise Unsupported(name)
    if name not in _PLAIN_TYPES:
        raise Malformed(f"unknown key type {name}")
    key = PublicKey(name, _parse_plain(reader, name))
    reader.end()
    return key


def _parse_certificate(reader: _Reader, blob: bytes) -> Certificate:
    """The certificate fields after the key (PROTOCOL.certkeys), its CA signature checked."""
    reader.u64()  # serial
    cert_type = reader.u32()
    key_id = reader.cstring()
    principals_blob = _Reader(reader.string())
    valid_after, valid_before = reader.u64(), reader.u64()
    critical, extensions = _Reader(reader.string()), _Reader(reader.string())
    reader.string()  # reserved
    ca_blob = reader.string()
    signed = blob[: reader.pos]
    signature = reader.string()
    reader.end()
    if cert_type not in (_CERT_USER, _CERT_HOST):
        raise Malformed("unknown certificate type")
    principals: list[bytes] = []
    while principals_blob.rest():
        if len(principals) >= _MAX_PRINCIPALS:
            raise Malformed("too many principals")
        principals.append(principals_blob.cstring())
    for section in (critical, extensions):
        while section.rest():
            section.string()
            section.string()
    ca = parse_public_key(ca_blob, allow_cert=False)
    if not ca.verify(signature, signed):
        raise Malformed("certificate signature does not verify")
    return Certificate(blob, cert_type, key_id, tuple(principals), valid_after, valid_before, ca)


# --- the SSHSIG format -------------------------------------------------------------------------


def _b64decode(text: bytes) -> bytes:
    """Base64 as OpenSSH's b64_pton reads it: whitespace anywhere, canonical padding."""
    compact = text.translate(None, _C_SPACE)
    try:
        decoded = base64.b64decode(compact, validate=True)
    except ValueError:
        raise Malformed("invalid base64") from None
    if base64.b64encode(decoded) != compact:
        raise Malformed("non-canonical base64")
    return decoded


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
    return _b64decode(body)


@dataclass(frozen=True)
class Signature:
    """A parsed SSHSIG blob (PROTOCOL.sshsig)."""

    key: PublicKey
    namespace: bytes
    hash_algorithm: str
    signature: bytes


def parse_signature(armored: bytes) -> Signature:
    """An armoured SSH signature, parsed; raises Malformed or Unsupported."""
    reader = _Reader(dearmor(armored))
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
        + _string(sig.namespace)
        + _string(b"")
        + _string(sig.hash_algorithm.encode())
        + _string(digest)
    )
    allowed = ("rsa-sha2-512", "rsa-sha2-256") if sig.key.plain_type == _RSA else None
    if not sig.key.verify(sig.signature, signed, allowed):
        raise Malformed("signature does not verify")
    return sig.key


# --- allowed signers -----------------------------------------------------------------------------


def match_pattern(string: bytes, pattern: bytes) -> bool:
    """OpenSSH match_pattern: `*` any run of bytes, `?` one byte, all else literal."""
    s = p = 0
    star_p, star_s = -1, 0
    while s < len(string):
        if p < len(pattern) and pattern[p] == ord("*"):
            star_p, star_s = p, s
            p += 1
        elif p < len(pattern) and pattern[p] in (ord("?"), string[s]):
            s += 1
            p += 1
        elif star_p != -1:
            star_s += 1
            s, p = star_s, star_p + 1
        else:
            return False
    return all(c == ord("*") for c in pattern[p:])


def match_pattern_list(string: bytes, patterns: bytes) -> int:
    """OpenSSH match_pattern_list: 1 on a positive match, -1 on a negated one, else 0."""
    positive = 0
    for sub in patterns.split(b",") if patterns else []:
        negated = sub.startswith(b"!")
        if negated:
            sub = sub[1:]
        if len(sub) >= 1023:
            return 0
        if match_pattern(string, sub):
            if negated:
                return -1
            positive = 1
    return positive


@dataclass(frozen=True)
class AllowedSigner:
    """One usable line of an allowed signers file."""

    line: int
    principals: bytes
    key: PublicKey
    cert_authority: bool = False
    namespaces: bytes | None = None
    valid_after: int = 0
    valid_before: int = 0


def parse_time(value: bytes) -> int | None:
    """YYYYMMDD[HHMM[SS]] with optional Z or UTC suffix, as seconds since the epoch
    (local time without a suffix, as OpenSSH's parse_absolute_time); None if invalid."""
    utc = False
    if len(value) > 1 and value[-1:].lower() == b"z":
        utc, value = True, value[:-1]
    elif len(value) > 3 and value[-3:].lower() == b"utc":
        utc, value = True, value[:-3]
    widths = {8: (4, 2, 2), 12: (4, 2, 2, 2, 2), 14: (4, 2, 2, 2, 2, 2)}.get(len(value))
    if widths is None:
        return None
    fields: list[int] = []
    start = 0
    for width in widths:
        digits = value[start : start + width].lstrip(_C_SPACE)
        start += width
        if not digits or not digits.isdigit():
            return None
        fields.append(int(digits))
    fields += [0] * (6 - len(fields))
    year, month, day, hour, minute, second = fields
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 61):
        return None
    try:
        if utc:
            seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
        else:
            seconds = int(time.mktime((year, month, day, hour, minute, second, 0, 0, 0)))
    except (ValueError, OverflowError):
        return None
    return seconds if seconds >= 0 else None


def _strdelimw(s: bytes) -> tuple[bytes | None, bytes | None]:
    """OpenSSH strdelimw: the next whitespace-separated or quoted token, and the rest."""
    found = _DELIMITER.search(s)
    if found is None:
        return s, None
    i = found.start()
    if s[i] == ord('"'):
        s = s[:i] + s[i + 1 :]
        close = s.find(b'"', i)
        if close == -1:
            return None, None
        return s[:close], s[close + 1 :].lstrip(b" \t\r\n")
    return s[:i], s[i + 1 :].lstrip(b" \t\r\n")


# The type names a key line may start with (sshkey_type_from_name): each key type, and
# the RSA signature algorithm names, which OpenSSH reads as RSA keys.
_KEY_NAMES = {name: name for name in _PLAIN_TYPES} | {
    name + _CERT_SUFFIX: name + _CERT_SUFFIX for name in _PLAIN_TYPES
}
for _alias in ("rsa-sha2-256", "rsa-sha2-512"):
    _KEY_NAMES[_alias] = _RSA
    _KEY_NAMES[_alias + _CERT_SUFFIX] = _RSA + _CERT_SUFFIX


def _read_key(s: bytes) -> PublicKey | None:
    """OpenSSH sshkey_read: `type base64 [comment]` at the start of s, or None."""
    space = _BLANK.search(s)
    if space is None:
        return None
    name = s[: space.start()].decode("latin-1")
    s = s[space.start() :].lstrip(b" \t")
    if not s:
        return None
    blank = _BLANK.search(s)
    end = blank.start() if blank else len(s)
    try:
        key = parse_public_key(_b64decode(s[:end]))
    except (Malformed, Unsupported):
        return None
    return key if key.type == _KEY_NAMES.get(name) else None


def _advance_past_options(s: bytes) -> int | None:
    """OpenSSH sshkey_advance_past_options: the end of the options token, None if unclosed."""
    quoted, i = False, 0
    while i < len(s) and (quoted or s[i] not in b" \t"):
        if s[i] == ord("\\") and s[i + 1 : i + 2] == b'"':
            i += 1
        elif s[i] == ord('"'):
            quoted = not quoted
        i += 1
    return None if quoted and i >= len(s) else i


def _dequote(s: bytes) -> tuple[bytes, bytes] | None:
    """OpenSSH opt_dequote: a quoted value at the start of s, and what follows it."""
    if not s.startswith(b'"'):
        return None
    out, i = bytearray(), 1
    while i < len(s) and s[i] != ord('"'):
        if s[i] == ord("\\") and s[i + 1 : i + 2] == b'"':
            i += 1
        out.append(s[i])
        i += 1
    if i >= len(s):
        return None
    return bytes(out), s[i + 1 :]


def _parse_options(opts: bytes) -> dict[str, Any] | None:
    """OpenSSH sshsigopt_parse: cert-authority, namespaces=, valid-after=, valid-before=."""
    found: dict[str, Any] = {}
    while opts and opts[0] not in b" \t":
        lower = opts.lower()
        name = ""
        if lower.startswith(b"cert-authority"):
            found["ca"] = True
            opts = opts[len(b"cert-authority") :]
        else:
            name = next(
                (
                    n
                    for n in ("namespaces", "valid-after", "valid-before")
                    if lower.startswith(n.encode() + b"=")
                ),
                "",
            )
        if name:
            # Nothing recognised falls through to the comma test below, as in OpenSSH:
            # an empty option (",,") is skipped, anything else is an unknown option.
            if name in found:
                return None
            dequoted = _dequote(opts[len(name) + 1 :])
            if dequoted is None:
                return None
            value, opts = dequoted
            if name == "namespaces":
                found[name] = value
            else:
                seconds = parse_time(value)
                if not seconds:
                    return None
                found[name] = seconds
        if not opts or opts[0] in b" \t":
            break
        if opts[0] != ord(","):
            return None
        opts = opts[1:]
        if not opts:
            return None
    return found


def parse_signer_line(line: bytes, number: int, principal: bytes | None) -> AllowedSigner | None:
    """One line of an allowed signers file, or None for blank, comment, malformed lines
    and (when principal is given) lines whose principals do not match it."""
    line = line.split(b"\0", 1)[0].lstrip(b" \t\n\r")
    if not line or line.startswith(b"#"):
        return None
    principals, rest = _strdelimw(line)
    if principals is None or rest is None:
        return None
    if principal is not None and match_pattern_list(principal, principals) != 1:
        return None
    key = _read_key(rest)
    opts = b""
    if key is None:
        end = _advance_past_options(rest)
        if end is None or end >= len(rest):
            return None
        opts, rest = rest[:end], rest[end + 1 :].lstrip(b" \t")
        key = _read_key(rest)
        if key is None:
            return None
    options = _parse_options(opts)
    if options is None:
        return None
    return AllowedSigner(
        number,
        principals,
        key,
        bool(options.get("ca")),
        options.get("namespaces"),
        int(options.get("valid-after", 0)),
        int(options.get("valid-before", 0)),
    )


@functools.lru_cache(maxsize=16)
def _all_signers(text: bytes) -> tuple[AllowedSigner, ...]:
    """Every usable line of a file's content, parsed once per content."""
    return tuple(parse_allowed_signers(text))


def parse_allowed_signers(text: bytes, principal: bytes | None = None) -> list[AllowedSigner]:
    """The usable lines of an allowed signers file (malformed lines are skipped, as
    ssh-keygen skips them); with principal, only the lines whose patterns match it."""
    signers = []
    for number, line in enumerate(text.split(b"\n"), start=1):
        signer = parse_signer_line(line, number, principal)
        if signer is not None:
            signers.append(signer)
    return signers


def _certificate_allows(cert: Certificate, principal: bytes, verify_time: int) -> bool:
    """OpenSSH sshkey_cert_check_authority for a user certificate and one principal."""
    return (
        cert.cert_type == _CERT_USER
        and cert.valid_after <= verify_time < cert.valid_before
        and principal in cert.principals
    )


def find_signer(
    signers: Sequence[AllowedSigner],
    key: PublicKey,
    principal: bytes,
    namespace: bytes,
    verify_time: int,
) -> AllowedSigner | None:
    """The first entry that allows key to sign for principal in namespace at verify_time."""
    for entry in signers:
        if match_pattern_list(principal, entry.principals) != 1:
            continue
        if not entry.cert_authority:
            if not entry.key.same_key(key):
                continue
        elif key.cert is None or not key.cert.ca.same_public(entry.key):
            continue
        elif not _certificate_allows(key.cert, principal, verify_time):
            continue
        if entry.namespaces is not None and match_pattern_list(namespace, entry.namespaces) != 1:
            continue
        if entry.valid_after and verify_time < entry.valid_after:
            continue
        if entry.valid_before and verify_time > entry.valid_before:
            continue
        return entry
    return None


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
