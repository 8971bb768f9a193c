"""How wide text is on a terminal: CJK and emoji take two columns, combining marks none."""

from __future__ import annotations

import functools
import unicodedata


@functools.lru_cache(maxsize=4096)
def char_width(char: str) -> int:
    """Columns one character takes on a terminal."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns text takes on a terminal (for aligning columns and carets)."""
    if text.isascii():  # one column a character (nothing in ASCII is wide or combining)
        return len(text)
    return sum(char_width(char) for char in text)


def ljust(text: str, width: int) -> str:
    """text padded with spaces to width terminal columns."""
    return text + " " * max(width - display_width(text), 0)
