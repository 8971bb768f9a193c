"""Policy gates (SPEC §8): `placeholder-text` and `policy-required`.

Both read the repository's `rmo.yaml` `policy` besides the charter, so they run beside
the per-charter rules (`policy_findings`), not through the `(doc, as_of)` registry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from rmo_cli.charter.loading import Document
from rmo_cli.charter.policy import Policy
from rmo_cli.rules.registry import declare
from rmo_cli.support.errors import RmoError
from rmo_cli.support.findings import ERROR, WARNING, Finding
from rmo_cli.support.vocabulary import PLACEHOLDER_MARKS

RULE_PLACEHOLDER = declare(
    "placeholder-text",
    "Text that is a placeholder (the scaffold's own sentences, TODO, TBD, FIXME, XXX, "
    "lorem ipsum, <...> blanks, rmo.yaml policy.placeholders): a warning in a draft, "
    "an error in any other status.",
).id
RULE_REQUIRED = declare(
    "policy-required",
    "A field rmo.yaml's policy.required names for the charter's status is missing or empty.",
).id

# Words that mark unfinished text (upper case, whole words), and other built-in patterns.
_BUILT_IN = (
    r"\b(?:TODO|TBD|FIXME|XXX)\b",
    r"(?i:\blorem\s+ipsum\b)",
    # A `<name>` blank: not a link, not an element with attributes or a closing tag.
    r"<(?!https?:|mailto:)([A-Za-z][^<>\n=/\"']{0,60})>(?![\s\S]*</\1>)",
)
# A user pattern that takes longer than this on one text is a bad pattern, not a finding.
_MAX_TEXT = 20_000
# Words one of which any built-in match contains, even folded over lines (each mark's last
# word): a quick test of the whole source first.
_HINT_WORDS = ("<", "TODO", "TBD", "FIXME", "XXX", *(m.split()[-1] for m in PLACEHOLDER_MARKS))


def _source_may_hold(doc: Document) -> bool:
    """False when no value of the charter can match a built-in pattern, told from its
    source text (no hint word, no "lorem", no backslash escape), sparing a walk."""
    text = doc.text
    if not text or "\\" in text:
        return True
    return any(word in text for word in _HINT_WORDS) or "lorem" in text.lower()


def _strings(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string in the charter with its path (sign-offs and amendments left out)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if not path and key in ("signoffs", "apiVersion", "kind"):
                continue
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


# The time one configured pattern may take on one text before the run stops (exit 2).
PATTERN_SECONDS = 2.0


def pattern_problem(pattern: str) -> str | None:
    """Why a configured placeholder pattern could take exponential time on a short text
    (a backreference, a repeat inside a repeat, alternatives under a repeat), else None."""
    try:
        from re import _parser as parser  # type: ignore[attr-defined]
        from re._constants import (  # type: ignore[import-not-found]
            BRANCH,
            GROUPREF,
            GROUPREF_EXISTS,
            MAX_REPEAT,
            MIN_REPEAT,
        )

        tree = parser.parse(pattern)
    except Exception:  # noqa: BLE001 - a broken pattern is re.compile's to report
        return None
    repeats = (MAX_REPEAT, MIN_REPEAT)

    def walk(items: Any, under_repeat: bool) -> str | None:
        for op, av in items:
            if op in (GROUPREF, GROUPREF_EXISTS):
                return "a backreference"
            if op in repeats:
                low, high, sub = av
                if high > 1 and under_repeat:
                    return "a repeat inside a repeat"
                found = walk(sub, under_repeat or high > 1)
                if found:
                    return found
            elif op is BRANCH:
                if under_repeat:
                    return "alternatives under a repeat"
                for branch in av[1]:
                    found = walk(branch, under_repeat)
                    if found:
                        return found
            else:
                for value in av if isinstance(av, (tuple, list)) else (av,):
                    if isinstance(value, parser.SubPattern):
                        found = walk(value, under_repeat)
                        if found:
                            return found
        return None

    return walk(tree, False)


class _Overtime(Exception):
    """A configured pattern ran past PATTERN_SECONDS on one text."""


def _bounded_search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """pattern.search(text), stopped after PATTERN_SECONDS (an alarm: where this runs in a
    process's main thread, as rmo's workers and the language server do; elsewhere the
    static check of `pattern_problem` is the only bound)."""
    import signal
    import threading

    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return pattern.search(text)

    def overtime(_signum: int, _frame: Any) -> None:
        raise _Overtime()

    previous = signal.signal(signal.SIGALRM, overtime)
    signal.setitimer(signal.ITIMER_REAL, PATTERN_SECONDS)
    try:
        return pattern.search(text)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _compiled(extra: tuple[str, ...]) -> list[re.Pattern[str]]:
    """The built-in pattern, then each configured one on its own (each may set its flags)."""
    marks = [re.escape(m) for m in PLACEHOLDER_MARKS]
    patterns = [re.compile("|".join([*marks, *_BUILT_IN]))]
    for pattern in extra:
        try:
            patterns.append(re.compile(pattern))
        except re.error:
            continue  # reading rmo.yaml names a broken pattern
    return patterns


def _search(patterns: list[re.Pattern[str]], text: str) -> re.Match[str] | None:
    """The first match of the built-in pattern, then of each configured one (time-bound)."""
    text = text[:_MAX_TEXT]
    for index, pattern in enumerate(patterns):
        if index == 0:
            match = pattern.search(text)
        else:
            try:
                match = _bounded_search(pattern, text)
            except _Overtime:
                raise RmoError(
                    f"rmo.yaml policy.placeholders: the pattern {pattern.pattern!r} took too "
                    f"long (over {PATTERN_SECONDS:g} s on one text); make it simpler"
                ) from None
        if match is not None:
            return match
    return None


def placeholder_findings(doc: Document, policy: Policy) -> list[Finding]:
    """One finding per text field that holds a placeholder."""
    data = doc.data if isinstance(doc.data, dict) else {}
    if not policy.placeholders and not _source_may_hold(doc):
        return []  # nothing in the source could match: no walk over every value
    severity = WARNING if data.get("status") == "draft" else ERROR
    patterns = _compiled(policy.placeholders)
    findings: list[Finding] = []
    for path, text in _strings(data, ()):
        match = _search(patterns, text)
        if match is None:
            continue
        shown = match.group(0)
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        findings.append(
            doc.finding(
                path,
                RULE_PLACEHOLDER,
                f"placeholder text {shown!r}: write the agreed text"
                + ("" if severity == WARNING else f" before the charter is {data.get('status')}"),
                severity=severity,
            )
        )
    return findings


def _missing(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _walk(
    value: Any, parts: list[str], path: tuple[Any, ...]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(deepest existing path, the key missing there) for every place parts is missing."""
    if not parts:
        return
    part, rest = parts[0], parts[1:]
    every = part.endswith("[]")
    key = part[:-2] if every else part
    child = value.get(key) if isinstance(value, dict) else None
    if _missing(child):
        yield path, key
        return
    if every:
        if not isinstance(child, list):
            yield path, key
            return
        for index, item in enumerate(child):
            yield from _walk_item(item, rest, (*path, key, index), f"{key}[{index}]")
        return
    yield from _walk(child, rest, (*path, key))


def _walk_item(
    item: Any, rest: list[str], path: tuple[Any, ...], name: str
) -> Iterator[tuple[tuple[Any, ...], str]]:
    if not rest:
        if _missing(item):
            yield path, name
        return
    yield from _walk(item, rest, path)


def required_findings(doc: Document, policy: Policy) -> list[Finding]:
    """policy-required errors for the paths the charter's status requires."""
    data = doc.data if isinstance(doc.data, dict) else {}
    status = data.get("status")
    if not isinstance(status, str):
        return []
    findings: list[Finding] = []
    for required in policy.required.get(status, ()):
        for where, key in _walk(data, required.split("."), ()):
            findings.append(
                doc.finding(
                    where,
                    RULE_REQUIRED,
                    f"rmo.yaml policy requires {required} of a charter that is {status}: "
                    f"{key} is missing or empty",
                )
            )
    return findings


def policy_findings(doc: Document, policy: Policy | None) -> list[Finding]:
    """placeholder-text and policy-required findings for one charter."""
    policy = policy or Policy()
    return placeholder_findings(doc, policy) + required_findings(doc, policy)
