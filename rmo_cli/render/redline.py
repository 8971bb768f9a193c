"""The redline (SPEC §8): the document with every change since an earlier version marked.

Both versions are rendered by the same templates, then compared word by word: what only
the new version says is wrapped in `<ins>`, what only the old one said in `<del>`, in
place. Structure (Markdown syntax, HTML tags) always follows the new version, so the
result is well formed; whole items added or removed show as whole runs of inserted or
deleted words. A summary of the changes in the words of `rmo diff` comes first, and every
page is marked as a redline.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from typing import Any

from rmo_cli.support.escape import md_escape

# Markdown: words (a version, date or hash is one word), runs of spaces, line breaks and
# single punctuation or syntax characters. A backslash escape (`\|`, `\*`), an entity
# (`&lt;`) and a tag (`<br>`) are one token each: a mark between `\` and what it escapes
# would be escaped itself (`\</ins>`) or set an escaped `|` free as a table pipe.
_MD_TOKEN = re.compile(
    r"\n|\\[^\sA-Za-z0-9]|&#?\w+;|<[^<>\n]*>|[ \t]+|\w+(?:[.:/-]\w+)*|[^\w\s]", re.UNICODE
)
# HTML: whole tags (and comments), entities, words, spaces, other characters.
_HTML_TOKEN = re.compile(
    r"<!--.*?-->|<[^>]*>|&[#\w]+;|\w+(?:[.:/-]\w+)*|\s+|[^\w\s<&]|[<&]", re.S | re.UNICODE
)
# Markdown syntax that must stay outside an <ins>/<del> run (table cells, line starts).
_MD_BREAK = frozenset({"\n", "|"})
# HTML elements whose content is not text a reader sees (kept from the new version only).
_HTML_RAW = re.compile(r"<(style|script|title|head)\b", re.I)


def summary_lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The changes from old to new in the words of `rmo diff` (without bookkeeping)."""
    from rmo_cli.charter.diff import describe_changes, diff_charters

    changes = [c for c in diff_charters(old, new) if c.segments[:1] != ("signoffs",)]
    return describe_changes(old, new, changes)


def _is_word(token: str) -> bool:
    return bool(token.strip()) and not token.startswith("<") and any(c.isalnum() for c in token)


def _runs(old: list[str], new: list[str]) -> list[tuple[str, list[str]]]:
    """('=', tokens) / ('+', tokens) / ('-', tokens) runs turning old into new.

    An unchanged stretch of at most one word between two changes is taken into them, so a
    rewritten phrase or name reads as one deletion and one insertion, not a patchwork.
    """
    import difflib

    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    codes = matcher.get_opcodes()
    merged: list[list[Any]] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(codes):
        between = 0 < index < len(codes) - 1
        small = tag == "equal" and between and sum(map(_is_word, old[i1:i2])) <= 1
        if small and any(_is_tag(t) or t in _MD_BREAK for t in old[i1:i2]):
            small = False  # structure stays where it is
        if tag != "equal" or small:
            if merged and merged[-1][0] == "change":
                merged[-1][2], merged[-1][4] = i2, j2
            else:
                merged.append(["change", i1, i2, j1, j2])
        else:
            merged.append([tag, i1, i2, j1, j2])
    runs: list[tuple[str, list[str]]] = []
    for tag, i1, i2, j1, j2 in merged:
        if tag == "equal":
            runs.append(("=", new[j1:j2]))
            continue
        if i2 > i1:
            runs.append(("-", old[i1:i2]))
        if j2 > j1:
            runs.append(("+", new[j1:j2]))
    return runs


def _wrap_md(tokens: list[str], mark: str, keep_structure: bool) -> str:
    """Tokens wrapped in <mark> between line breaks and table pipes (kept outside).

    A deleted run's breaks and pipes are dropped (the structure is the new version's).
    """
    out: list[str] = []
    group: list[str] = []

    def flush() -> None:
        text = "".join(group)
        if text.strip():
            # Spaces inside the mark: dropping a mark's run leaves exactly the other text.
            out.append(f"<{mark}>{text}</{mark}>")
        elif keep_structure:
            out.append(text)
        group.clear()

    for token in tokens:
        if token in _MD_BREAK:
            flush()
            if keep_structure:
                out.append(token)
            else:
                out.append(" ")
        else:
            group.append(token)
    flush()
    return "".join(out)


def redline_markdown(old_text: str, new_text: str) -> str:
    """new_text with the words since old_text in <ins> and the words gone in <del>."""
    old, new = _MD_TOKEN.findall(old_text), _MD_TOKEN.findall(new_text)
    parts: list[str] = []
    for op, tokens in _runs(old, new):
        if op == "=":
            parts.append("".join(tokens))
        elif op == "+":
            parts.append(_wrap_md(tokens, "ins", keep_structure=True))
        else:
            # One run, its line breaks and table pipes as spaces: the structure is the new one's.
            text = "".join(" " if t in _MD_BREAK else t for t in tokens)
            parts.append(f"<del>{text}</del>" if text.strip() else "")
    return "".join(parts)


def _is_tag(token: str) -> bool:
    return token.startswith("<") and len(token) > 1


def _html_tokens(text: str) -> list[str]:
    """Tokens of an HTML page; the head (styles, title) is one token, never marked."""
    head_end = text.find("</head>")
    if head_end < 0:
        return _HTML_TOKEN.findall(text)
    head = text[: head_end + len("</head>")]
    return [head, *_HTML_TOKEN.findall(text[len(head) :])]


_BLOCK_TAG = re.compile(r"</?(p|li|tr|td|th|h\d|div|section|br|table|ul|ol)\b", re.I)


def _wrap_html(tokens: list[str], mark: str, keep_tags: bool) -> str:
    out: list[str] = []
    group: list[str] = []

    def flush() -> None:
        text = "".join(group)
        if text.strip():
            out.append(f'<{mark} class="redline-{mark}">{text}</{mark}>')
        elif keep_tags:
            out.append(text)
        group.clear()

    for token in tokens:
        if _is_tag(token):
            flush()
            if keep_tags:
                out.append(token)
            elif _BLOCK_TAG.match(token):
                out.append(" ")  # deleted words of two cells or items stay apart
        else:
            group.append(token)
    flush()
    return "".join(out)


def redline_html(old_text: str, new_text: str) -> str:
    """The new page with inserted words in <ins> and deleted words in <del>, tags as new."""
    old, new = _html_tokens(old_text), _html_tokens(new_text)
    parts: list[str] = []
    for op, tokens in _runs(old, new):
        if op == "=":
            parts.append("".join(tokens))
        elif op == "+":
            if tokens and _HTML_RAW.match(tokens[0]):
                parts.append("".join(tokens))
            else:
                parts.append(_wrap_html(tokens, "ins", keep_tags=True))
        else:
            if tokens and _HTML_RAW.match(tokens[0]):
                continue
            # One run of the deleted words; words of two cells or items stay apart.
            text = "".join(
                (" " if _BLOCK_TAG.match(t) else "") if _is_tag(t) else t for t in tokens
            )
            if text.strip():
                parts.append(f'<del class="redline-del">{text}</del>')
    return "".join(parts)


_REDLINE_CSS = """
ins.redline-ins { color: #0b5d1e; background: #e3f5e6; text-decoration: underline; }
del.redline-del { color: #8a1c1c; background: #fbe6e6; text-decoration: line-through; }
.redline-mark { font: bold 9pt "DejaVu Sans", sans-serif; color: #8a1c1c; margin: 0 0 8px; }
.redline-summary { border: 2px solid #8a1c1c; padding: 8px 14px; margin: 0 0 18px; }
.redline-summary h2 { margin-top: 0; }
@page { @top-left { content: "%(mark)s"; font-size: 8pt; color: #8a1c1c; font-weight: bold;
  font-family: "DejaVu Sans", sans-serif; } }
@media print {
  .redline-mark { position: fixed; top: 0; left: 0; }
}
"""


def _css_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def mark_text(label: str) -> str:
    """The words marking every page of a redline."""
    return f"REDLINE: changes since {label}"


def redline_page_html(old_html: str, new_html: str, label: str, summary: Sequence[str]) -> str:
    """A complete redline page: marks, the summary, then the marked-up document."""
    body = redline_html(old_html, new_html)
    mark = mark_text(label)
    style = "<style>" + _REDLINE_CSS % {"mark": _css_string(mark)} + "</style>\n"
    items = "".join(f"<li>{html.escape(line)}</li>" for line in summary) or (
        "<li>No change of content.</li>"
    )
    banner = (
        f'<p class="redline-mark" role="note">{html.escape(mark)}</p>\n'
        '<section class="redline-summary" aria-label="Summary of changes">'
        f"<h2>Summary of changes since {html.escape(label)}</h2><ul>{items}</ul>"
        "<p>Inserted words are underlined, deleted words struck through.</p></section>\n"
    )
    body = body.replace("</head>", style + "</head>", 1)
    match = re.search(r"<body[^>]*>", body)
    if match is None:
        return banner + body
    return body[: match.end()] + "\n" + banner + body[match.end() :]


def redline_page_markdown(old_md: str, new_md: str, label: str, summary: Sequence[str]) -> str:
    """A complete redline in Markdown: the mark and summary, then the marked-up document."""
    mark = md_escape(mark_text(label))
    lines = [f"**{mark}**", "", f"## Summary of changes since {md_escape(label)}", ""]
    lines += [f"- {md_escape(line)}" for line in summary] or ["- No change of content."]
    lines += [
        "",
        "Inserted words are marked <ins>inserted</ins>, deleted words <del>deleted</del>.",
        "",
    ]
    lines += ["---", ""]
    return "\n".join(lines) + redline_markdown(old_md, new_md)


def render_redline(
    base: dict[str, Any],
    label: str,
    data: dict[str, Any],
    fmt: str,
    renderer: Any,
    *,
    as_of: dt.date,
    file: str = "",
    **options: Any,
) -> str | bytes:
    """The redline of data against base (named by label) in fmt (md, html or pdf)."""
    from rmo_cli.render.document import render_charter
    from rmo_cli.render.pdf import html_to_pdf

    page_fmt = "html" if fmt == "pdf" else fmt
    old = render_charter(base, page_fmt, renderer, as_of=as_of, file=file, **options)
    new = render_charter(data, page_fmt, renderer, as_of=as_of, file=file, **options)
    assert isinstance(old, str) and isinstance(new, str)
    summary = summary_lines(base, data)
    if fmt == "md":
        return redline_page_markdown(old, new, label, summary)
    page = redline_page_html(old, new, label, summary)
    return html_to_pdf(page) if fmt == "pdf" else page
