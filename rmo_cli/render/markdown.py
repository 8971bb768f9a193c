"""Charter text written in Markdown, turned into HTML (markdown-it, raw HTML off)."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _markdown_parser() -> Any:
    from markdown_it import MarkdownIt

    # No raw HTML, and no images: an image would load from the network, and the document
    # must stay self-contained (links stay links).
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def markdown_html(value: object) -> str:
    """Charter Markdown (purpose) as HTML, with raw HTML and unsafe links refused."""
    return str(_markdown_parser().render("" if value is None else str(value)))
