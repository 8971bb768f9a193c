"""The Word document as plain data: paragraphs of runs, tables of rows, a header and footer.

No python-docx here: two documents' blocks can be compared (render/docx_redline.py) before
render/docx.py writes them as WordprocessingML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

DRAFT_STATUSES = ("draft", "proposed", "under-review")
# XML 1.0 cannot hold these: they are shown as visible text (`U+0007`), never dropped.
_UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def showable(text: str) -> str:
    """Text XML can hold: control characters spelt out as `U+XXXX`."""
    return _UNSHOWABLE.sub(lambda m: f"U+{ord(m.group()):04X}", text)


@dataclass(frozen=True)
class Run:
    """Text with one formatting; `field` (PAGE, NUMPAGES) makes it a Word field whose
    current result is `text`; `change` is "ins" or "del" in a redline."""

    text: str
    bold: bool = False
    italic: bool = False
    mono: bool = False
    field: str | None = None
    change: str | None = None


@dataclass(frozen=True)
class Para:
    """A paragraph: runs, a Word style, and how it sits on the page.

    `signature` ends it with a tab to the right margin drawn as a line (a wet-ink blank);
    `mark` is "ins" or "del" when the paragraph itself is added or removed in a redline.
    """

    runs: tuple[Run, ...]
    style: str = "Normal"
    keep_next: bool = False
    signature: bool = False
    mark: str | None = None

    @property
    def text(self) -> str:
        """The paragraph's text as the reader sees it."""
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class Row:
    """A table row: each cell a sequence of paragraphs; `change` marks an added/removed row."""

    cells: tuple[tuple[Para, ...], ...]
    change: str | None = None


@dataclass(frozen=True)
class Table:
    """A real Word table; with `header`, the first row repeats at the top of every page."""

    rows: tuple[Row, ...]
    header: bool = True
    kind: str = "grid"  # grid: column headings; control: row headings in the first column


Block = Para | Table


@dataclass(frozen=True)
class DocModel:
    """A whole Word document: properties, page header and footer, body blocks."""

    title: str
    subject: str
    header: tuple[Para, ...]
    footer: tuple[Para, ...]
    body: tuple[Block, ...]
    draft: bool = False
    keywords: str = ""
    comment: tuple[str, ...] = ()  # a Word comment on the title block (a redline's summary)


def para(
    *parts: str | Run, style: str = "Normal", keep_next: bool = False, signature: bool = False
) -> Para:
    """A paragraph from strings (plain runs) and runs; empty strings are left out."""
    runs = tuple(
        Run(showable(p)) if isinstance(p, str) else replace(p, text=showable(p.text))
        for p in parts
        if (p.text if isinstance(p, Run) else p)
    )
    return Para(runs, style=style, keep_next=keep_next, signature=signature)


def item(*parts: str | Run, marker: str = "•", depth: int = 1, keep_next: bool = False) -> Para:
    """A list item: the marker (bullet or number) is text, so it never changes unseen.

    Word's automatic numbering would renumber silently when a tracked item is accepted or
    rejected, and readers keep an empty numbered item behind; a literal marker is content.
    """
    style = "List" if depth == 1 else f"List {min(depth, 3)}"
    return para(f"{marker}\t", *parts, style=style, keep_next=keep_next)


def text_of(value: object) -> str:
    """None as empty text, anything else as its string."""
    return "" if value is None else str(value)
