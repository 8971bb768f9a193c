"""Charter Markdown (purpose) as Word paragraphs: the structure Word can show, the rest as text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rmo_cli.render.docx_model import Para, Run, item, para, text_of
from rmo_cli.render.markdown import _markdown_parser


def markdown_paras(value: object) -> list[Para]:
    """Charter Markdown as paragraphs: emphasis, code, lists and quotes kept; links as
    their text followed by the target in brackets (only http, https and mailto survive the
    parser); raw HTML stays visible text, as in the HTML document."""
    tokens = _markdown_parser().parse(text_of(value))
    paras: list[Para] = []
    lists: list[int | None] = []  # the next number of each open list (None: bullets)
    marker: str | None = None  # the marker of the list item whose first paragraph is next
    quote = 0
    for token in tokens:
        kind = token.type
        if kind == "bullet_list_open":
            lists.append(None)
        elif kind == "ordered_list_open":
            start = token.attrGet("start")
            lists.append(
                int(start) if isinstance(start, (int, str)) and str(start).isdigit() else 1
            )
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open" and lists:
            number = lists[-1]
            marker = "•" if number is None else f"{number}{token.markup or '.'}"
            if number is not None:
                lists[-1] = number + 1
        elif kind == "blockquote_open":
            quote += 1
        elif kind == "blockquote_close":
            quote -= 1
        elif kind in ("code_block", "fence"):
            for line in token.content.rstrip("\n").split("\n"):
                paras.append(para(Run(line, mono=True), style="No Spacing"))
        elif kind == "inline":
            heading = token.map is not None and any(
                t.type == "heading_open" and t.map == token.map for t in tokens
            )
            runs = _inline_runs(token.children or [], bold=heading)
            if lists and marker is not None:
                paras.append(item(*runs, marker=marker, depth=len(lists)))
                marker = None
            elif lists:
                depth = "" if len(lists) == 1 else f" {min(len(lists), 3)}"
                paras.append(para(*runs, style="List Continue" + depth))
            elif runs:
                paras.append(para(*runs, style="Quote" if quote else "Normal"))
    return paras


def _inline_runs(children: Sequence[Any], bold: bool = False) -> list[Run]:
    runs: list[Run] = []
    strong, em = int(bold), 0
    link: list[str] = []
    for child in children:
        kind = child.type
        if kind == "strong_open":
            strong += 1
        elif kind == "strong_close":
            strong -= 1
        elif kind == "em_open":
            em += 1
        elif kind == "em_close":
            em -= 1
        elif kind == "link_open":
            link.append(str(child.attrs.get("href", "")))
        elif kind == "link_close":
            target = link.pop() if link else ""
            if target:
                runs.append(Run(f" ({target})"))
        elif kind == "code_inline":
            runs.append(Run(child.content, bold=strong > 0, italic=em > 0, mono=True))
        elif kind == "softbreak":
            runs.append(Run(" "))
        elif kind == "hardbreak":
            runs.append(Run("\n"))
        elif child.content:  # text, html_inline (shown as text), anything else with text
            runs.append(Run(child.content, bold=strong > 0, italic=em > 0))
    return runs
