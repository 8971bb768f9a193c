"""Email address syntax (SPEC §6): the one check used by the schema's `email` format.

Syntax only, through the `email-validator` library with deliverability checks off: no DNS,
and special-use domains such as `.example`, `.test` and `.local` are accepted.
"""

from __future__ import annotations

import functools
import re
import unicodedata

MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit less the angle brackets
# Unicode categories never allowed in an address: controls, format characters (zero-width,
# bidi), separators (spaces), unassigned and private-use code points.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
# The plain addresses charters are made of (ASCII dot-atoms, a domain of letter-digit-hyphen
# labels and a top-level name of letters), which email-validator accepts: they skip its
# import (its Unicode tables take longer to compile than the rest of `rmo sign`'s checks).
# Anything else goes to the library. tests/test_emails.py holds the two to agreement.
_PLAIN = re.compile(
    r"(?=[^@]{1,64}@)[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@(?:(?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)+[A-Za-z]{2,63}"
)


@functools.lru_cache(maxsize=8192)  # a portfolio names the same people in many charters
def email_problem(address: str) -> str | None:
    """Why address is not a syntactically valid email address, or None when it is."""
    if len(address) <= MAX_EMAIL_LENGTH and "--" not in address and _PLAIN.fullmatch(address):
        return None
    if len(address) > MAX_EMAIL_LENGTH:
        return f"it is longer than {MAX_EMAIL_LENGTH} characters"
    for ch in address:
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES:
            return f"it contains the character U+{ord(ch):04X} ({_name(ch)})"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "it needs a local part, an @ and a domain"
    if "." not in domain:
        return "its domain has no dot"
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        reason = str(exc)
        if "special-use or reserved" not in reason:
            return reason[:1].lower() + reason[1:].rstrip(".")
        # A special-use top-level name (.local, .invalid, …) is checked as its syntax twin.
        twin = address.rpartition(".")[0] + ".example"
        return email_problem(twin) if twin != address else reason
    return None


def is_email(value: object) -> bool:
    """The schema's `email` format: True for a string that passes `email_problem`."""
    return not isinstance(value, str) or email_problem(value) is None


def _name(ch: str) -> str:
    return unicodedata.name(ch, "unnamed")
