"""Every word of charter text reaches every format (SPEC §7): nothing nested, linked or
marked up in the purpose may vanish from the HTML, the Markdown or the PDF's text."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import charter, write_charter
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rmo_cli.render.document import Renderer, render_charter

AS_OF = dt.date(2026, 11, 23)
WORD = re.compile(r"[^\W_]+")

_words = st.integers(0, 9999).map(lambda n: f"w{n}")
_inline = st.one_of(
    _words,
    _words.map(lambda w: f"*{w}*"),
    _words.map(lambda w: f"**{w}**"),
    _words.map(lambda w: f"_{w}_"),
    _words.map(lambda w: f"`{w}`"),
    _words.map(lambda w: f"[{w}](https://example.org/{w})"),
    _words.map(lambda w: f"[{w}](javascript:alert({w}))"),
    _words.map(lambda w: f"[{w}](data:text/html,{w})"),
    _words.map(lambda w: f"![{w}](http://example.org/{w}.png)"),
    _words.map(lambda w: f"<https://example.org/{w}>"),
    _words.map(lambda w: f"[{w}][{w}]\n\n[{w}]: https://example.org/{w}"),
)
# Container prefixes: block quotes, bullet and ordered list items, indentation, nested deep.
_prefix = st.lists(st.sampled_from(["> ", "- ", "* ", "1. ", "7) ", "  ", "    "]), max_size=30)
_line = st.tuples(_prefix, st.lists(_inline, min_size=1, max_size=4)).map(
    lambda parts: "".join(parts[0]) + " ".join(parts[1])
)
TEXT = st.lists(_line, min_size=1, max_size=6).flatmap(
    lambda lines: st.sampled_from(["\n", "\n\n"]).map(lambda sep: sep.join(lines))
)


def _words_of(text: str) -> Counter[str]:
    return Counter(WORD.findall(text))


def _missing(source: str, shown: str) -> Counter[str]:
    return _words_of(source) - _words_of(shown)


def _visible_html(page: str) -> str:
    body = page[page.index("<body") :]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    numbers = " ".join(re.findall(r'<li value="(\d+)"', body))
    return html.unescape(re.sub(r"<[^>]*>", " ", body)) + " " + numbers


def test_purpose_nested_past_the_parsers_limit_is_shown() -> None:
    purpose = "Keep the buildings running.\n\n" + "> " * 21 + "The agency pays a penalty."
    page = str(render_charter(charter(purpose=purpose), "html", Renderer(), as_of=AS_OF))
    assert "The agency pays a penalty." in _visible_html(page)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_every_word_of_the_purpose_reaches_html_and_markdown(purpose: str) -> None:
    data = charter(purpose=purpose)
    page = str(render_charter(data, "html", Renderer(), as_of=AS_OF))
    assert not _missing(purpose, _visible_html(page)), page
    markdown = str(render_charter(data, "md", Renderer(), as_of=AS_OF))
    assert not _missing(purpose, markdown.replace("\\", " "))


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a PDF a try: shrinking takes minutes
)
@given(TEXT)
def test_every_word_of_the_purpose_reaches_the_pdf_text(purpose: str) -> None:
    pytest.importorskip("weasyprint")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    pdf = render_charter(charter(purpose=purpose), "pdf", Renderer(), as_of=AS_OF)
    assert isinstance(pdf, bytes)
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    text = done.stdout.decode("utf-8")
    assert not _missing(purpose, text), text


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_links_in_any_format_go_only_to_http_https_mailto(purpose: str) -> None:
    from markdown_it import MarkdownIt

    data = charter(purpose=purpose)
    page = str(render_charter(data, "html", Renderer(), as_of=AS_OF))
    for target in re.findall(r'<a [^>]*href="([^"]*)"', page):
        assert re.match(r"(https?|mailto):", html.unescape(target)), target
    assert "<img" not in page
    markdown = str(render_charter(data, "md", Renderer(), as_of=AS_OF))
    # Read back by a CommonMark parser that judges no target itself.
    reader = MarkdownIt("commonmark", {"maxNesting": 10_000})
    reader.validateLink = lambda url: True
    stack = list(reader.parse(markdown))
    while stack:
        token = stack.pop()
        stack.extend(token.children or ())
        assert token.type != "image", markdown
        if token.type == "link_open":
            assert re.match(r"(https?|mailto):", str(token.attrGet("href"))), markdown


@pytest.mark.parametrize(
    "purpose",
    [
        "[click](javascript:alert(document.cookie))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "![tracker](https://evil.example/pixel.png)",
        "[r]\n\n[r]: javascript:alert(1)",
        "[x](file:///etc/passwd) [y](relative/path)",
        "> " * 25 + "[x](javascript:alert(1))",
        "<javascript:alert(1)>",
    ],
)
def test_hostile_links_stay_text_in_every_format(purpose: str) -> None:
    data = charter(purpose=purpose)
    page = str(render_charter(data, "html", Renderer(), as_of=AS_OF))
    assert not re.search(r'href="(?!https?:|mailto:)', page[page.index("<body") :])
    assert "<img" not in page
    markdown = str(render_charter(data, "md", Renderer(), as_of=AS_OF))
    assert "![" not in markdown
    assert not re.search(r"(?<!\\)\]\((?!https?:|mailto:)", markdown)


def test_mermaid_labels_escape_html(cli: Any, tmp_path: Path) -> None:
    data = charter(title="<img src=x onerror=alert(1)> & <b>bold</b> `code`")
    data["parties"][0]["name"] = "<script>alert(1)</script>"
    path = write_charter(tmp_path / "acme-globex.yaml", data)
    result = cli("graph", path, "--format", "mermaid")
    assert result.exit_code == 0, result.output
    labels = result.stdout.replace("-->", "").replace("---", "")
    assert "<" not in labels and ">" not in labels and "`" not in labels
    assert "#lt;script#gt;alert(1)#lt;/script#gt;" in labels
    assert "#lt;img src=x onerror=alert(1)#gt; #amp; #lt;b#gt;bold" in labels
