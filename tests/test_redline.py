"""The redline (SPEC §8) in md, html and pdf: what is marked, what is not, and a property."""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import charter
from hypothesis import given, settings
from hypothesis import strategies as st

from rmo_cli.render.document import Renderer, render_charter
from rmo_cli.render.redline import redline_html, redline_markdown, render_redline

AS_OF = dt.date(2026, 11, 23)
LABEL = "version 1.0.0 in force (commit abc1234)"


def old_and_new() -> tuple[dict[str, Any], dict[str, Any]]:
    old = charter(
        objectives=[
            {"id": "obj-1", "statement": "Halve unplanned outages.", "owner": "jdoe"},
            {"id": "obj-2", "statement": "Publish a joint asset register.", "owner": "rsmith"},
        ]
    )
    new = copy.deepcopy(old)
    new["version"] = "1.1.0"
    new["purpose"] = "Keep the public buildings running safely."
    new["objectives"][0]["owner"] = "rsmith"  # a person, by name
    del new["objectives"][1]  # a whole item removed
    new["objectives"].append(  # a whole item added
        {"id": "obj-3", "statement": "Cut energy use by a fifth.", "owner": "jdoe"}
    )
    return old, new


def render(fmt: str, old: dict[str, Any], new: dict[str, Any]) -> str | bytes:
    return render_redline(old, LABEL, new, fmt, Renderer(None), as_of=AS_OF, file="x.yaml")


VOID = {"meta", "link", "br", "hr", "img", "input", "col", "wbr", "area", "base", "source"}


class Marks(HTMLParser):
    """The text of an HTML page split into inserted, deleted and unmarked words."""

    def __init__(self, skip_classes: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.skip_at: int | None = None  # depth of the element being skipped
        self.skip_classes = set(skip_classes)
        self.parts: list[tuple[str, str]] = []  # (mark, text): mark '', 'ins' or 'del'

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        if self.skip_at is None and (tag in ("head", "style") or classes & self.skip_classes):
            self.skip_at = len(self.stack)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or tag not in self.stack:
            return
        while self.stack and self.stack.pop() != tag:
            pass
        if self.skip_at is not None and len(self.stack) <= self.skip_at:
            self.skip_at = None

    def handle_data(self, data: str) -> None:
        if self.skip_at is not None:
            return
        mark = "ins" if "ins" in self.stack else "del" if "del" in self.stack else ""
        self.parts.append((mark, data))

    def words(self, *marks: str) -> list[str]:
        return "".join(t for m, t in self.parts if m in marks).split()

    def runs(self, mark: str) -> list[str]:
        return " ".join(t for m, t in self.parts if m == mark).split()


def html_marks(page: str, skip: tuple[str, ...] = ()) -> Marks:
    parser = Marks(skip)
    parser.feed(page)
    return parser


def md_words(text: str) -> str:
    """The text's characters without whitespace and table pipes (Markdown structure)."""
    return re.sub(r"[\s|]+", "", text)


def without(text: str, tag: str) -> str:
    """Markdown redline text with <tag>…</tag> runs dropped and the other tag unwrapped."""
    other = "del" if tag == "ins" else "ins"
    text = re.sub(rf"<{tag}>.*?</{tag}>", "", text, flags=re.S)
    return text.replace(f"<{other}>", "").replace(f"</{other}>", "")


# --- Markdown ----------------------------------------------------------------------------


def test_markdown_marks_words_items_and_people() -> None:
    old, new = old_and_new()
    text = render("md", old, new)
    assert isinstance(text, str)
    head, body = text.split("\n---\n", 1)
    assert head.startswith(f"**REDLINE: changes since {LABEL}**")
    # The summary in the words of `rmo diff`.
    assert "- purpose: Keep the public buildings running. → Keep" in head
    assert "Publish a joint asset register." in head  # the removed objective, in words
    # Word level inside changed text; unchanged words unmarked.
    assert "Keep the public buildings running<ins> safely</ins>." in body
    # Whole items: the removed objective's words deleted, the added one's inserted.
    assert "<del>Publish a joint asset register</del><ins>Cut energy use by a fifth</ins>." in body
    # People by name, never by id.
    assert "<del>Jane Doe" in body and "<ins>Raj Smith" in body
    assert "jdoe" not in re.sub(r"\(jdoe\)", "", body) or "<ins>jdoe" not in body
    # Unchanged text carries no mark.
    for unchanged in ("Halve unplanned outages.", "ACME Public Works Agency"):
        assert unchanged in body
        for mark in ("<ins>", "<del>"):
            assert f"{mark}{unchanged}" not in body


def test_markdown_redline_keeps_table_cells_apart() -> None:
    old, new = old_and_new()
    body = str(render("md", old, new)).split("\n---\n", 1)[1]
    for line in body.splitlines():
        for tag in ("ins", "del"):
            for run in re.findall(rf"<{tag}>(.*?)</{tag}>", line):
                assert "|" not in run.replace("\\|", ""), line


# --- HTML ----------------------------------------------------------------------------------


def test_html_marks_words_and_styles_them() -> None:
    old, new = old_and_new()
    page = str(render("html", old, new))
    assert 'class="redline-mark"' in page and "REDLINE: changes since" in page
    assert "del.redline-del" in page and "line-through" in page  # styled deletions
    assert "ins.redline-ins" in page and "underline" in page  # styled insertions
    assert '@top-left { content: "REDLINE: changes since' in page  # every printed page
    marks = html_marks(page, skip=("redline-summary", "redline-mark"))
    inserted, deleted = marks.runs("ins"), marks.runs("del")
    for word in ("safely", "Cut", "energy", "fifth"):
        assert word in inserted
    for word in ("Publish", "joint", "asset", "register"):
        assert word in deleted
    assert "Halve" not in inserted + deleted and "outages." not in inserted + deleted
    assert "running" not in inserted + deleted


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_pdf_has_the_redline_mark_on_every_page_and_the_words(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    old, new = old_and_new()
    pdf = render("pdf", old, new)
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    path = tmp_path / "redline.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 2
    for page in pages:
        assert "REDLINE: changes since" in page
    flat = " ".join(text.split())
    assert "Summary of changes" in flat
    for words in ("running safely.", "Cut energy use by a fifth.", "Publish a joint asset"):
        assert words in flat


# --- the property -------------------------------------------------------------------------

WORDS = st.sampled_from(
    ["alpha", "beta", "gamma", "delta", "and", "the", "ten", "works", "1.2", "co-op", "x"]
)
SENTENCE = st.lists(WORDS, min_size=1, max_size=12).map(lambda ws: " ".join(ws) + ".")


@settings(max_examples=40, deadline=None)
@given(
    purposes=st.tuples(SENTENCE, SENTENCE),
    statements=st.tuples(
        st.lists(SENTENCE, min_size=1, max_size=3), st.lists(SENTENCE, min_size=1, max_size=3)
    ),
)
def test_removing_the_marks_gives_back_each_version(
    purposes: tuple[str, str], statements: tuple[list[str], list[str]]
) -> None:
    sides = []
    for purpose, items in zip(purposes, statements, strict=True):
        objectives = [
            {"id": f"obj-{i + 1}", "statement": text, "owner": "jdoe"}
            for i, text in enumerate(items)
        ]
        sides.append(charter(purpose=purpose, objectives=objectives))
    old, new = sides
    renderer = Renderer(None)
    pages = {
        fmt: [
            str(render_charter(side, fmt, renderer, as_of=AS_OF, file="x.yaml"))
            for side in (old, new)
        ]
        for fmt in ("md", "html")
    }
    md_old, md_new = pages["md"]
    marked = redline_markdown(md_old, md_new)
    assert md_words(without(marked, "del")) == md_words(md_new)
    assert md_words(without(marked, "ins")) == md_words(md_old)
    # The whole page: apart from the summary (before the first rule) the same holds.
    page = str(render("md", old, new)).split("\n---\n", 1)[1]
    assert md_words(without(page, "del")) == md_words(md_new)

    html_old, html_new = pages["html"]
    marks = html_marks(redline_html(html_old, html_new))
    # The visible text, whitespace aside.
    assert "".join(marks.words("", "ins")) == "".join(html_marks(html_new).words(""))
    assert "".join(marks.words("", "del")) == "".join(html_marks(html_old).words(""))


_PIECES = ["a", "b", "\\", "*", "[", "]", "(", ")", "<", ">", "&", "lt;", "_", "`", "|", "#", " "]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("javascript:\\<", "|`"),  # an escaped pipe's backslash was marked apart from it
        ("_>&x\nx|([>script", "_b ]#ba*javascript:"),  # and `\_`: `\<del>` showed as text
    ],
)
def test_an_escape_is_never_split_from_what_it_escapes(old: str, new: str) -> None:
    """Charter text is Markdown-escaped (`\\|`, `\\_`, `&lt;`); a mark placed between the
    backslash and its character is escaped itself (`\\</ins>` shows as text and the rest of
    the document reads as inserted) or sets an escaped `|` free as a table column."""
    from markdown_it import MarkdownIt

    from rmo_cli.support.escape import md_escape

    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    rng = __import__("random").Random(7)
    cases = [(old, new)] + [
        (
            "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 10))),
            "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 10))),
        )
        for _ in range(300)
    ]
    for before, after in cases:
        for start, end in (
            ("Purpose: ", " end"),
            ("| A | B | C |\n|---|---|---|\n| x | ", " | y |"),
        ):
            page = parser.render(
                redline_markdown(
                    start + md_escape(before, "<br>") + end, start + md_escape(after, "<br>") + end
                )
            )
            tags = set(re.findall(r"</?([a-zA-Z][\w-]*)", page))
            assert tags <= {"p", "ins", "del", "br", "table", "thead", "tbody", "tr", "th", "td"}
            assert page.count("<ins>") == page.count("</ins>"), (before, after, page)
            assert page.count("<del>") == page.count("</del>"), (before, after, page)
            assert "&lt;/ins&gt;" not in page and "&lt;del&gt;" not in page, (before, after)
            assert page.count("<td>") == (3 if "<table>" in page else 0), (before, after, page)
