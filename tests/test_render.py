"""Rendering library: content and order of the signable document, escaping, git footer,
sites, and the bounded sandbox for repository templates."""

from __future__ import annotations

import copy
import datetime as dt
import html
import os
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, charter, git, git_commit, write_charter
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from rmo_cli.adapters.git import GitLookup
from rmo_cli.charter.fingerprint import fingerprint
from rmo_cli.charter.loading import read_charter
from rmo_cli.cli.exits import exit_code_of
from rmo_cli.render.context import next_review
from rmo_cli.render.document import Renderer, render_charter
from rmo_cli.render.site import render_site
from rmo_cli.support.errors import RmoError
from rmo_cli.support.escape import md_escape

AS_OF = dt.date(2026, 11, 23)
SAMPLE_FILES = sorted(SAMPLES.glob("*.yaml"))
HOSTILE = "<script>alert('x')</script> | *bold* _u_ [l](javascript:alert(1)) `c` #"

# Section headings of a signable charter (domain.md), in their required order.
MD_SECTIONS = [
    "## Parties and representatives",
    "## Purpose",
    "## Objectives",
    "## Principles",
    "## Governance",
    "## Roles and responsibilities",
    "## Communication",
    "## Performance measures",
    "## Risks",
    "## Escalation",
    "## Review",
    "## Term",
    "## Exit",
    "## Sign-off",
    "**Document control**",
]
HTML_SECTIONS = [
    'id="parties"',
    'id="purpose"',
    'id="objectives"',
    'id="principles"',
    'id="governance"',
    'id="roles"',
    'id="communication"',
    'id="kpis"',
    'id="risks"',
    'id="escalation"',
    'id="review"',
    'id="term"',
    'id="exit"',
    'id="signoff"',
    'class="document-footer"',
]


def _render(data: dict[str, Any], fmt: str, renderer: Renderer | None = None, **kw: Any) -> str:
    out = render_charter(data, fmt, renderer or Renderer(), as_of=AS_OF, **kw)
    assert isinstance(out, str)
    return out


def _sections(text: str, markers: list[str]) -> dict[str, str]:
    """Text of each section present, checking that present sections come in order."""
    found = [(text.find(m), m) for m in markers if m in text]
    positions = [p for p, _ in found]
    assert positions == sorted(positions), f"sections out of order: {[m for _, m in found]}"
    spans = {}
    for i, (pos, marker) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(text)
        spans[marker] = text[pos:end]
    return spans


def _html_text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def _md_html(md: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(md)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_every_sample_renders_all_content_in_signable_order(path: Path, fmt: str) -> None:
    doc = read_charter(path).document
    assert doc is not None
    data = doc.data
    out = _render(data, fmt, file=str(path))
    markers = MD_SECTIONS if fmt == "md" else HTML_SECTIONS
    spans = _sections(out, markers)
    if fmt == "html":
        spans = {k: _html_text(v) for k, v in spans.items()}

    def section(md_marker: str) -> str:
        marker = md_marker if fmt == "md" else HTML_SECTIONS[MD_SECTIONS.index(md_marker)]
        assert marker in spans, f"missing section {marker}"
        return spans[marker]

    parties = section("## Parties and representatives")
    for party in data["parties"]:
        assert party["name"] in parties
        for person in party.get("people", []):
            assert person["name"] in parties
            assert person["title"] in parties
    objectives = section("## Objectives")
    for objective in data["objectives"]:
        assert objective["statement"] in objectives
    if data.get("kpis"):
        kpis = section("## Performance measures")
        for kpi in data["kpis"]:
            assert kpi["name"] in kpis
    if data.get("risks"):
        risks = section("## Risks")
        for risk in data["risks"]:
            assert risk["title"] in risks
    if data.get("escalation"):
        ladder = section("## Escalation")
        positions = [
            ladder.find(f"Level {lv['level']}: {lv['name']}") for lv in data["escalation"]["levels"]
        ]
        assert -1 not in positions and positions == sorted(positions)
    signoff = section("## Sign-off")
    for party in data["parties"]:
        assert party["name"] in signoff
    footer = section("**Document control**")
    assert fingerprint(data) in footer


def test_sections_the_charter_leaves_out_are_left_out() -> None:
    data = charter()  # no principles, roles, communication, kpis, risks, escalation, exit
    md = _render(data, "md")
    for heading in (
        "## Principles",
        "## Roles",
        "## Communication",
        "## Performance",
        "## Risks",
        "## Escalation",
        "## Exit",
    ):
        assert heading not in md
    page = _render(data, "html")
    for marker in ('id="principles"', 'id="roles"', 'id="kpis"', 'id="risks"', 'id="escalation"'):
        assert marker not in page


def test_people_by_name_and_title_durations_and_dates_in_words() -> None:
    data = charter(
        escalation={
            "levels": [{"level": 1, "name": "Ops", "people": ["jdoe"], "time_limit": "P5D"}]
        },
        kpis=[
            {
                "id": "kpi-a",
                "name": "Uptime",
                "objective": "obj-1",
                "owner": "rsmith",
                "frequency": "P1M",
            }
        ],
    )
    for fmt in ("md", "html"):
        out = _render(data, fmt)
        text = _html_text(out) if fmt == "html" else out
        assert "Jane Doe (Director)" in text
        assert "Raj Smith (CEO)" in text
        assert "jdoe" not in text and "rsmith" not in text  # never bare ids
        assert "within 5 calendar days" in text  # SPEC §7: says calendar or working days
        assert "every month" in text
        assert "1 February 2025" in text  # term.effective
        assert "31 January 2028" in text


def test_signoff_block_states_and_wet_ink_lines() -> None:
    data = charter()
    current = fingerprint(data)
    data["signoffs"] = [
        {
            "person": "jdoe",
            "party": "acme",
            "capacity": "SER",
            "date": "2026-01-05",
            "version": "1.0.0",
            "fingerprint": current,
        },
        {
            "person": "rsmith",
            "party": "globex",
            "date": "2026-01-06",
            "version": "0.9.0",
            "fingerprint": "sha256:" + "0" * 64,
        },
    ]
    md = _render(data, "md")
    rows = [
        line for line in md.splitlines() if line.startswith("| ACME") or line.startswith("| Globex")
    ]
    signoff_rows = [r for r in rows if "**" in r]
    assert any(
        "Jane Doe (Director)" in r and "5 January 2026" in r and "**Recorded**" in r
        for r in signoff_rows
    )
    assert any("Raj Smith (CEO)" in r and "**Stale**" in r for r in signoff_rows)
    # A sign-off without a signature is recorded, never described as signed (SPEC §6).
    assert "Recorded without a signature" in md and "Signed and verified" not in md
    assert "Signature: \\_" in md  # the stale party signs again on paper
    block = md.split("## Sign-off")[1].split("**Document control**")[0]
    assert "rmo " not in block  # no command names in the document

    unsigned = _render(charter(), "html")
    signoff = unsigned[unsigned.index('id="signoff"') :]
    assert signoff.count("state-missing") == 2
    assert signoff.count('<div class="line"><span>Signature</span></div>') == 2
    valid_only = copy.deepcopy(data)
    valid_only["signoffs"] = valid_only["signoffs"][:1]
    page = _render(valid_only, "html")
    assert page.count('<div class="line"><span>Signature</span></div>') == 1  # only globex


def test_review_schedule_next_due() -> None:
    assert next_review(charter()) == ("2027-02-01", "last_reviewed")
    data = charter(review={"cadence": "quarterly"})
    assert next_review(data) == ("2025-05-01", "effective")
    data = charter(review={"cadence": "P1M", "last_reviewed": "2024-01-31"})
    assert next_review(data) == ("2024-02-29", "last_reviewed")
    data = charter(review={"cadence": "P6M", "next_due": "2026-12-24"})
    assert next_review(data) == ("2026-12-24", "next_due")
    assert "24 December 2026" in _render(data, "md")


def test_hostile_text_is_escaped_in_html() -> None:
    data = charter(title=HOSTILE, purpose=HOSTILE)
    data["parties"][0]["name"] = HOSTILE
    data["parties"][0]["people"][0]["title"] = HOSTILE
    data["objectives"][0]["statement"] = HOSTILE
    data["principles"] = [{"name": HOSTILE, "description": HOSTILE}]
    data["kpis"] = [{"id": "k", "name": HOSTILE, "unit": HOSTILE, "objective": "obj-1"}]
    data["risks"] = [{"id": "r", "title": HOSTILE, "mitigation": HOSTILE}]
    data["exit"] = {"triggers": [HOSTILE]}
    data["review"]["log"] = [
        {"date": "2026-08-01", "reviewers": ["jdoe"], "outcome": "affirmed", "notes": HOSTILE}
    ]
    page = _render(data, "html")
    assert "<script>" not in page
    assert 'href="javascript' not in page
    assert page.count("&lt;script&gt;") >= 10


def test_html_is_self_contained_with_print_styles() -> None:
    data = charter(
        purpose="See ![tracker](https://tracker.example/p.png) and [the contract](https://x.example/c)."
    )
    page = _render(data, "html")
    assert "<img" not in page and "src=" not in page  # images would load from the network
    assert '<a href="https://x.example/c">the contract</a>' in page
    assert not re.search(r"<(script|link|iframe|object|embed)\b", page)
    assert "@page" in page and "size: A4" in page and "counter(pages)" in page
    assert re.search(
        r"tr, li, dd, \.signature \{ break-inside: avoid; page-break-inside: avoid; \}", page
    )


def test_markdown_table_cells_survive_pipes_stars_and_html() -> None:
    data = charter(purpose="Keep <b>safe</b> and **well**.")
    data["kpis"] = [
        {
            "id": "k1",
            "name": "Cost | margin *per* unit",
            "unit": "GBP|h",
            "objective": "obj-1",
            "baseline": 1,
            "target": 2,
        },
        {"id": "k2", "name": "<script>x</script>\nsecond line", "objective": "obj-1"},
    ]
    data["risks"] = [{"id": "r", "title": "# not a heading", "mitigation": "- not a list | x"}]
    md = _render(data, "md")
    rendered = _md_html(md)
    assert "<script>" not in rendered and "<b>" not in rendered
    kpi_table = rendered[rendered.index("Performance measures") :].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", kpi_table, re.S)
    assert len(rows) == 3
    assert all(row.count("<td") == 9 for row in rows[1:])  # eight columns and Latest
    assert "Cost | margin *per* unit" in html.unescape(kpi_table)
    assert "<em>" not in kpi_table
    assert "&lt;script&gt;x&lt;/script&gt;<br>second line" in kpi_table.replace("<br />", "<br>")
    risks = rendered[rendered.index("<h2>Risks") :].split("</table>")[0]
    assert "# not a heading" in risks and "- not a list | x" in html.unescape(risks)
    assert "<strong>well</strong>" in rendered  # purpose stays Markdown


@pytest.mark.parametrize(
    "value",
    [
        "# heading",
        "- item",
        "+ item",
        "1. item",
        "2) item",
        "*a*",
        "_a_",
        "a|b",
        "[x](y)",
        "<i>x</i>",
        "`code`",
        "&amp;",
        "line\n# two",
        "~~s~~",
        "\\*",
    ],
)
def test_md_escape_renders_literally(value: str) -> None:
    rendered = (
        MarkdownIt("commonmark").enable(["table", "strikethrough"]).render("x " + md_escape(value))
    )
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()
    assert text == "x " + value.replace("\n", " ")
    block = MarkdownIt("commonmark").render(md_escape(value))
    assert block.startswith("<p>")


def test_git_footer_commit_and_uncommitted_marker(git_repo: Path) -> None:
    path = write_charter(git_repo / "charters" / "acme-globex.yaml")
    lookup = GitLookup()
    state = lookup.state(path)
    assert state is not None and state.state == "untracked" and state.commit is None
    sha = git_commit(git_repo, "add charter")
    state = GitLookup().state(path)
    assert state is not None and state.commit == sha[:12] and not state.dirty
    doc = read_charter(path).document
    assert doc is not None
    out = _render(doc.data, "md", git=state)
    assert f"| Git commit | {sha[:12]} |" in out
    assert "uncommitted" not in out
    path.write_text(path.read_text(encoding="utf-8") + "# note\n", encoding="utf-8")
    state = GitLookup().state(path)
    assert state is not None and state.state == "modified"
    assert "(uncommitted changes)" in _render(doc.data, "html", git=state)
    git(git_repo, "add", "-A")
    state = GitLookup().state(path)
    assert state is not None and state.state == "modified"  # staged is still uncommitted


def test_no_git_repository_no_commit_row(tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    assert GitLookup().state(path) is None
    assert "Git commit" not in _render(charter(), "md", git=None)


def test_draft_marking() -> None:
    out = _render(charter(), "html", draft=True, findings=())
    assert "DRAFT — NOT VALID" in out
    md = _render(charter(), "md", draft=True)
    assert md.startswith("> **DRAFT — NOT VALID.**")
    assert "DRAFT" not in _render(charter(), "md")


# --------------------------------------------------------------------------- sites


def test_render_site_index_and_extra_pages(tmp_path: Path) -> None:
    docs = [read_charter(p).document for p in SAMPLE_FILES]
    seen: list[int] = []

    def dashboard(site: Any) -> None:
        seen.append(len(site.charters))
        site.write_page("dashboard", "<p>dashboard</p>", title="Portfolio dashboard")

    result = render_site(
        docs, tmp_path / "site", "html", Renderer(), as_of=AS_OF, extra_pages=[dashboard]
    )
    assert not result.refused
    assert seen == [4]
    names = sorted(p.name for p in (tmp_path / "site").iterdir())
    assert names == sorted(
        [f"{p.stem}.html" for p in SAMPLE_FILES] + ["index.html", "dashboard.html"]
    )
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert '<a href="dashboard.html">Portfolio dashboard</a>' in index
    for doc in docs:
        assert doc is not None
        row = index[index.index(f'href="{doc.data["id"]}.html"') :].split("</tr>")[0]
        assert html.escape(doc.data["title"], quote=False) in row
        assert doc.data["version"] in row
        assert doc.data["status"].capitalize() in row
        next_due, _ = next_review(doc.data)
        day = dt.date.fromisoformat(next_due)  # type: ignore[arg-type]
        assert f"{day.day} {day.strftime('%B')} {day.year}" in row


def test_render_site_refuses_invalid_and_forces_drafts(tmp_path: Path) -> None:
    good = write_charter(tmp_path / "in" / "acme-globex.yaml")
    bad = write_charter(
        tmp_path / "in" / "broken.yaml",
        id="broken",
        objectives=[{"id": "o", "statement": "x", "owner": "nobody"}],
    )
    docs = [read_charter(p).document for p in (good, bad)]
    result = render_site(docs, tmp_path / "out", "md", Renderer(), as_of=AS_OF)
    assert [r.file for r in result.refused] == [str(bad)]
    assert result.refused[0].findings
    assert not (tmp_path / "out" / "broken.md").exists()
    index = (tmp_path / "out" / "index.md").read_text(encoding="utf-8")
    assert "(acme-globex.md)" in index and "broken" not in index

    forced = render_site(docs, tmp_path / "forced", "md", Renderer(), as_of=AS_OF, force=True)
    assert not forced.refused
    page = (tmp_path / "forced" / "broken.md").read_text(encoding="utf-8")
    assert page.startswith("> **DRAFT — NOT VALID.**") and "nobody" in page
    assert "DRAFT, NOT VALID" in (tmp_path / "forced" / "index.md").read_text(encoding="utf-8")


def test_site_index_links_an_untitled_charter_by_its_id(tmp_path: Path) -> None:
    data = charter(id="no-title")
    del data["title"]
    path = write_charter(tmp_path / "in" / "no-title.yaml", data)
    docs = [read_charter(path).document]
    render_site(docs, tmp_path / "out", "md", Renderer(), as_of=AS_OF, force=True)
    index = (tmp_path / "out" / "index.md").read_text(encoding="utf-8")
    assert "[no-title](no-title.md)" in index and "[](" not in index


# --------------------------------------------------------------------------- sandbox


def _repo_renderer(tmp_path: Path, templates: dict[str, str], **kw: Any) -> Renderer:
    folder = tmp_path / "tpl"
    folder.mkdir(exist_ok=True)
    for name, text in templates.items():
        (folder / name).write_text(text, encoding="utf-8")
    return Renderer(folder, **kw)


def test_repository_template_overrides_by_name(tmp_path: Path) -> None:
    renderer = _repo_renderer(
        tmp_path, {"charter.md.j2": "CUSTOM {{ charter.title }} {{ 'a|b' }}\n"}
    )
    assert renderer.sandboxed
    assert _render(charter(), "md", renderer) == "CUSTOM ACME–Globex Relationship Charter a\\|b\n"
    assert "<!DOCTYPE html>" in _render(charter(), "html", renderer)  # default still used


def test_repository_template_can_include_a_default(tmp_path: Path) -> None:
    renderer = _repo_renderer(
        tmp_path,
        {"charter.html.j2": "<style>{% include 'charter.css.j2' %}</style>{{ charter.title }}"},
    )
    out = _render(charter(title="<b>"), "html", renderer)
    assert "@page" in out and out.endswith("&lt;b&gt;")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",
        "{{ charter.__class__.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'].system('touch PWNED') }}",
        "{{ ''.format.__self__.__class__ }}",
        "{{ (charter|attr('__class__')).__base__.__subclasses__() }}",
    ],
)
def test_sandbox_refuses_escapes(
    tmp_path: Path, source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    renderer = _repo_renderer(tmp_path, {"charter.md.j2": "title\n\n" + source + "\n"})
    with pytest.raises(RmoError) as caught:
        _render(charter(), "md", renderer)
    assert exit_code_of(caught.value) == 1
    assert re.search(r"tpl/charter\.md\.j2:3: ", caught.value.message), caught.value.message
    assert "unsafe" in caught.value.message or "undefined" in caught.value.message
    assert not (tmp_path / "PWNED").exists()


def test_strict_undefined_and_syntax_errors_name_file_and_line(tmp_path: Path) -> None:
    renderer = _repo_renderer(tmp_path, {"charter.md.j2": "a\n{{ charter.titel }}\n"})
    with pytest.raises(RmoError, match=r"charter\.md\.j2:2: undefined value: .*titel"):
        _render(charter(), "md", renderer)
    renderer = _repo_renderer(tmp_path, {"charter.md.j2": "a\nb\n{% if %}\n"})
    with pytest.raises(RmoError, match=r"charter\.md\.j2:3: template syntax error"):
        _render(charter(), "md", renderer)


def test_default_templates_are_strict_too() -> None:
    from jinja2 import StrictUndefined

    assert Renderer().env.undefined is StrictUndefined
    assert not Renderer().sandboxed


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{% for i in range(10**9) %}x{% endfor %}", "Range too big"),
        ("{{ 'a' * 10**9 }}", "larger than the output bound"),
        (
            "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}"
            "{% endfor %}{{ ns.s }}",
            "larger than the output bound",
        ),
        ("{{ 2 ** 1000000 }}", "integer result too large"),
        ("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", "output is larger"),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}"
            "{% endfor %}",
            "",
        ),
    ],
    ids=["range", "repeat", "doubling", "power", "output", "nested-loops"],
)
def test_sandbox_bounds_time_and_size(tmp_path: Path, source: str, expected: str) -> None:
    renderer = _repo_renderer(
        tmp_path, {"charter.md.j2": "x\n" + source + "\n"}, timeout=1.0, max_output=100_000
    )
    with pytest.raises(RmoError) as caught:
        _render(charter(), "md", renderer)
    message = caught.value.message
    assert exit_code_of(caught.value) == 1
    assert "charter.md.j2" in message
    assert expected in message
    if not expected:
        assert "longer than" in message or "larger than" in message


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the hard bound needs fork")
def test_fork_backstop_stops_loops_and_memory_without_hooks(tmp_path: Path) -> None:
    # Loops over literals call nothing the sandbox sees: only the child's deadline stops them.
    literal = "'" + "x" * 2000 + "'"
    source = (
        f"{{% for a in {literal} %}}{{% for b in {literal} %}}{{% for c in {literal} %}}"
        "{% endfor %}{% endfor %}{% endfor %}"
    )
    renderer = _repo_renderer(tmp_path, {"charter.md.j2": source}, timeout=1.0)
    assert renderer.isolate
    with pytest.raises(RmoError, match=r"took longer than 1 seconds and was stopped"):
        _render(charter(), "md", renderer)
    # A filter that allocates gigabytes runs out of the child's address-space limit.
    renderer = _repo_renderer(tmp_path, {"charter.md.j2": "{{ 'x'|center(3000000000) }}"})
    with pytest.raises(RmoError, match=r"too much memory|larger than"):
        _render(charter(), "md", renderer)
    # And the parent still renders normally afterwards.
    assert "ACME" in _render(charter(), "html", renderer)


def test_missing_templates_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(RmoError) as caught:
        Renderer(tmp_path / "nope")
    assert exit_code_of(caught.value) == 2


def test_pdf_starts_with_magic_and_holds_title_and_parties() -> None:
    pytest.importorskip("weasyprint")
    from io import BytesIO

    from pypdf import PdfReader

    doc = read_charter(SAMPLES / "eastern-counties-road-salt-framework.yaml").document
    assert doc is not None
    pdf = render_charter(doc.data, "pdf", Renderer(), as_of=AS_OF)
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    text = re.sub(r"\s+", " ", text)
    assert doc.data["title"] in text
    for party in doc.data["parties"]:
        assert party["name"] in text
    assert "Page 1 of" in text


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"ab1 .-+#*_`[]()<>|&;!\\~=:\n\t", "&amp;", "&#35;", "1. ", "- "]),
        max_size=30,
    ).map("".join)
)
def test_md_escape_any_text_renders_as_itself(value: str) -> None:
    parser = MarkdownIt("commonmark").enable("table")
    expected = " ".join(value.split())
    for prefix in ("x ", "", "- ", "1. "):  # inline, and where a block or list item starts
        rendered = parser.render(prefix + md_escape(value))
        text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
        assert " ".join(text.split()) == " ".join((prefix.strip(" -1.") + " " + expected).split())
    cell = parser.render(f"| h |\n|---|\n| {md_escape(value, newline='<br>')} |\n")
    assert cell.count("<td") == 1


def test_oversized_repository_template_is_refused(tmp_path: Path) -> None:
    renderer = _repo_renderer(tmp_path, {"charter.md.j2": "{# " + "x" * 1_100_000 + " #}"})
    with pytest.raises(RmoError) as caught:
        _render(charter(), "md", renderer)
    assert exit_code_of(caught.value) == 1
    assert "charter.md.j2: template larger than 1,048,576 bytes; refused" in caught.value.message


@pytest.mark.parametrize("target", ["/proc/self/environ", "../secret.txt"])
def test_repository_template_linking_outside_its_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    # A pull request can commit a symlink; CI must not render the machine's secrets.
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    (tmp_path / "secret.txt").write_text("SECRET_TOKEN=hunter2")
    renderer = _repo_renderer(
        tmp_path, {"charter.md.j2": "{% include 'leak.j2' %}", "ok.j2": "fine"}
    )
    (tmp_path / "tpl" / "leak.j2").symlink_to(target)
    (tmp_path / "tpl" / "alias.j2").symlink_to("ok.j2")  # a link inside the folder is fine
    with pytest.raises(RmoError) as caught:
        _render(charter(), "md", renderer)
    assert "leak.j2: links outside the templates folder; refused" in caught.value.message
    assert "hunter2" not in caught.value.message
    assert renderer.env.get_template("alias.j2").render() == "fine"


def test_repository_partials_and_many_pages(tmp_path: Path) -> None:
    # The page template and its include are compiled once, before the forked renders.
    renderer = _repo_renderer(
        tmp_path,
        {
            "charter.md.j2": "{% include 'part.j2' %}|{{ charter.id }}\n",
            "part.j2": "PART {{ charter.title }}",
        },
    )
    outs = [_render(charter(id=f"c-{i}"), "md", renderer) for i in range(5)]
    assert outs == [f"PART ACME–Globex Relationship Charter|c-{i}\n" for i in range(5)]
    assert {"charter.md.j2", "part.j2"} <= renderer._warmed


@pytest.mark.skipif(not hasattr(os, "fork"), reason="worker processes need fork")
def test_site_rendered_by_workers_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = [read_charter(p).document for p in SAMPLE_FILES] * 2  # ids clash: refused in order
    outputs = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv("RMO_JOBS", jobs)
        result = render_site(docs, tmp_path / jobs, "md", Renderer(), as_of=AS_OF)
        assert [r.message for r in result.refused] == [
            f"id {d.data['id']!r} is also the id of {d.file}"
            for d in docs[:4]  # type: ignore[union-attr]
        ]
        outputs[jobs] = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / jobs).iterdir()}
    assert outputs["1"] == outputs["2"] and len(outputs["1"]) == 5
    # A template error in a worker keeps its message and exit code.
    renderer = _repo_renderer(tmp_path, {"charter.md.j2": "{{ charter.nope }}"})
    with pytest.raises(RmoError) as caught:
        render_site(docs[:4], tmp_path / "bad", "md", renderer, as_of=AS_OF)
    assert (
        exit_code_of(caught.value) == 1
        and "charter.md.j2:1: undefined value" in caught.value.message
    )


def test_the_signoff_block_says_what_verify_says() -> None:
    """SPEC §7: render verifies signatures like verify; a bad one is never shown as valid."""
    path = SAMPLES / "riverside-cardiac-research-network.yaml"
    data = read_charter(path).document.data
    signed = [s for s in data["signoffs"] if s.get("signature")]
    assert signed, "the sample carries an SSH-signed sign-off"
    file = str(path)
    md, page = _render(data, "md", file=file), _render(data, "html", file=file)
    for text in (md, page):
        assert "Signed and verified" in text and "SHA256:" in text
        assert "not checked here" not in text and "rmo verify" not in text
    # Without the repository's allowed signers, nothing vouches for the key.
    alone = _render(data, "md")
    assert "Unknown signer" in alone and "Signed and verified" not in alone
    tampered = copy.deepcopy(data)
    tampered["signoffs"][0]["capacity"] = "Intern (no authority to sign)"
    for fmt in ("md", "html"):
        text = _render(tampered, fmt, file=file)
        assert "Bad signature" in text and "Signed and verified" not in text
    for signoff in signed:
        del signoff["signature"]
    # The samples' rmo.yaml requires signatures: a recorded sign-off is unsigned there.
    text = _render(data, "md", file=file)
    assert "Unsigned" in text and "Signed and verified" not in text
