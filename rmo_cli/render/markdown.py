"""Charter text written in Markdown, turned into HTML (markdown-it, raw HTML off).

Nothing of the text may be lost on the way (SPEC §7): markdown-it drops what is nested past
its limit and link definitions it uses, so the words of the HTML are checked against the
words of the text, and text that cannot be shown as structure is shown as plain text.
"""

from __future__ import annotations

import functools
import html
import re
from collections import Counter
from typing import Any

from rmo_cli.support.escape import allowed_link

_WORD_RE = re.compile(r"[^\W_]+")
_TAG_RE = re.compile(r"<[^>]*>")
_ITEM_NUMBER_RE = re.compile(r'<li value="(\d+)"')
# Block nesting a page can show: a quote indents about 80 px (40 each side), a list 40 px;
# past about half an A4 page's width the text is squeezed into a column of single letters.
# Deeper text is shown as plain text.
_INDENT = {"blockquote_open": 80, "bullet_list_open": 40, "ordered_list_open": 40}
_MAX_INDENT = 320
# Long words and code lines wrap instead of running off the page (clipped in a PDF).
_WRAP = "overflow-wrap: anywhere"


@functools.cache
def _markdown_parser() -> Any:
    from markdown_it import MarkdownIt

    # No raw HTML, and no images: an image would load from the network, and the document
    # must stay self-contained (links stay links). Links only to http, https and mailto
    # (SPEC §7); any other target stays in the text as it was typed.
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
    parser.validateLink = allowed_link  # type: ignore[method-assign]

    def link_close(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        # The reader of a signed document sees where a link goes, not only its words.
        start = next(i for i in range(idx - 1, -1, -1) if tokens[i].type == "link_open")
        href = str(tokens[start].attrGet("href") or "")
        words = "".join(t.content for t in tokens[start + 1 : idx] if t.type in _TEXTUAL)
        if parser.normalizeLinkText(href) in (words, f"mailto:{words}"):
            return "</a>"
        shown = html.escape(parser.normalizeLinkText(href))
        return f'</a> <span class="link-target">({shown})</span>'

    def list_item_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        # An ordered item shows the number typed (`1.` then `5.` is 1 and 5, not 1 and 2).
        token = tokens[idx]
        if token.info.isdigit():
            number = int(token.info)
            token.attrSet("value", str(number))
            # WeasyPrint ignores `start` and `value`; a counter reset is read by both.
            token.attrSet("style", f"counter-reset: list-item {number - 1}")
        return str(renderer.renderToken(tokens, idx, options, env))

    def code_block(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        content = html.escape(tokens[idx].content)
        return f'<pre style="white-space: pre-wrap; {_WRAP}"><code>{content}</code></pre>\n'

    parser.add_render_rule("link_close", link_close)
    parser.add_render_rule("code_block", code_block)
    parser.add_render_rule("fence", code_block)
    parser.add_render_rule("list_item_open", list_item_open)
    return parser


_TEXTUAL = frozenset({"text", "code_inline"})


def _words(text: str) -> Counter[str]:
    return Counter(_WORD_RE.findall(text))


def plain_html(text: str) -> str:
    """Text as escaped HTML paragraphs (blank lines) and line breaks, every character kept."""
    paragraphs = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(
        f'<p class="plain" style="{_WRAP}">'
        + "<br>\n".join(html.escape(line) for line in p.split("\n"))
        + "</p>\n"
        for p in paragraphs
        if p.strip()
    )


def _too_indented(tokens: Any) -> bool:
    """Whether nested quotes and lists would indent text past what a page can show."""
    widths: list[int] = []
    for token in tokens:
        if token.nesting == 1 and token.type in _INDENT:
            widths.append(_INDENT[token.type])
            if sum(widths) > _MAX_INDENT:
                return True
        elif token.nesting == -1 and token.type.replace("_close", "_open") in _INDENT:
            widths.pop()
    return False


def markdown_html(value: object) -> str:
    """Charter Markdown (purpose) as HTML: raw HTML refused, only http/https/mailto links.

    When the HTML would miss any word of the text (content nested past the parser's limit,
    a link definition) or nest too deep for a page to show, the whole text is shown as
    plain text instead: never dropped.
    """
    text = "" if value is None else str(value)
    parser = _markdown_parser()
    env: dict[str, Any] = {}
    tokens = parser.parse(text, env)
    if _too_indented(tokens):
        return plain_html(text)
    rendered = str(parser.renderer.render(tokens, parser.options, env))
    shown = html.unescape(_TAG_RE.sub(" ", rendered)) + " ".join(_ITEM_NUMBER_RE.findall(rendered))
    if _words(text) - _words(shown):
        return plain_html(text)
    return f'<div class="markdown" style="{_WRAP}">{rendered}</div>'
