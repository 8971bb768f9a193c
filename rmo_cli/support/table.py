"""Text tables that fit a width: cells wrap at word boundaries (or after a hyphen), and
low-value columns are left out first."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rmo_cli.support.width import display_width, ljust

_GAP = "  "
_COMFORT = 24  # a column this narrow never wraps while a column can be dropped or others wrap


def _pieces(word: str) -> list[str]:
    """A word's parts that may end a line: after each hyphen (`acme-` `globex`)."""
    return re.findall(r"[^-]*-+|[^-]+$", word) or [word]


def _wrap(text: str, width: int) -> list[str]:
    """text in lines of at most width columns, broken at spaces, else after a hyphen, and
    inside a word only when a part is longer than the width."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if not line:
            candidate = word
        else:
            candidate = f"{line} {word}"
        if display_width(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
            line = ""
        for piece in _pieces(word):
            while display_width(piece) > width:  # only when no space or hyphen helps
                if line:
                    lines.append(line)
                    line = ""
                head = _cut(piece, width)
                lines.append(head)
                piece = piece[len(head) :]
            if display_width(line + piece) <= width:
                line += piece
            else:
                lines.append(line)
                line = piece
    if line:
        lines.append(line)
    return lines or [""]


def _cut(word: str, width: int) -> str:
    """The longest start of word that fits width columns (at least one character)."""
    out = ""
    for char in word:
        if out and display_width(out + char) > width:
            break
        out += char
    return out


def _word(table: Sequence[Sequence[str]], column: int) -> int:
    """Columns the longest unbreakable part of a word of a column takes."""
    return max(
        (display_width(p) for r in table for w in r[column].split() for p in _pieces(w)),
        default=0,
    )


def _limits(table: Sequence[Sequence[str]], column: int) -> tuple[int, int, int]:
    """(natural, preferred, floor) widths of a column: short columns (dates, states) keep
    their natural width, longer ones wrap to _COMFORT; none wraps inside a word (up to 40)."""
    natural = max(display_width(r[column]) for r in table)
    floor = min(natural, max(display_width(table[0][column]), min(_word(table, column), 40)))
    preferred = natural if natural <= _COMFORT else max(_COMFORT, floor)
    return natural, preferred, floor


def fit_columns(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int | None,
    drop_order: Sequence[int] = (),
) -> list[int]:
    """The indexes of the columns to show: columns in drop_order (least valuable first)
    are left out until the rest fit width at their preferred wrap width; None keeps all."""
    keep = list(range(len(header)))
    if width is None:
        return keep
    table = [list(header), *[list(r) for r in rows]]
    for column in drop_order:
        total = sum(_limits(table, i)[1] for i in keep) + len(_GAP) * (len(keep) - 1)
        if total <= width or len(keep) <= 1:
            break
        keep.remove(column)
    return keep


def render_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int | None = None,
    drop_order: Sequence[int] = (),
    style: Callable[[int, int, str], str] | None = None,
) -> list[str]:
    """Aligned lines of the table fitted to width (None: no limit, every column).

    Cells are whitespace-normalised; once columns in drop_order (least valuable first) are
    gone, the widest column wraps at word boundaries first. style(row, column, padded
    text) may colour a cell's first line (row 0 is the header).
    """
    table = [[" ".join(str(c).split()) for c in header]] + [
        [" ".join(str(c).split()) for c in row] for row in rows
    ]
    keep = fit_columns(table[0], table[1:], width, drop_order)
    table = [[row[i] for i in keep] for row in table]
    limits = [_limits(table, i) for i in range(len(keep))]
    widths = [natural for natural, _, _ in limits]
    if width is not None:
        room = width - len(_GAP) * (len(keep) - 1)
        # Narrow the widest column a step at a time: to its preferred width, then to its
        # longest word, then (only if nothing else helps) inside words.
        for phase in (1, 2, 0):
            least = [limits[i][phase] if phase else 4 for i in range(len(keep))]
            while sum(widths) > room:
                shrinkable = [i for i in range(len(keep)) if widths[i] > least[i]]
                if not shrinkable:
                    break
                widths[max(shrinkable, key=lambda i: widths[i])] -= 1
    lines: list[str] = []
    for r, row in enumerate(table):
        wrapped = [_wrap(cell, widths[i]) for i, cell in enumerate(row)]
        for n in range(max(len(w) for w in wrapped)):
            cells = []
            for i, parts in enumerate(wrapped):
                text = ljust(parts[n] if n < len(parts) else "", widths[i])
                if style is not None and n == 0:
                    text = style(r, keep[i], text)
                cells.append(text)
            lines.append(_GAP.join(cells).rstrip())
    return lines
