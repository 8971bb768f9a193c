"""Escapers: one per output language.

Markdown: `md_escape` (documents, reports, diffs) and `md_block`; XML (SVG, JUnit): `NOT_XML`
and `xml_escape`; HTML pages use Jinja's autoescape; iCalendar text is `reporters.reviews`'
only escaper.
"""

from __future__ import annotations

import html
import re


class MdSafe(str):
    """Markdown that is already safe to insert as it is (not escaped again)."""


# `_` inside a word (snake_case) cannot start emphasis, so it stays readable unescaped.
# `{`, `}`, `#` and `!` are escaped everywhere too (harmless, and what the reports did).
_MD_INLINE_RE = re.compile(r"([\\`*\[\]|~{}#!])|(?<![^\W_])_|_(?![^\W_])|(&(?=#?\w+;))|(<)|(>)")


# At the start of a line (and of the value): headings, list items, thematic breaks (`- --`),
# setext underlines and ordered list numbers.
_MD_LINE_START_RE = re.compile(r"^(\s*)(?:([#=+-])|(\d{1,9})([.)])(?=\s|$))")


def _md_inline_sub(match: re.Match[str]) -> str:
    text = match.group(0)
    if text == "&":
        return "&amp;"
    if text == "<":
        return "&lt;"
    if text == ">":
        return "&gt;"
    return "\\" + text


def _md_line_start_sub(match: re.Match[str]) -> str:
    indent, marker, digits, dot = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{digits}\\{dot}"


def md_escape(value: object, newline: str = " ") -> str:
    """Charter text as Markdown that renders literally: `|`, `*`, `_`, `<`, `[`, `#`… escaped.

    Newlines become `newline` (a space by default, `<br>` in table cells), so a value can
    never start a new block; a value that starts like a heading or list item is escaped too.
    """
    text = "" if value is None else str(value)
    text = _MD_INLINE_RE.sub(_md_inline_sub, text.replace("\r\n", "\n").replace("\r", "\n"))
    # Lines are stripped (leading spaces would make a code block) and blank ones dropped.
    lines = [line.strip() for line in text.split("\n")]
    return newline.join(_MD_LINE_START_RE.sub(_md_line_start_sub, line) for line in lines if line)


def md_block(value: object) -> MdSafe:
    """Charter text that may hold Markdown (purpose): kept as Markdown, raw HTML neutralised."""
    text = "" if value is None else str(value).replace("\r\n", "\n")
    # Without `<` there is no tag, comment or autolink: raw HTML shows as text.
    return MdSafe(text.replace("<", "&lt;").strip("\n"))


# Characters XML 1.0 cannot hold at all, not even escaped (a charter may hold them through
# YAML escapes, a file name through the file system).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_escape(value: object) -> str:
    """Text for XML content or a quoted attribute (SVG): `<&>"'` escaped, others U+FFFD."""
    return html.escape(NOT_XML.sub("\ufffd", str(value)), quote=True)
