"""SSH public keys and certificates as OpenSSH reads them (sshkey.c, PROTOCOL.certkeys).

The wire-format reader, key and certificate parsing (a certificate's CA signature checked
on reading), signature checks with `cryptography`, and key lines in text (sshkey_read).
Supported: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa (rsa-sha2-256/512 signatures)
and their `*-cert-v01@openssh.com` certificates. Security keys (sk-*) and DSA raise
Unsupported so that the caller can ask ssh-keygen instead; they are never guessed at.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

_ED25519 = "ssh-ed25519"
RSA = "ssh-rsa"
_CURVES: dict[str, tuple[str, ec.EllipticCurve, hashes.HashAlgorithm]] = {
    "ecdsa-sha2-nistp256": ("nistp256", ec.SECP256R1(), hashes.SHA256()),
    "ecdsa-sha2-nistp384": ("nistp384", ec.SECP384R1(), hashes.SHA384()),
    "ecdsa-sha2-nistp521": ("nistp521", ec.SECP521R1(), hashes.SHA512()),
}
_CERT_SUFFIX = "-cert-v01@openssh.com"
_PLAIN_TYPES = (_ED25519, RSA, *_CURVES)
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
C_SPACE = b" \t\n\v\f\r"  # isspace() in the C locale
_BLANK = re.compile(rb"[ \t]")


class Malformed(ValueError):
    """The bytes are not a well-formed key, certificate or signature."""


class Unsupported(ValueError):
    """A key or signature algorithm this module does not verify (sk-*, DSA)."""


# --- wire format -----------------------------------------------------------------------------


class Reader:
    """SSH wire-format reader (RFC 4251 §5) over bytes; every fault is Malformed."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        """The next size bytes."""
        if size < 0 or self.pos + size > len(self.data):
            raise Malformed("truncated")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def u32(self) -> int:
        """The next uint32."""
        return int(struct.unpack(">I", self.take(4))[0])

    def u64(self) -> int:
        """The next uint64."""
        return int(struct.unpack(">Q", self.take(8))[0])

    def string(self) -> bytes:
        """The next length-prefixed string."""
        return self.take(self.u32())

    def cstring(self) -> bytes:
        """A string that holds text: a NUL is allowed only as its last byte (sshbuf)."""
        value = self.string()
        nul = value.find(b"\0")
        if nul != -1 and nul != len(value) - 1:
            raise Malformed("NUL inside a string")
        return value[:nul] if nul != -1 else value

    def mpint(self) -> int:
        """The next mpint, which must not be negative or over 16384 bits."""
        value = self.string()
        if value and value[0] & 0x80:
            raise Malformed("negative number")
        value = value.lstrip(b"\0")
        if len(value) > _MAX_BIGNUM:
            raise Malformed("number too large")
        return int.from_bytes(value, "big")

    def rest(self) -> int:
        """How many bytes are left."""
        return len(self.data) - self.pos

    def end(self) -> None:
        """Raise Malformed unless every byte was read."""
        if self.pos != len(self.data):
            raise Malformed("trailing data")


def wire_string(value: bytes) -> bytes:
    """value as an SSH wire-format string (uint32 length, then the bytes)."""
    return struct.pack(">I", len(value)) + value


def _mpint(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    if raw and raw[0] & 0x80:
        raw = b"\0" + raw
    return wire_string(raw)


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
        name = wire_string(self.plain_type.encode())
        if self.plain_type == _ED25519:
            return name + wire_string(bytes(self.material[0]))
        if self.plain_type == RSA:
            e, n = self.material
            return name + _mpint(int(e)) + _mpint(int(n))
        curve_name, x, y = self.material
        size = (_CURVES[self.plain_type][1].key_size + 7) // 8
        point = b"\x04" + int(x).to_bytes(size, "big") + int(y).to_bytes(size, "big")
        return name + wire_string(str(curve_name).encode()) + wire_string(point)

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
        reader = Reader(blob)
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
            elif self.plain_type == RSA:
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
                inner = Reader(raw)
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


def _parse_plain(reader: Reader, plain_type: str) -> tuple[Any, ...]:
    """The key material of a plain_type key at reader's position (after the type name)."""
    if plain_type == _ED25519:
        pk = reader.string()
        if len(pk) != 32:
            raise Malformed("ed25519 key of the wrong length")
        return (pk,)
    if plain_type == RSA:
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
    reader = Reader(blob)
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


def _parse_certificate(reader: Reader, blob: bytes) -> Certificate:
    """The certificate fields after the key (PROTOCOL.certkeys), its CA signature checked."""
    reader.u64()  # serial
    cert_type = reader.u32()
    key_id = reader.cstring()
    principals_blob = Reader(reader.string())
    valid_after, valid_before = reader.u64(), reader.u64()
    critical, extensions = Reader(reader.string()), Reader(reader.string())
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


# --- key lines in text ----------------------------------------------------------------------


def b64decode(text: bytes) -> bytes:
    """Base64 as OpenSSH's b64_pton reads it: whitespace anywhere, canonical padding."""
    compact = text.translate(None, C_SPACE)
    try:
        decoded = base64.b64decode(compact, validate=True)
    except ValueError:
        raise Malformed("invalid base64") from None
    if base64.b64encode(decoded) != compact:
        raise Malformed("non-canonical base64")
    return decoded


# The type names a key line may start with (sshkey_type_from_name): each key type, and
# the RSA signature algorithm names, which OpenSSH reads as RSA keys.
_KEY_NAMES = {name: name for name in _PLAIN_TYPES} | {
    name + _CERT_SUFFIX: name + _CERT_SUFFIX for name in _PLAIN_TYPES
}
for _alias in ("rsa-sha2-256", "rsa-sha2-512"):
    _KEY_NAMES[_alias] = RSA
    _KEY_NAMES[_alias + _CERT_SUFFIX] = RSA + _CERT_SUFFIX


def read_key(s: bytes) -> PublicKey | None:
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
        key = parse_public_key(b64decode(s[:end]))
    except (Malformed, Unsupported):
        return None
    return key if key.type == _KEY_NAMES.get(name) else None


def certificate_allows(cert: Certificate, principal: bytes, verify_time: int) -> bool:
    """OpenSSH sshkey_cert_check_authority for a user certificate and one principal."""
    return (
        cert.cert_type == _CERT_USER
        and cert.valid_after <= verify_time < cert.valid_before
        and principal in cert.principals
    )
