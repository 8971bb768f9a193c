"""Quick fixes read from findings: the "did you mean" value, quoting a number as text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rmo_cli.lsp.text import Span, token_span
from rmo_cli.support.findings import Finding

# The two ways Python's repr() quotes a suggestion in a finding's message.
_DID_YOU_MEAN = re.compile(r"did you mean (?:'([^'\\]*)'|\"([^\"\\]*)\")\?")
_PUT_IN_QUOTES = re.compile(r'; put it in quotes: ("[^"\\]*")$')


@dataclass(frozen=True)
class Fix:
    """Replace the text at span with new_text; title is what the editor shows."""

    title: str
    span: Span
    new_text: str


def fixes(finding: Finding, lines: Sequence[str]) -> list[Fix]:
    """The quick fixes a finding's message offers, placed on the value (or key) it is about."""
    span = token_span(lines, finding.line, finding.column)
    written = lines[span[0]][span[1] : span[3]] if span[0] < len(lines) else ""
    found: list[Fix] = []
    suggestion = _DID_YOU_MEAN.search(finding.message)
    if suggestion is not None:
        word = suggestion.group(1) if suggestion.group(1) is not None else suggestion.group(2)
        if written[:1] in ('"', "'") and len(written) >= 2 and written[-1] == written[0]:
            span = (span[0], span[1] + 1, span[2], span[3] - 1)  # keep the quotes
        found.append(Fix(f"Change to {word!r}", span, word))
    quoted = _PUT_IN_QUOTES.search(finding.message)
    if quoted is not None and written[:1] not in ('"', "'"):
        found.append(Fix(f"Quote it as text: {quoted.group(1)}", span, quoted.group(1)))
    return found
