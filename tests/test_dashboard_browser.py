"""The portfolio dashboard opened in headless Chromium: the SVG is drawn, every charter linked."""

from __future__ import annotations

import datetime as dt
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_FLAGS
from portfolio_data import AS_OF, portfolio_charters, write_portfolio

from rmo_cli.charter.loading import Document, read_charter
from rmo_cli.render.dashboard import write_dashboard

TODAY = dt.date.fromisoformat(AS_OF)


def chromium() -> str:
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed")
    return CHROMIUM


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM after Chromium loaded and laid out the page (scripts would have run)."""
    done = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _Dom(HTMLParser):
    """Collects links (with the charter they sit in), SVG shapes and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.table_links: dict[str, str] = {}  # charter id (table row) -> href
        self.svg_links: dict[str, str] = {}  # charter id (graph link) -> href
        self.svgs = self.lines = self.circles = self.scripts = 0
        self._row: str | None = None
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr":
            self._row = a.get("data-charter")
        elif tag == "a":
            self._href = a.get("href")
            if self._row and self._href:
                self.table_links[self._row] = self._href
        elif tag == "g" and self._href and a.get("data-charter"):
            self.svg_links[a["data-charter"] or ""] = self._href
        elif tag == "svg":
            self.svgs += 1
        elif tag == "line":
            self.lines += 1
        elif tag == "circle":
            self.circles += 1
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        elif tag == "a":
            self._href = None


@pytest.mark.slow
def test_dashboard_in_chromium(tmp_path: Path) -> None:
    paths = write_portfolio(tmp_path)
    documents = [read_charter(p, p.name).document for p in paths.values()]
    assert all(isinstance(d, Document) for d in documents)
    site = tmp_path / "site"
    links = {d.file: Path(d.file).stem + ".html" for d in documents if d is not None}
    for href in links.values():  # the charter pages the dashboard links to
        (site / href).parent.mkdir(parents=True, exist_ok=True)
        (site / href).write_text("<!DOCTYPE html><title>charter</title>", encoding="utf-8")
    page = write_dashboard([d for d in documents if d], site, links, TODAY)

    dom = _Dom()
    dom.feed(dump_dom(page, tmp_path / "profile"))
    ids = sorted(portfolio_charters())
    assert dom.svgs == 1 and dom.scripts == 0
    assert dom.circles == 4  # acme, globex, hooli, initech: one node each
    assert dom.lines == 5  # one line per pair a charter joins
    assert dom.table_links == {cid: f"{cid}.html" for cid in ids}
    assert dom.svg_links == {cid: f"{cid}.html" for cid in ids}
    for href in dom.table_links.values():
        assert (site / href).is_file()


@pytest.mark.slow
def test_rendered_site_dashboard_in_chromium(tmp_path: Path) -> None:
    """The dashboard as `render_site` writes it, beside the rendered charter pages."""
    render = pytest.importorskip("rmo_cli.render.site")
    from rmo_cli.render.dashboard import dashboard_page
    from rmo_cli.render.document import Renderer

    paths = write_portfolio(tmp_path)
    documents = [read_charter(p, p.name).document for p in paths.values()]
    docs = [d for d in documents if d is not None]
    site = tmp_path / "site"
    result = render.render_site(
        docs,
        site,
        "html",
        Renderer(),
        as_of=TODAY,
        extra_pages=[dashboard_page(docs)],
    )
    assert not result.refused
    assert 'href="dashboard.html"' in (site / "index.html").read_text(encoding="utf-8")
    dom = _Dom()
    dom.feed(dump_dom(site / "dashboard.html", tmp_path / "profile"))
    ids = sorted(portfolio_charters())
    assert dom.svgs == 1
    assert dom.table_links == {cid: f"{cid}.html" for cid in ids}
    for href in dom.table_links.values():
        assert (site / href).is_file()
