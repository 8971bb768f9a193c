"""Email syntax (rmo_cli.charter.emails): the fast path for plain addresses agrees with
email-validator, the library that judges every other address."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from rmo_cli.charter.emails import _PLAIN, MAX_EMAIL_LENGTH, email_problem


def library_accepts(address: str) -> bool:
    """email-validator's verdict with rmo's settings (special-use names as their twin)."""
    try:
        validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        if "special-use or reserved" in str(exc):
            return library_accepts(address.rpartition(".")[0] + ".example")
        return False
    return True


def fast_path_takes(address: str) -> bool:
    return (
        len(address) <= MAX_EMAIL_LENGTH
        and "--" not in address
        and _PLAIN.fullmatch(address) is not None
    )


LABEL = st.from_regex(r"[A-Za-z0-9-]{1,70}", fullmatch=True)
LOCAL = st.from_regex(r"[A-Za-z0-9_+.-]{1,70}", fullmatch=True)
TOP = st.from_regex(r"[A-Za-z0-9-]{1,66}", fullmatch=True)


@settings(max_examples=3000, deadline=None)
@given(local=LOCAL, labels=st.lists(LABEL, min_size=0, max_size=4), top=TOP)
def test_the_fast_path_never_accepts_what_email_validator_rejects(
    local: str, labels: list[str], top: str
) -> None:
    address = f"{local}@{'.'.join([*labels, top])}"
    if fast_path_takes(address):
        assert library_accepts(address), address


PLAIN_LOCAL = st.from_regex(r"[A-Za-z0-9_+-]{1,12}(\.[A-Za-z0-9_+-]{1,12}){0,3}", fullmatch=True)
PLAIN_LABEL = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?", fullmatch=True)
PLAIN_TOP = st.from_regex(r"[A-Za-z]{2,12}", fullmatch=True)


@settings(max_examples=1000, deadline=None)
@given(
    st.builds(
        lambda local, labels, top: f"{local}@{'.'.join([*labels, top])}",
        PLAIN_LOCAL,
        st.lists(PLAIN_LABEL, min_size=1, max_size=3),
        PLAIN_TOP,
    )
)
def test_addresses_the_fast_path_matches_are_valid_to_email_validator(address: str) -> None:
    if fast_path_takes(address):
        assert library_accepts(address), address
        assert email_problem(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "rosa.farrell@heartwise.example",
        "a+b@x.example",
        "_@x.example",
        "ops@svc.local",  # special-use: judged as its twin
        "x@" + "a" * 63 + ".example",
    ],
)
def test_plain_addresses_are_accepted(address: str) -> None:
    assert email_problem(address) is None


@pytest.mark.parametrize(
    "address, reason",
    [
        ("a@b.c1", "top-level domain"),
        ("a@a-.example", "hyphen"),
        ("a.b@ex--ample.org", "two dashes"),
        ("a..b@x.example", "period"),
        ("a@" + "b" * 64 + ".example", "so many characters"),
        ("a@localhost", "no dot"),
        ("a b@x.example", "U+0020"),
    ],
)
def test_the_library_words_what_the_fast_path_leaves_to_it(address: str, reason: str) -> None:
    problem = email_problem(address)
    assert problem is not None and reason in problem, problem
