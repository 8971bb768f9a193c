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
    for pattern in patterns:
        match = pattern.search(text[:_MAX_TEXT])
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
