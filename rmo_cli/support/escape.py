"""Escapers: one per output language.

Markdown: `md_escape` (documents, reports, diffs) and `md_block`; XML (SVG, JUnit): `NOT_XML`
and `xml_escape`; HTML pages use Jinja's autoescape; iCalendar text is `reporters.reviews`'
only escaper.
"""

from __future__ import annotations

import html
import re

# Trojan Source: characters that reorder text (bidi embeddings, overrides, isolates) or
# hide in it (zero-width, joiners, the BOM inside text). `Pay \u202e0001\u202c EUR` reads
# "1000" in a browser, a PDF and a terminal.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BIDI_CONTROL_RE = re.compile(f"[{BIDI_CONTROLS}]")
INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u2060-\u2064\u206a-\u206f\u3164\ufeff\uffa0]"
)
_TERMINAL = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
del _TERMINAL[ord("\t")], _TERMINAL[ord("\n")]


def unicode_escape(char: str) -> str:
    """One character as `\\u202e` (or `\\U0001xxxx`), the way the terminal shows it."""
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def terminal_text(text: str) -> str:
    """Text from a charter or git, safe for a terminal: control characters as `\\x1b`,
    bidi controls and invisible characters as `\\u202e`, so what is there is what shows."""
    text = text.translate(_TERMINAL)
    for pattern in (BIDI_CONTROL_RE, INVISIBLE_RE):
        text = pattern.sub(lambda m: unicode_escape(m.group(0)), text)
    return text


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


_LINK_SCHEME_RE = re.compile(r"(?i)(?:https?|mailto):")


def allowed_link(url: str) -> bool:
    """Whether a link target from charter text may stay a link: http, https, mailto only."""
    return bool(_LINK_SCHEME_RE.match(url.strip()))


def _unsafe_links(text: str) -> bool:
    """Whether CommonMark reads an image, or a link to anything but http/https/mailto."""
    from markdown_it import MarkdownIt

    # Nested as deep as the text allows, so nothing is skipped (markdown-it stops at 20
    # levels, other renderers do not); too deep to parse counts as unsafe.
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "maxNesting": len(text)})
    parser.validateLink = lambda url: True  # type: ignore[method-assign]  # judged below
    try:
        stack = list(parser.parse(text))
    except RecursionError:
        return True
    while stack:
        token = stack.pop()
        stack.extend(token.children or ())
        if token.type == "image":
            return True
        if token.type == "link_open" and not allowed_link(str(token.attrGet("href") or "")):
            return True
    return False


def _escape_brackets(text: str) -> str:
    """Every unescaped `[` and `]` backslash-escaped: no link, image or link definition."""
    out: list[str] = []
    escaped = False
    for char in text:
        if not escaped and char in "[]":
            out.append("\\")
        out.append(char)
        escaped = char == "\\" and not escaped
    return "".join(out)


def md_block(value: object) -> MdSafe:
    """Charter text that may hold Markdown (purpose): kept as Markdown, raw HTML neutralised.

    Links stay links only when every one goes to http, https or mailto (SPEC §7); with an
    image or another target, brackets are escaped so all of them show as plain text.
    """
    text = "" if value is None else str(value).replace("\r\n", "\n")
    # Without `<` there is no tag, comment or autolink: raw HTML shows as text.
    text = text.replace("<", "&lt;").strip("\n")
    if ("[" in text or "]" in text) and _unsafe_links(text):
        text = _escape_brackets(text)
    return MdSafe(text)


# Characters XML 1.0 cannot hold at all, not even escaped (a charter may hold them through
# YAML escapes, a file name through the file system).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_escape(value: object) -> str:
    """Text for XML content or a quoted attribute (SVG): `<&>"'` escaped, others U+FFFD."""
    return html.escape(NOT_XML.sub("\ufffd", str(value)), quote=True)
