"""The portfolio library: status rows, the graph and its Mermaid, DOT and SVG forms."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import warnings
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import charter
from portfolio_data import AS_OF, portfolio_charters, write_portfolio

from rmo_cli.charter.loading import Document, read_charter
from rmo_cli.cli.exits import exit_code_of
from rmo_cli.ops.portfolio import graph, status_row, status_rows, summarize
from rmo_cli.render.dashboard import dashboard_html, write_dashboard
from rmo_cli.render.graph import to_dot, to_mermaid, to_svg
from rmo_cli.reporters.status import status_markdown

TODAY = dt.date.fromisoformat(AS_OF)
SVG = "{http://www.w3.org/2000/svg}"


def docs(tmp_path: Path) -> list[Document]:
    paths = write_portfolio(tmp_path)
    loaded = [read_charter(p, f"charters/{p.name}") for p in paths.values()]
    assert all(x.document is not None for x in loaded)
    return [x.document for x in loaded if x.document is not None]


def doc_of(data: Any, file: str = "x.yaml") -> Document:
    return Document(file=file, data=data, text="")


# ---------------------------------------------------------------------------- status rows


def test_rows_carry_signoff_review_and_expiry_state(tmp_path: Path) -> None:
    rows = {r.id: r for r in status_rows(docs(tmp_path), TODAY, "P30D")}
    assert list(rows) == ["acme-globex", "acme-initech", "globex-initech-hooli", "hooli-acme"]

    a = rows["acme-globex"].as_dict()
    assert a == {
        "id": "acme-globex",
        "file": "charters/acme-globex.yaml",
        "title": "ACME–Globex Facilities",
        "status": "active",
        "model": "quasi-hierarchy",
        "parties": ["acme", "globex"],
        "lead_party": "acme",
        "signed": 2,
        "parties_total": 2,
        "stale": 0,
        "review_state": "ok",
        "next_due": "2027-02-01",
        "days": 70,
        "expires": "2028-01-31",
        "expiry_state": "ok",
        "kpis": {},
        "in_force": None,
    }
    b = rows["acme-initech"]
    assert (b.signed, b.parties_total, b.stale) == (0, 2, 1)
    assert (b.review_state, b.next_due, b.expires) == ("overdue", "2025-07-01", None)
    assert b.signoff_text == "0 of 2 signed, 1 stale"
    c = rows["globex-initech-hooli"]
    assert (c.review_state, c.parties_total, c.expiry_state) == ("not-scheduled", 3, "expiring")
    d = rows["hooli-acme"]
    assert (d.review_state, d.next_due, d.lead_party) == ("due-soon", "2026-12-01", "hooli")


def test_within_window_changes_review_state(tmp_path: Path) -> None:
    rows = {r.id: r for r in status_rows(docs(tmp_path), TODAY, "P5D")}
    assert rows["hooli-acme"].review_state == "ok"


def test_summary_counts_by_status_and_review_state(tmp_path: Path) -> None:
    summary = summarize(status_rows(docs(tmp_path), TODAY))
    assert summary.charters == 4
    assert summary.by_status == {"draft": 1, "active": 3}
    assert summary.by_review_state == {"overdue": 1, "due-soon": 1, "ok": 1, "not-scheduled": 1}
    assert (summary.fully_signed, summary.with_stale, summary.expiring) == (1, 1, 1)
    assert "1 overdue" in summary.text() and "4 charters" in summary.text()


@pytest.mark.parametrize(
    "data",
    [
        {"parties": 5},
        {"parties": [5, "x", {"id": ["a"]}, {"id": "ok"}], "signoffs": 5},
        {"signoffs": [5, {"party": ["acme"]}, {"party": "acme", "fingerprint": 7}]},
        {"title": ["x"], "id": {"a": 1}, "status": 3, "governance": "network"},
        {"review": 5, "term": [1], "governance": {"model": 7, "lead_party": ["acme"]}},
        [],
        "text",
    ],
)
def test_wrong_types_never_crash(data: Any) -> None:
    full = charter(**data) if isinstance(data, dict) else data
    row = status_rows([doc_of(full)], TODAY)[0]
    g = graph([doc_of(full)])
    assert isinstance(row.as_dict()["parties"], list)
    for text in (to_mermaid(g), to_dot(g), to_svg(g), dashboard_html([row], g)):
        assert text


def test_invalid_window_is_a_usage_error(tmp_path: Path) -> None:
    from rmo_cli.support.errors import RmoError

    with pytest.raises(RmoError) as err:
        status_rows(docs(tmp_path), TODAY, "soon")
    assert exit_code_of(err.value) == 2


def test_markdown_escapes_charter_text() -> None:
    row = status_rows([doc_of(charter(title="A | B *bold*"))], TODAY)[0]
    text = status_markdown([row], TODAY)
    table_row = next(line for line in text.splitlines() if "acme-globex" in line)
    assert r"A \| B \*bold\*" in table_row
    assert table_row.count(" | ") == 8  # nine cells, none split by the title's |


# ---------------------------------------------------------------------------- the graph


def test_parties_are_matched_across_charters_by_id(tmp_path: Path) -> None:
    g = graph(docs(tmp_path))
    assert [p.id for p in g.parties] == ["acme", "globex", "hooli", "initech"]
    acme = next(p for p in g.parties if p.id == "acme")
    assert acme.charters == ("acme-globex", "acme-initech", "hooli-acme")
    assert acme.lead_in == ("acme-globex",)
    assert [p.id for p in g.parties if p.is_lead] == ["acme", "hooli"]
    assert len(g.links) == 4
    three = next(k for k in g.links if k.charter == "globex-initech-hooli")
    assert three.edges() == [("globex", "initech"), ("globex", "hooli")]
    led = next(k for k in g.links if k.charter == "hooli-acme")
    assert led.edges() == [("hooli", "acme")] and led.label == "Hooli Group Services (hierarchy)"


_NODE = re.compile(r'^  (?P<id>[a-z][a-z0-9-]*)\["(?P<label>[^"]*)"\]$')
_EDGE = re.compile(
    r'^  (?P<a>[a-z][a-z0-9-]*) (?P<arrow>-->|---)\|"(?P<label>[^"]*)"\| (?P<b>\S+)$'
)


def parse_mermaid(text: str) -> tuple[dict[str, str], list[tuple[str, str, str, str]], set[str]]:
    """Nodes, edges and lead-class members of our Mermaid flowchart; fails on other lines."""
    lines = text.splitlines()
    body = [line for line in lines if not line.startswith("%%")]
    assert body[0] == "flowchart LR"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str, str]] = []
    leads: set[str] = set()
    for line in body[1:]:
        if m := _NODE.match(line):
            assert m["id"] not in nodes
            nodes[m["id"]] = m["label"]
        elif m := _EDGE.match(line):
            assert m["a"] in nodes and m["b"] in nodes, line
            edges.append((m["a"], m["arrow"], m["label"], m["b"]))
        elif line.startswith("  classDef lead "):
            pass
        elif line.startswith("  class "):
            leads.update(line.split()[1].split(","))
        else:
            pytest.fail(f"unexpected Mermaid line: {line!r}")
    assert leads <= set(nodes)
    return nodes, edges, leads


def test_mermaid_structure(tmp_path: Path) -> None:
    nodes, edges, leads = parse_mermaid(to_mermaid(graph(docs(tmp_path))))
    assert nodes == {
        "acme": "ACME Public Works Agency",
        "globex": "Globex Facilities Ltd",
        "hooli": "Hooli Logistics",
        "initech": "Initech Systems",
    }
    assert edges == [
        ("acme", "-->", "ACME–Globex Facilities (quasi-hierarchy)", "globex"),
        ("acme", "---", "ACME–Initech IT Services (network)", "initech"),
        ("globex", "---", "Logistics Framework (market)", "initech"),
        ("globex", "---", "Logistics Framework (market)", "hooli"),
        ("hooli", "-->", "Hooli Group Services (hierarchy)", "acme"),
    ]
    assert leads == {"acme", "hooli"}


def test_mermaid_escapes_labels_and_unsafe_ids() -> None:
    data = charter(title='The "End" #1')
    data["parties"][0]["id"] = "end"  # a Mermaid keyword
    data["parties"][1]["id"] = "a--b"  # double hyphens break Mermaid's lexer
    data["governance"]["lead_party"] = "end"
    nodes, edges, leads = parse_mermaid(to_mermaid(graph([doc_of(data)])))
    assert set(nodes) == {"party-1", "party-2"}
    assert edges == [("party-2", "-->", "The #quot;End#quot; #35;1 (quasi-hierarchy)", "party-1")]
    assert leads == {"party-2"}


def parse_dot(text: str) -> Any:
    """The one graph pydot parses from text (pydot's pyparsing use warns on import)."""
    pydot = pytest.importorskip("pydot")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None and len(graphs) == 1, text
    return graphs[0]


def test_dot_parses_with_pydot_and_keeps_party_ids(tmp_path: Path) -> None:
    parsed = parse_dot(to_dot(graph(docs(tmp_path))))
    names = {
        n.get_name().strip('"'): n
        for n in parsed.get_nodes()
        if n.get_name() not in ("node", "edge", "graph")
    }
    assert set(names) == {"acme", "globex", "hooli", "initech"}
    assert names["acme"].get("label") == '"ACME Public Works Agency"'
    assert names["acme"].get("penwidth") == "3" and names["globex"].get("penwidth") is None
    edges = [
        (
            e.get_source().strip('"'),
            e.get_destination().strip('"'),
            e.get("label").strip('"'),
            e.get("dir"),
        )
        for e in parsed.get_edges()
    ]
    assert edges == [
        ("acme", "globex", "ACME–Globex Facilities (quasi-hierarchy)", "forward"),
        ("acme", "initech", "ACME–Initech IT Services (network)", "none"),
        ("globex", "initech", "Logistics Framework (market)", "none"),
        ("globex", "hooli", "Logistics Framework (market)", "none"),
        ("hooli", "acme", "Hooli Group Services (hierarchy)", "forward"),
    ]


def test_dot_escapes_quotes_and_backslashes() -> None:
    data = charter(title='Say "hi" \\ bye')
    parsed = parse_dot(to_dot(graph([doc_of(data)])))
    (edge,) = parsed.get_edges()
    assert edge.get("label") == '"Say \\"hi\\" \\\\ bye (quasi-hierarchy)"'


def test_graphviz_dot_accepts_the_output(tmp_path: Path) -> None:
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz dot is not installed")
    done = subprocess.run(
        [dot, "-Tsvg"], input=to_dot(graph(docs(tmp_path))), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "ACME Public Works Agency" in done.stdout and "Logistics Framework" in done.stdout


# ---------------------------------------------------------------------------- SVG and HTML


def test_svg_is_well_formed_and_deterministic(tmp_path: Path) -> None:
    g = graph(docs(tmp_path))
    links = {"charters/acme-globex.yaml": "acme-globex.html"}
    svg = to_svg(g, links)
    assert svg == to_svg(g, links)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    parties = root.findall(f".//{SVG}g[@class='parties']/{SVG}g")
    assert [p.get("data-party") for p in parties] == ["acme", "globex", "hooli", "initech"]
    assert [p.get("class") for p in parties] == ["party lead", "party", "party lead", "party"]
    lines = root.findall(f".//{SVG}line")
    assert len(lines) == 5
    anchor, label = root.findall(f".//{SVG}a")  # the charter's lines, and its label
    assert anchor.get("href") == label.get("href") == "acme-globex.html"
    assert anchor.find(f"{SVG}g").get("data-charter") == "acme-globex"
    assert label.find(f"{SVG}text").get("data-charter") == "acme-globex"
    titles = {t.text for t in root.iter(f"{SVG}title")}
    assert "Logistics Framework (market)" in titles


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")


def test_dashboard_links_every_charter_and_escapes_text(tmp_path: Path) -> None:
    documents = docs(tmp_path)
    documents[0].data["title"] = "<script>alert(1)</script>"
    rows = status_rows(documents, TODAY)
    links = {d.file: Path(d.file).stem + ".html" for d in documents}
    page = dashboard_html(rows, graph(documents), links, TODAY)
    parser = _Links()
    parser.feed(page)
    assert "script" not in parser.tags
    assert "&lt;script&gt;" in page
    for name in links.values():
        assert parser.hrefs.count(name) >= 2  # the table row and the graph link
    assert "svg" in parser.tags
    assert 'As of <span class="nowrap">23 November 2026</span>' in page  # unbroken


def test_write_dashboard_writes_the_page(tmp_path: Path) -> None:
    documents = docs(tmp_path)
    links = {d.file: Path(d.file).stem + ".html" for d in documents}
    out = write_dashboard(documents, tmp_path / "site", links, TODAY)
    assert out == tmp_path / "site" / "dashboard.html"
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    for name in links.values():
        assert f'href="{name}"' in page


def test_write_dashboard_with_no_charters(tmp_path: Path) -> None:
    out = write_dashboard([], tmp_path, {}, TODAY)
    assert "0 charters" in out.read_text(encoding="utf-8")


def test_portfolio_data_is_valid(tmp_path: Path) -> None:
    # The fixture itself must pass validation, so the tests describe real charters.
    from rmo_cli.ops.repository import discover
    from rmo_cli.ops.validation import has_errors, validate_files

    write_portfolio(tmp_path)
    result = validate_files(discover([tmp_path / "charters"]), TODAY)
    assert not has_errors(result.findings), result.findings
    assert len(portfolio_charters()) == 4


def test_dashboard_markdown_links_and_mermaid(tmp_path: Path) -> None:
    from rmo_cli.render.dashboard import dashboard_markdown

    documents = docs(tmp_path)
    links = {d.file: Path(d.file).stem + ".md" for d in documents}
    text = dashboard_markdown(status_rows(documents, TODAY), graph(documents), links, TODAY)
    for name in links.values():
        assert f"]({name})" in text
    mermaid = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    nodes, edges, _ = parse_mermaid(mermaid)
    assert len(nodes) == 4 and len(edges) == 5


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_dashboard_page_in_a_rendered_site(tmp_path: Path, fmt: str) -> None:
    render = pytest.importorskip("rmo_cli.render.site")
    from rmo_cli.render.dashboard import dashboard_page
    from rmo_cli.render.document import Renderer

    documents = docs(tmp_path)
    # An invalid charter is refused by the site: listed on the dashboard, not linked.
    documents[1].data["status"] = "sideways"
    site = tmp_path / "site"
    result = render.render_site(
        documents,
        site,
        fmt,
        Renderer(),
        as_of=TODAY,
        extra_pages=[dashboard_page(documents)],
    )
    assert [r.file for r in result.refused] == ["charters/acme-initech.yaml"]
    page = (site / f"dashboard.{fmt}").read_text(encoding="utf-8")
    assert "ACME–Initech IT Services" in page
    for cid in ("acme-globex", "globex-initech-hooli", "hooli-acme"):
        assert f"{cid}.{fmt}" in page and (site / f"{cid}.{fmt}").is_file()
    assert f"acme-initech.{fmt}" not in page
    assert f"dashboard.{fmt}" in (site / f"index.{fmt}").read_text(encoding="utf-8")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_scan_in_one_or_several_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    from rmo_cli.ops.portfolio import scan
    from rmo_cli.ops.repository import discover

    monkeypatch.setenv("RMO_JOBS", jobs)
    write_portfolio(tmp_path)
    (tmp_path / "charters" / "b-broken.yaml").write_text("a: [\n", encoding="utf-8")
    for i in range(30):
        (tmp_path / "charters" / f"z{i:02d}.yaml").write_text(
            (tmp_path / "charters" / "hooli-acme.yaml").read_text(encoding="utf-8"),
            encoding="utf-8",
        )
    files = discover([tmp_path / "charters"])
    done: list[int] = []
    found = scan(files, TODAY, "P30D", done.append)
    assert sum(done) == len(files) == 35
    assert [r.file for r in found.rows] == [f.display for f in files if "broken" not in f.display]
    assert [f.file for f in found.unreadable] == [str(tmp_path / "charters" / "b-broken.yaml")]
    serial = [status_row(read_charter(f.path, f.display).document, TODAY) for f in files[:1]]
    assert found.rows[0] == serial[0]
    assert found.rows[-1].review_state == "due-soon"


def _json_values() -> Any:
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=12,
    )


def test_any_field_values_never_crash() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    keys = st.sampled_from(
        ["id", "title", "status", "parties", "governance", "signoffs", "review", "term"]
    )

    @hypothesis.settings(max_examples=150, deadline=None, derandomize=True, database=None)
    @hypothesis.given(st.dictionaries(keys, _json_values(), max_size=4))
    def check(overrides: dict[str, Any]) -> None:
        documents = [doc_of(charter(**overrides), "a.yaml"), doc_of(charter(), "b.yaml")]
        rows = status_rows(documents, TODAY)
        g = graph(rows)
        assert g == graph(documents)
        parse_mermaid(to_mermaid(g))
        ET.fromstring(to_svg(g))
        assert "<svg" in dashboard_html(rows, g, {"a.yaml": "a.html"}, TODAY)
        assert to_dot(g).startswith("digraph")
        status_markdown(rows, TODAY)

    check()


def test_plain_status_columns_line_up_on_screen_with_wide_characters() -> None:
    from rmo_cli.reporters.status import status_text
    from rmo_cli.support.width import display_width

    rows = [
        status_row(doc_of(charter(id="jp-de", title="日本とドイツの協力憲章")), TODAY, "P30D"),
        status_row(doc_of(charter(id="fr-de", title="Charte franco-allemande")), TODAY, "P30D"),
    ]
    lines = status_text(rows).splitlines()[:3]
    # The Status column starts at the same screen column on every line.
    starts = [
        display_width(line[: line.index(word)])
        for line, word in zip(lines, ("Status", "active", "active"), strict=True)
    ]
    assert len(set(starts)) == 1, lines
