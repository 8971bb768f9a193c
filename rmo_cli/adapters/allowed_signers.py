"""The allowed signers file (man ssh-keygen, ALLOWED SIGNERS) and its matching, as OpenSSH.

Lines, options and times are read as sshsig.c, authfile.c and misc.c read them, principal
and namespace patterns matched as match.c does; `find_signer` picks the entry that allows
a key (or a certificate's CA) to sign for a principal in a namespace at a time.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rmo_cli.adapters.ssh_keys import C_SPACE, PublicKey, certificate_allows, read_key

_DELIMITER = re.compile(rb'[ \t\r\n"]')


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
        digits = value[start : start + width].lstrip(C_SPACE)
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
    key = read_key(rest)
    opts = b""
    if key is None:
        end = _advance_past_options(rest)
        if end is None or end >= len(rest):
            return None
        opts, rest = rest[:end], rest[end + 1 :].lstrip(b" \t")
        key = read_key(rest)
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


def parse_allowed_signers(text: bytes, principal: bytes | None = None) -> list[AllowedSigner]:
    """The usable lines of an allowed signers file (malformed lines are skipped, as
    ssh-keygen skips them); with principal, only the lines whose patterns match it."""
    signers = []
    for number, line in enumerate(text.split(b"\n"), start=1):
        signer = parse_signer_line(line, number, principal)
        if signer is not None:
            signers.append(signer)
    return signers


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
        elif not certificate_allows(key.cert, principal, verify_time):
            continue
        if entry.namespaces is not None and match_pattern_list(namespace, entry.namespaces) != 1:
            continue
        if entry.valid_after and verify_time < entry.valid_after:
            continue
        if entry.valid_before and verify_time > entry.valid_before:
            continue
        return entry
    return None
