"""The rendered portfolio site in headless Chromium (driven over the DevTools pipe): search
from file://, the dashboard and an organisation page, and the SVG graph (edges visible,
labels not overlapping). Screenshots go to tmp_path, and to $RMO_SCREENSHOTS when set."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cdp import Browser
from conftest import CHROMIUM, SAMPLES, Cli

KPI_FIXTURE = Path(__file__).parent / "data" / "kpis" / "acme-globex.yaml"
ENV = {"RMO_TODAY": "2026-11-23", "NO_COLOR": "1"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed"),
]


def _charters(folder: Path) -> Path:
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("allowed_signers"))
    shutil.copy(KPI_FIXTURE, folder)
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    charters = _charters(root / "charters")
    out = root / "site"
    result = Cli()("render", charters, "-o", out, "--to", "html", env=ENV)
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    with Browser(tmp_path / "profile") as b:
        yield b


def _keep(shot: Path) -> Path:
    """The screenshot, also copied to $RMO_SCREENSHOTS for people to look at."""
    assert shot.stat().st_size > 5_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    folder = os.environ.get("RMO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)
    return shot


def _links(browser: Browser, selector: str) -> list[str]:
    return browser.eval(
        f"Array.from(document.querySelectorAll({selector!r})).map(a => a.getAttribute('href'))"
    )


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Heartwise", ["riverside-cardiac-research-network.html"]),
        ("globex facilities", ["acme-globex.html", "harbourside-globex-facilities.html"]),
        ("Saltmere Minerals", ["eastern-counties-road-salt-framework.html"]),
        ("no such party anywhere", []),
    ],
)
def test_search_from_file_url_finds_a_partys_charters(
    site: Path, browser: Browser, typed: str, found: list[str]
) -> None:
    browser.open((site / "index.html").as_uri())
    assert browser.eval("location.protocol") == "file:"
    browser.eval("document.getElementById('search').focus()")
    browser.type(typed)
    assert sorted(_links(browser, "#search-results a")) == found
    if not found:
        assert "No charter matches" in browser.eval(
            "document.getElementById('search-results').textContent"
        )


def test_every_page_has_the_same_navigation(site: Path, browser: Browser) -> None:
    expected = ["index.html", "dashboard.html", "organisations.html"]
    for page in ("index.html", "dashboard.html", "organisations.html", "org-acme.html",
                 "acme-globex.html"):  # fmt: skip
        browser.open((site / page).as_uri())
        assert _links(browser, "nav.site-nav a") == expected, page


def test_dashboard_in_chromium(site: Path, browser: Browser, tmp_path: Path) -> None:
    browser.open((site / "dashboard.html").as_uri())
    assert browser.eval("document.scripts.length") == 0  # no JavaScript on the dashboard
    # A trend line for each KPI with numeric measurements (the fixture's two), drawn.
    trends = browser.eval(
        "Array.from(document.querySelectorAll('tr[data-kpi] svg.trend')).map(s => "
        "[s.closest('tr').dataset.kpi, s.getBoundingClientRect().width, "
        "s.querySelectorAll('polyline').length])"
    )
    assert sorted(t[0] for t in trends) == ["acme-globex/kpi-closures", "acme-globex/kpi-otd"]
    assert all(width > 100 and lines == 1 for _, width, lines in trends)
    states = browser.eval(
        "Object.fromEntries(Array.from(document.querySelectorAll('tr[data-kpi]')).map(r => "
        "[r.dataset.kpi, r.cells[2].textContent.trim()]))"
    )
    assert states["acme-globex/kpi-otd"] == "At risk"
    assert states["acme-globex/kpi-closures"] == "Off track"
    # Dates are written in words and never broken across lines.
    dates = browser.eval(
        "Array.from(document.querySelectorAll('table.charters .nowrap')).map(e => "
        "[e.textContent, e.getClientRects().length])"
    )
    assert dates and all(rects == 1 for _, rects in dates)
    assert "23 November 2026" in browser.eval("document.body.textContent")
    _keep(browser.screenshot(tmp_path / "dashboard.png"))


def test_organisation_page_in_chromium(site: Path, browser: Browser, tmp_path: Path) -> None:
    browser.open((site / "organisations.html").as_uri())
    assert "org-acme.html" in _links(browser, "tr[data-party] a")
    browser.open((site / "org-acme.html").as_uri())
    assert browser.eval("document.querySelector('h1').textContent") == "ACME Public Works Agency"
    assert _links(browser, "#charters a") == ["acme-globex.html"]
    people = browser.eval("Array.from(document.querySelectorAll('#people td:first-child'))"
                          ".map(td => td.textContent)")  # fmt: skip
    assert people == ["Jane Doe"]
    kpis = browser.eval("Array.from(document.querySelectorAll('#kpis tbody tr'))"
                        ".map(r => r.cells[0].textContent)")  # fmt: skip
    assert kpis == ["Tenant satisfaction"]  # the KPI Jane Doe of ACME owns
    browser.open((site / "org-globex.html").as_uri())
    kpis = browser.eval("Array.from(document.querySelectorAll('#kpis tbody tr'))"
                        ".map(r => r.cells[0].textContent)")  # fmt: skip
    # Party id globex is in two charters: Raj Smith's KPI in one, Globex's others in the other.
    assert sorted(kpis) == ["Estate energy use", "On-time delivery",
                            "Reactive repairs fixed at the first visit"]  # fmt: skip
    assert browser.eval("document.querySelectorAll('#kpis svg.trend').length") == 1
    _keep(browser.screenshot(tmp_path / "organisation.png"))


# What the page reports about the SVG: each edge's stroke, and every pair of overlapping
# labels (boxes as laid out by the browser, in page pixels).
_GRAPH_PROBE = """
(() => {
  const edges = Array.from(document.querySelectorAll(EDGES)).map(e => {
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    return {stroke: s.stroke, width: parseFloat(s.strokeWidth), opacity: parseFloat(s.opacity),
            size: r.width + r.height};
  });
  const boxes = Array.from(document.querySelectorAll('text'))
    .map(t => [t.textContent, t.getBoundingClientRect()]);
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (w > 0.5 && h > 0.5) overlaps.push([a, b]);
  }
  return {edges, labels: boxes.length, overlaps};
})()
"""


@pytest.mark.parametrize("layout", ["builtin", "graphviz"])
def test_graph_svg_edges_are_visible_and_labels_do_not_overlap(
    browser: Browser, tmp_path: Path, layout: str
) -> None:
    if layout == "graphviz" and shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    charters = _charters(tmp_path / "charters")
    env = {**ENV, **({"RMO_NO_GRAPHVIZ": "1"} if layout == "builtin" else {})}
    result = Cli()("graph", charters, "--format", "svg", env=env)
    assert result.exit_code == 0, result.stderr
    svg = tmp_path / f"graph-{layout}.svg"
    svg.write_text(result.stdout, encoding="utf-8")
    browser.open(svg.as_uri(), width=1400, height=1000)
    edges = "g.link line" if layout == "builtin" else "g.edge path"
    found = browser.eval(_GRAPH_PROBE.replace("EDGES", repr(edges)))
    assert len(found["edges"]) == 7  # a line per pair a charter joins: 2 + 1 + 1 + 2 + 1
    for edge in found["edges"]:
        assert edge["stroke"] not in ("none", "") and edge["width"] > 0, edge
        assert edge["opacity"] > 0 and edge["size"] > 0, edge
    assert found["labels"] >= 12  # party names and charter labels
    assert found["overlaps"] == []
    _keep(browser.screenshot(tmp_path / f"graph-{layout}.png"))
