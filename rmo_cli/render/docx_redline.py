"""A redline of two Word documents' blocks: every difference as a tracked change (SPEC §9).

Both sides are built by the same writer (render/docx_blocks.py); this module only compares
them. Blocks are aligned first as wholes, then, inside a changed stretch, by kind (a
paragraph of the same style, a table of the same shape). Paired paragraphs differ word by
word; paired tables row by row (rows paired by their first cell, then cell by cell);
anything left over is a whole paragraph or row removed or added. Deleted content comes
before inserted content, so accepting every change gives exactly the new blocks' text and
rejecting every change gives exactly the old blocks' text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from difflib import SequenceMatcher
from typing import TypeVar

from rmo_cli.render.docx_model import Block, DocModel, Para, Row, Run, Table

T = TypeVar("T")
# Words (with their punctuation: `1.2.0`, a fingerprint, `review.`) and runs of white space
# are the units; splitting at punctuation would interleave "1.2.0" and "9.9.9" digit by digit.
_TOKEN = re.compile(r"\S+|\s+")
# Below this share of common text, two paragraphs are shown as one removed, one added.
_SIMILAR = 0.3
# A value this short (a version, a date, a name) changes in place, whatever it shares.
_SHORT = 4


def redline(old: DocModel, new: DocModel) -> DocModel:
    """The new document with every difference from the old one as a tracked change."""
    return replace(
        new,
        header=tuple(_paras(old.header, new.header)),
        footer=tuple(_paras(old.footer, new.footer)),
        body=tuple(_blocks(old.body, new.body)),
    )


def _kind(block: Block) -> Hashable:
    if isinstance(block, Table):
        width = max((len(r.cells) for r in block.rows), default=0)
        return ("table", block.kind, block.header, width)
    return ("para", block.style)


def _align(
    old: Sequence[T],
    new: Sequence[T],
    key: Callable[[T], Hashable],
    pair: Callable[[T, T], list[T]],
    removed: Callable[[T], T],
    added: Callable[[T], T],
) -> list[T]:
    """Old and new items merged: equal ones kept, paired ones merged, the rest marked."""
    out: list[T] = []
    matcher = SequenceMatcher(None, [key(x) for x in old], [key(x) for x in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for a, b in zip(old[i1:i2], new[j1:j2], strict=True):
                out.extend([b] if a == b else pair(a, b))
        else:
            out.extend(removed(a) for a in old[i1:i2])
            out.extend(added(b) for b in new[j1:j2])
    return out


def _blocks(old: Sequence[Block], new: Sequence[Block]) -> list[Block]:
    out: list[Block] = []
    matcher = SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(new[j1:j2])
        else:
            out.extend(_align(old[i1:i2], new[j1:j2], _kind, _pair_block, _removed, _added))
    return out


def _paras(old: Sequence[Para], new: Sequence[Para]) -> list[Para]:
    return [b for b in _blocks(old, new) if isinstance(b, Para)]


def _pair_block(a: Block, b: Block) -> list[Block]:
    if isinstance(a, Table) and isinstance(b, Table):
        return [_pair_table(a, b)]
    if isinstance(a, Para) and isinstance(b, Para):
        short = min(len(a.text.split()), len(b.text.split())) <= _SHORT
        if not short and _similarity(a.text, b.text) < _SIMILAR:
            return [_removed(a), _added(b)]
        return [_pair_para(a, b)]
    return [_removed(a), _added(b)]  # pragma: no cover - paired blocks share their kind


def _similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, _TOKEN.findall(a), _TOKEN.findall(b), autojunk=False).ratio()


def _removed(block: Block) -> Block:
    if isinstance(block, Table):
        return replace(block, rows=tuple(_row_marked(r, "del") for r in block.rows))
    return _para_marked(block, "del")


def _added(block: Block) -> Block:
    if isinstance(block, Table):
        return replace(block, rows=tuple(_row_marked(r, "ins") for r in block.rows))
    return _para_marked(block, "ins")


def _para_marked(para: Para, change: str) -> Para:
    return replace(para, runs=tuple(replace(r, change=change) for r in para.runs), mark=change)


def _row_marked(row: Row, change: str) -> Row:
    cells = tuple(
        tuple(replace(p, runs=tuple(replace(r, change=change) for r in p.runs)) for p in cell)
        for cell in row.cells
    )
    return Row(cells, change=change)


# ---------------------------------------------------------------------------------------
# Inside a paragraph: word by word, formatting kept per token.


def _tokens(para: Para) -> list[Run]:
    out: list[Run] = []
    for run in para.runs:
        if run.field:
            out.append(replace(run, change=None))
            continue
        out.extend(replace(run, text=t, change=None) for t in _TOKEN.findall(run.text))
    return out


def _pair_para(a: Para, b: Para) -> Para:
    old, new = _tokens(a), _tokens(b)
    opcodes = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    # Changes separated only by white space read as one: "~~the buildings~~ every building".
    groups: list[tuple[bool, list[Run], list[Run]]] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        between = 0 < index < len(opcodes) - 1 and all(t.text.isspace() for t in new[j1:j2])
        if tag == "equal" and not between:
            groups.append((False, old[i1:i2], new[j1:j2]))
        elif groups and groups[-1][0]:
            groups[-1][1].extend(old[i1:i2])
            groups[-1][2].extend(new[j1:j2])
        else:
            groups.append((True, list(old[i1:i2]), list(new[j1:j2])))
    runs: list[Run] = []
    for changed, olds, news in groups:
        if not changed:
            runs.extend(news)
            continue
        runs.extend(replace(t, change="del") for t in olds)
        runs.extend(replace(t, change="ins") for t in news)
    return replace(b, runs=tuple(_joined(runs)), mark=None)


def _joined(runs: list[Run]) -> list[Run]:
    """Neighbouring tokens with the same formatting and change as one run."""
    out: list[Run] = []
    for run in runs:
        last = out[-1] if out else None
        if (
            last is not None
            and not run.field
            and not last.field
            and replace(last, text="") == replace(run, text="")
        ):
            out[-1] = replace(last, text=last.text + run.text)
        else:
            out.append(run)
    return out


# ---------------------------------------------------------------------------------------
# Inside a table: rows by their first cell, then cell by cell.


def _row_key(row: Row) -> Hashable:
    first = row.cells[0] if row.cells else ()
    return (len(row.cells), tuple(p.text for p in first))


def _pair_table(a: Table, b: Table) -> Table:
    if a.rows == b.rows:
        return b
    rows: list[Row] = []
    old, new = list(a.rows), list(b.rows)
    if b.header and old and new:  # the heading rows always pair
        rows.append(_pair_row(old[0], new[0]))
        old, new = old[1:], new[1:]
    matcher = SequenceMatcher(None, [_row_key(r) for r in old], [_row_key(r) for r in new])
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        olds, news = old[i1:i2], new[j1:j2]
        if tag == "equal":
            rows.extend(_pair_row(x, y) for x, y in zip(olds, news, strict=True))
            continue
        paired = min(len(olds), len(news)) if tag == "replace" else 0
        merged = [_pair_row(x, y) for x, y in zip(olds[:paired], news[:paired], strict=True)]
        rows.extend(merged)
        rows.extend(_row_marked(r, "del") for r in olds[paired:])
        rows.extend(_row_marked(r, "ins") for r in news[paired:])
    return replace(b, rows=tuple(rows))


def _pair_row(a: Row, b: Row) -> Row:
    if a == b:
        return b
    if len(a.cells) != len(b.cells):  # pragma: no cover - rows of one table share a width
        return b
    cells = tuple(_paras(x, y) for x, y in zip(a.cells, b.cells, strict=True))
    return Row(tuple(tuple(c) for c in cells))
