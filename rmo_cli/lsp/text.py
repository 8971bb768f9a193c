"""Spans in a charter's text and the YAML path at a cursor, read from the text itself.

Positions here are 0-based lines and code-point columns; the server converts them to
the client's encoding. The cursor's path is found from indentation, not from a parse, so
it works while the line being typed is not valid YAML yet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

# (start line, start column, end line, end column), 0-based, end exclusive.
Span = tuple[int, int, int, int]
PathPart = str | int

# A key: double-quoted, single-quoted or plain, then a colon that ends it.
_KEY_RE = re.compile(
    r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'"""
    r"""|([^\s#'"\[\]{},:-][^#:]*?|-[^\s#:][^#:]*?))[ \t]*:(?=[ \t]|$)"""
)
_DASH_RE = re.compile(r"-(?=[ \t]|$)[ \t]*")
_BLOCK_SCALAR_RE = re.compile(r"^[|>][-+0-9]*[ \t]*(?:#.*)?$")


def lines_of(text: str) -> list[str]:
    """The text's lines without their line ends (CRLF and LF alike)."""
    return text.split("\n") if "\r" not in text else text.replace("\r\n", "\n").split("\n")


def _closing_quote(rest: str) -> int:
    """Index just past the quoted scalar that rest starts with (its line end if unclosed)."""
    quote = rest[0]
    i = 1
    while i < len(rest):
        ch = rest[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if quote == "'" and rest[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    return len(rest)


def token_span(lines: Sequence[str], line: int, column: int) -> Span:
    """The span of the key or scalar that starts at a finding's 1-based line and column."""
    if not 0 < line <= len(lines):
        last = max(len(lines) - 1, 0)
        end = len(lines[last]) if lines else 0
        return (last, end, last, end)
    row = lines[line - 1]
    start = min(max(column - 1, 0), len(row))
    rest = row[start:]
    if rest[:1] in ('"', "'"):
        length = _closing_quote(rest)
    else:
        flow = row[:start].count("[") + row[:start].count("{") > row[:start].count("]") + (
            row[:start].count("}")
        )
        stops = r"[ \t]#|:(?=[ \t]|$)" + (r"|[,\]}]" if flow else "")
        match = re.search(stops, rest)
        length = len(rest[: match.start()].rstrip()) if match else len(rest.rstrip())
    if length == 0:
        length = 1 if rest else 0
    return (line - 1, start, line - 1, start + length)


def scalar_span(lines: Sequence[str], line: int, column: int, value: str) -> Span | None:
    """The span of value's own characters at a 1-based place (inside quotes), if it is there."""
    if not 0 < line <= len(lines):
        return None
    row = lines[line - 1]
    start = column - 1
    if row.startswith(value, start) and value:
        return (line - 1, start, line - 1, start + len(value))
    if row[start : start + 1] in ('"', "'") and row.startswith(value + row[start], start + 1):
        return (line - 1, start + 1, line - 1, start + 1 + len(value))
    return None


def contains(span: Span, line: int, character: int) -> bool:
    """True when a 0-based cursor lies in span (its end included, as editors place cursors)."""
    return (span[0], span[1]) <= (line, character) <= (span[2], span[3])


@dataclass
class Cursor:
    """Where a cursor is in the YAML: the mapping or list around it and what it is typing.

    `where` is "key" (a key of the mapping at `path`), "value" (the value at `path`) or
    "item" (a new list item at `path`, a scalar or a mapping to be); `word` is the part of
    the key or value typed before the cursor.
    """

    path: tuple[PathPart, ...]
    where: str
    word: str = ""
    key_path: tuple[PathPart, ...] = field(default_factory=tuple)


class _Entry:
    __slots__ = ("column", "part", "is_item", "items")

    def __init__(self, column: int, part: PathPart, is_item: bool) -> None:
        self.column = column
        self.part = part
        self.is_item = is_item
        self.items = 0


def _unquote(match: re.Match[str]) -> str:
    double, single, plain = match.groups()
    if double is not None:
        return double
    if single is not None:
        return single.replace("''", "'")
    return plain.rstrip()


class _Scanner:
    """Follows block indentation line by line, keeping the stack of open keys and items."""

    def __init__(self) -> None:
        self.stack: list[_Entry] = []
        self.block_column: int | None = None  # inside a | or > block scalar below this key

    def path(self) -> tuple[PathPart, ...]:
        return tuple(e.part for e in self.stack)

    def _pop_to(self, column: int, item: bool) -> None:
        while self.stack and (
            self.stack[-1].column > column
            or (self.stack[-1].column == column and (not item or self.stack[-1].is_item))
        ):
            self.stack.pop()

    def dashes(self, row: str, pos: int) -> int:
        """Open an item for each "- " at pos; returns the position after them."""
        while True:
            match = _DASH_RE.match(row, pos)
            if not match:
                return pos
            self._pop_to(pos, item=True)
            parent = self.stack[-1] if self.stack else None
            index = parent.items if parent is not None else 0
            if parent is not None:
                parent.items += 1
            self.stack.append(_Entry(pos, index, True))
            pos = match.end()

    def key(self, row: str, pos: int) -> tuple[str, int] | None:
        """Open the key at pos, if there is one; returns it and where its value starts."""
        match = _KEY_RE.match(row, pos)
        if not match:
            return None
        self._pop_to(pos, item=False)
        key = _unquote(match)
        self.stack.append(_Entry(pos, key, False))
        return key, match.end()

    def feed(self, row: str) -> None:
        """Take in one whole line above the cursor."""
        stripped = row.lstrip(" ")
        indent = len(row) - len(stripped)
        if not stripped.strip() or stripped.startswith("#"):
            return
        if self.block_column is not None:
            if indent > self.block_column:
                return
            self.block_column = None
        pos = self.dashes(row, indent)
        found = self.key(row, pos)
        if found is None:
            return
        key_column = self.stack[-1].column
        value = row[found[1] :].strip()
        if _BLOCK_SCALAR_RE.match(value):
            self.block_column = key_column


def cursor_at(lines: Sequence[str], line: int, character: int) -> Cursor | None:
    """The YAML context of a 0-based cursor (None inside a comment or a block of text)."""
    scanner = _Scanner()
    for row in lines[: min(line, len(lines))]:
        scanner.feed(row)
    row = lines[line] if line < len(lines) else ""
    before = row[:character]
    stripped = before.lstrip(" ")
    indent = len(before) - len(stripped)
    if scanner.block_column is not None and (indent > scanner.block_column or not stripped):
        if not row.strip() or len(row) - len(row.lstrip(" ")) > scanner.block_column:
            return None
    if "#" in before and re.search(r"(?:^|[ \t])#", before):
        return None
    pos = scanner.dashes(before, indent)
    had_dash = pos > indent
    found = scanner.key(before, pos)
    if found is not None:
        key, value_start = found
        path = scanner.path()
        value = before[value_start:].lstrip()
        if value.startswith("["):
            inner = value[1:]
            index = inner.count(",")
            word = inner.rsplit(",", 1)[-1].strip()
            return Cursor((*path, index), "value", word.strip("'\""), path)
        return Cursor(path, "value", value.strip("'\""), path)
    word = before[pos:]
    if had_dash:
        return Cursor(scanner.path(), "item", word.strip("'\""))
    if not word.strip():
        # An empty line: the cursor's column says whose key it will be.
        scanner._pop_to(character, item=False)
        return Cursor(scanner.path(), "key", "")
    scanner._pop_to(pos, item=False)
    return Cursor(scanner.path(), "key", word)
