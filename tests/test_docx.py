"""Word output (SPEC §9), read back by independent readers: python-docx, pandoc, LibreOffice.

The redline property: pandoc's `--track-changes=accept` of a redline reads exactly as the
new version's own .docx, and `--track-changes=reject` as the old version's, over the
samples in real git repositories and over hypothesis-generated edits.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SAMPLES, charter, git, git_commit, write_charter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmo_cli.render.context import charter_context
from rmo_cli.render.docx import write_docx
from rmo_cli.render.docx_blocks import build_document
from rmo_cli.render.docx_model import Para, Table
from rmo_cli.render.docx_redline import redline

docx = pytest.importorskip("docx")
PANDOC = shutil.which("pandoc")
SOFFICE = shutil.which("soffice")
needs_pandoc = pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
SAMPLE_FILES = sorted(SAMPLES.glob("*.yaml"))
AS_OF = dt.date(2026, 12, 1)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def pandoc_text(data: bytes, changes: str | None = None) -> str:
    """The document as pandoc reads it (plain text), whitespace and table rules normalised."""
    assert PANDOC is not None
    args = [PANDOC, "-f", "docx", "-t", "plain", "--wrap=none"]
    if changes:
        args.append(f"--track-changes={changes}")
    done = subprocess.run(args, input=data, capture_output=True, check=True, timeout=60)
    text = done.stdout.decode("utf-8")
    lines = [ln for ln in text.splitlines() if not re.fullmatch(r"[\s\-=+:|]*", ln)]
    return " ".join(" ".join(lines).split())


def _html_text(html: str) -> str:
    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            self.skip += tag in ("style", "title", "head")

        def handle_endtag(self, tag: str) -> None:
            self.skip -= tag in ("style", "title", "head")

        def handle_data(self, data: str) -> None:
            if not self.skip:
                self.parts.append(data)

    parser = Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _headings(html: str, tag: str) -> list[str]:
    found = re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", h).split()) for h in found]


def _render(cli: Any, path: Path, out: Path, *extra: str | Path) -> bytes:
    result = cli("render", path, "-o", out, *extra)
    assert result.exit_code == 0, result.stderr
    return out.read_bytes()


# ---------------------------------------------------------------------------------------
# The plain document


@needs_pandoc
@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=lambda p: p.stem)
def test_sample_opens_and_shows_every_section_and_word(cli, tmp_path: Path, sample: Path) -> None:
    path = tmp_path / sample.name
    shutil.copy(sample, path)
    data = _render(cli, path, tmp_path / "out.docx")  # -o X.docx: Word, by its extension
    assert data[:2] == b"PK"
    document = docx.Document(io.BytesIO(data))
    html = cli("render", path, "--to", "html").stdout
    text = pandoc_text(data)

    # Every section of the HTML, as a Word heading style (the navigation pane).
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == _headings(html, "h2")
    level2 = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert len(level2) == len(_headings(html, "h3"))
    # Every word the HTML shows is in the Word text (as pandoc, an independent reader, sees it).
    words = re.findall(r"\w+", text)
    missing = [w for w in set(re.findall(r"\w+", _html_text(html))) if w not in words]
    assert missing == []
    # Properties: title, subject = id and version; fingerprint in the footer, short.
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    props = document.core_properties
    assert props.title == loaded["title"]
    assert props.subject == f"{loaded['id']} version {loaded['version']}"
    footer = document.sections[0].footer._element
    instructions = [t.text.strip() for t in footer.iter(f"{W}instrText")]
    assert instructions == ["PAGE", "NUMPAGES"]
    footer_text = "".join(t.text for t in footer.iter(f"{W}t"))
    fp = re.search(r"sha256:([0-9a-f]{64})", text)
    assert fp is not None
    assert f"{loaded['id']} · version {loaded['version']} · fingerprint {fp.group(1)[:12]}" in (
        footer_text
    )
    assert "Page" in footer_text and " of " in footer_text
    # Real tables, their heading rows repeated on every page, rows kept whole.
    grids = [t for t in document.tables if t._tbl.xpath("./w:tr[1]/w:trPr/w:tblHeader")]
    assert grids
    assert all(tr.xpath("./w:trPr/w:cantSplit") for t in document.tables for tr in t._tbl.tr_lst)


def test_draft_mark_in_the_header_for_unagreed_statuses(tmp_path: Path) -> None:
    for status, marked in (("draft", True), ("under-review", True), ("active", False)):
        data = write_docx(build_document(_context(charter(status=status))))
        header = docx.Document(io.BytesIO(data)).sections[0].header
        assert ("DRAFT" in "".join(p.text for p in header.paragraphs)) is marked, status


def test_numbered_clauses_contents_and_legal_frame() -> None:
    frame = {
        "numbering": True,
        "contents": True,
        "binding": False,
        "precedence": "The Framework Agreement of 2025-03-01 prevails over this charter.",
    }
    document = docx.Document(io.BytesIO(write_docx(build_document(_context(charter()), frame))))
    headings = [
        (p.style.name, p.text) for p in document.paragraphs if p.style.name[:7] == "Heading"
    ]
    assert headings[0] == ("Heading 1", "1 Parties and representatives")
    assert headings[1] == ("Heading 2", "1.1 ACME Public Works Agency (Public sector) — Lead party")
    assert ("Heading 1", "2 Purpose") in headings
    texts = [p.text for p in document.paragraphs]
    assert "This charter is not legally binding." in texts
    assert frame["precedence"] in texts
    assert texts.index("Contents") < texts.index("1 Parties and representatives")


def test_every_character_of_text_fields_kept(tmp_path: Path) -> None:
    odd = "Tabs\tand\nlines, <b>tags</b> & **stars**, a bell \x07 and ünïcode ✓"
    data = charter(
        purpose="Intro with [a link](https://example.test/x) and `code`.\n\n- one\n- two",
        principles=[{"name": odd, "description": "x"}],
    )
    document = docx.Document(io.BytesIO(write_docx(build_document(_context(data)))))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Tabs\tand\nlines, <b>tags</b> & **stars**, a bell U+0007 and ünïcode ✓" in text
    assert "Intro with a link (https://example.test/x) and code." in text
    assert [p.text for p in document.paragraphs if p.style.name == "List"][:2] == [
        "•\tone",
        "•\ttwo",
    ]


# ---------------------------------------------------------------------------------------
# The redline


def _load(text: str) -> dict[str, Any]:
    """A charter's text read as rmo reads it (dates stay ISO strings)."""
    from rmo_cli.charter.loading import parse_charter

    document = parse_charter(text.encode("utf-8"), "c.yaml").document
    assert document is not None
    return dict(document.data)


def _context(data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return charter_context(data, as_of=AS_OF, **kwargs)


def _tracked(data: bytes) -> tuple[int, int, set[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("word/"))
    authors = set(re.findall(rb'w:author="([^"]*)"', xml))
    return xml.count(b"<w:ins "), xml.count(b"<w:del "), {a.decode() for a in authors}


def _check_redline(old: bytes, new: bytes, red: bytes) -> None:
    assert pandoc_text(red, "accept") == pandoc_text(new)
    assert pandoc_text(red, "reject") == pandoc_text(old)


def _edit_sample(text: str) -> str:
    """An amendment: a new version under review, changed words, rows added and removed."""
    data = _load(text)
    data["version"] = "9.9.9"
    data["status"] = "under-review"
    data["purpose"] = "In short: " + data["purpose"].replace(" the ", " every ", 1)
    data["objectives"].append({"id": "obj-new", "statement": "Publish a yearly joint report."})
    data["parties"][-1].setdefault("people", []).append(
        {"id": "newbie", "name": "Nia Newcombe", "title": "Analyst"}
    )
    data["parties"][0]["people"][0]["title"] = "Acting " + data["parties"][0]["people"][0].get(
        "title", "Director"
    )
    for key in ("kpis", "risks"):
        if data.get(key):
            data[key].pop()
            break
    if data.get("principles"):
        data["principles"].pop(0)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@needs_pandoc
@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=lambda p: p.stem)
def test_redline_of_each_sample_accepts_to_new_and_rejects_to_old(
    cli, git_repo: Path, sample: Path
) -> None:
    path = git_repo / "charters" / sample.name
    path.parent.mkdir()
    shutil.copy(sample, path)
    git_commit(git_repo, "agreed")
    out = git_repo.parent / "out.docx"
    old = _render(cli, path, out)
    path.write_text(_edit_sample(sample.read_text(encoding="utf-8")), encoding="utf-8")
    git_commit(git_repo, "amended")
    new = _render(cli, path, out)
    red = _render(cli, path, out, "--redline", "HEAD~1")
    inserted, deleted, authors = _tracked(red)
    assert inserted and deleted and authors == {"rmo"}
    assert docx.Document(io.BytesIO(red)).paragraphs  # python-docx reads it back
    # The old side is the charter as rendered at the revision: same commit, same file.
    git(git_repo, "checkout", "-q", "HEAD~1")
    assert pandoc_text(_render(cli, path, out)) == pandoc_text(old)
    _check_redline(old, new, red)


_words = st.text(alphabet=st.sampled_from("abc xyz ÄÖ.-,\n"), min_size=0, max_size=30).filter(
    lambda s: s.strip() != ""
)


@st.composite
def _edits(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two versions of a charter: text changed, items and rows added and removed."""
    old = _load(draw(st.sampled_from(SAMPLE_TEXTS)))
    new = copy.deepcopy(old)
    if draw(st.booleans()):
        new["purpose"] = draw(_words) + " " + old["purpose"]
    if draw(st.booleans()):
        new["version"] = draw(st.sampled_from(["1.0", "2.5.1", old["version"]]))
    if draw(st.booleans()):
        new["status"] = draw(st.sampled_from(["draft", "active", "under-review", "suspended"]))
    objectives = new["objectives"]
    for _ in range(draw(st.integers(0, 2))):
        index = draw(st.integers(0, len(objectives)))
        objectives.insert(index, {"id": f"o{index}{len(objectives)}", "statement": draw(_words)})
    if len(objectives) > 1 and draw(st.booleans()):
        objectives.pop(draw(st.integers(0, len(objectives) - 1)))
    if draw(st.booleans()):
        objectives[0]["statement"] = draw(_words)
    if new.get("principles") and draw(st.booleans()):
        new["principles"].pop(0)
    if draw(st.booleans()):
        new.setdefault("principles", []).append({"name": draw(_words), "description": "d"})
    people = new["parties"][-1].setdefault("people", [])
    if draw(st.booleans()):
        people.append({"id": "newbie", "name": draw(_words), "title": draw(_words)})
    if people and draw(st.booleans()):
        people[0]["title"] = draw(_words)
    if new.get("risks") and draw(st.booleans()):
        new["risks"][0]["mitigation"] = draw(_words)
        new["risks"].append(dict(new["risks"][0], id="r-new", title=draw(_words)))
    if new.get("signoffs") and draw(st.booleans()):
        new["signoffs"].pop()
    if draw(st.booleans()):
        new["term"]["notice_period"] = draw(st.sampled_from(["P30D", "P3M", "P1Y"]))
    levels = new.get("escalation", {}).get("levels") or []
    if levels and draw(st.booleans()):
        levels[0]["time_limit"] = draw(st.sampled_from(["P2D", "P10D", "P1M"]))
        levels.append(dict(levels[-1], level=len(levels) + 1, name=draw(_words)))
    if new.get("kpis") and draw(st.booleans()):
        new["kpis"][0]["target"] = draw(st.integers(0, 10**6))
    if draw(st.booleans()):
        log = new["review"].setdefault("log", [])
        log.append({"date": "2026-11-30", "reviewers": [], "outcome": "amended", "notes": "n"})
    if new.get("roles") and draw(st.booleans()):
        new["roles"][0].setdefault("responsibilities", []).insert(0, draw(_words))
    if draw(st.booleans()):
        new["purpose"] += "\n\n1. first\n2. " + draw(_words).replace("\n", " ") + "\n"
    if draw(st.booleans()):
        old, new = new, old
    return old, new


SAMPLE_TEXTS = [p.read_text(encoding="utf-8") for p in SAMPLE_FILES]


@needs_pandoc
@pytest.mark.slow
@settings(
    max_examples=int(os.environ.get("RMO_HYP_N", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(_edits())
def test_redline_property_over_generated_edits(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    old_data, new_data = pair
    old_model = build_document(_context(old_data, file="c.yaml"))
    new_model = build_document(_context(new_data, file="c.yaml"))
    red = write_docx(redline(old_model, new_model))
    old_text, new_text = pandoc_text(write_docx(old_model)), pandoc_text(write_docx(new_model))
    assert pandoc_text(red, "accept") == new_text
    assert pandoc_text(red, "reject") == old_text
    if old_text != new_text:
        assert sum(_tracked(red)[:2]) > 0


def test_redline_of_identical_documents_has_no_changes() -> None:
    model = build_document(_context(charter()))
    assert redline(model, model) == model


# ---------------------------------------------------------------------------------------
# The command line


def test_redline_needs_a_revision_and_docx(cli, tmp_path: Path) -> None:
    path = write_charter(tmp_path / "acme-globex.yaml")
    bare = cli("render", path, "--to", "docx", "-o", tmp_path / "x.docx", "--redline")
    assert bare.exit_code == 2
    assert "--redline" in bare.stderr
    # Every format has a redline now (SPEC §8); outside git there is nothing to compare with.
    html = cli("render", path, "--to", "html", "--redline", "HEAD")
    assert html.exit_code == 2 and "git" in html.stderr
    # `--redline` before the charter path takes no revision from it (either order works).
    swallowed = cli("render", "--to", "docx", "-o", tmp_path / "y.docx", "--redline", path)
    assert swallowed.exit_code == 2 and "git history" in swallowed.stderr
    assert "Traceback" not in bare.stderr + html.stderr + swallowed.stderr


def test_redline_with_unknown_revision_is_exit_2(cli, git_repo: Path) -> None:
    path = write_charter(git_repo / "acme-globex.yaml")
    git_commit(git_repo, "one")
    result = cli("render", path, "-o", git_repo / "x.docx", "--redline", "nope")
    assert result.exit_code == 2
    assert "unknown revision 'nope'" in result.stderr
    assert not (git_repo / "x.docx").exists()


def test_docx_to_terminal_is_refused_and_to_a_folder_too(cli, tmp_path: Path) -> None:
    path = write_charter(tmp_path / "c" / "acme-globex.yaml")
    folder = cli("render", path.parent, "--to", "docx", "-o", tmp_path / "out")
    assert folder.exit_code == 2
    assert "one charter at a time" in folder.stderr


# ---------------------------------------------------------------------------------------
# LibreOffice converts what we write, plain and redline


@needs_soffice
@pytest.mark.slow
def test_libreoffice_converts_samples_and_a_redline(tmp_path: Path) -> None:
    files = []
    for sample in SAMPLE_FILES:
        data = _load(sample.read_text(encoding="utf-8"))
        target = tmp_path / f"{sample.stem}.docx"
        target.write_bytes(write_docx(build_document(_context(data, file=sample.name))))
        files.append(target)
    old = _load(SAMPLE_TEXTS[0])
    new = _load(_edit_sample(SAMPLE_TEXTS[0]))
    red = tmp_path / "redline.docx"
    red.write_bytes(
        write_docx(redline(build_document(_context(old)), build_document(_context(new))))
    )
    files.append(red)
    assert SOFFICE is not None
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path / "pdf"),
            *map(str, files),
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for file in files:
        pdf = tmp_path / "pdf" / (file.stem + ".pdf")
        assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-", file.name


# ---------------------------------------------------------------------------------------
# A repository's reference.docx: styles and a header logo, nothing else


def _png(width: int = 40, height: int = 20) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _reference(path: Path) -> Path:
    """A reference.docx with a font, a colour, a logo, and things that must not pass:
    body text, an external link and a fetching field in the header."""
    from docx.oxml import parse_xml
    from docx.shared import Inches, RGBColor

    ref = docx.Document()
    ref.styles["Normal"].font.name = "Georgia"
    ref.styles["Heading 1"].font.color.rgb = RGBColor(0x12, 0x34, 0x56)
    ref.add_paragraph("SECRET BODY TEXT")
    header = ref.sections[0].header
    header.paragraphs[0].add_run().add_picture(io.BytesIO(_png()), width=Inches(1))
    rid = header.part.relate_to(
        "https://attacker.example/x",
        docx.opc.constants.RELATIONSHIP_TYPE.HYPERLINK,
        is_external=True,
    )
    header.paragraphs[0]._p.append(
        parse_xml(
            '<w:fldSimple xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
            'w:instr="INCLUDETEXT &quot;/etc/passwd&quot;"><w:r><w:t>FIELD RESULT</w:t></w:r>'
            "</w:fldSimple>"
        )
    )
    del rid
    ref.save(path)
    return path


def test_reference_docx_gives_styles_and_logo_only(cli, tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    _reference(tmp_path / "templates" / "reference.docx")
    (tmp_path / "rmo.yaml").write_text("templates: templates\n", encoding="utf-8")
    path = write_charter(tmp_path / "charters" / "acme-globex.yaml")
    data = _render(cli, path, tmp_path / "out.docx")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        styles = z.read("word/styles.xml")
        everything = b"".join(z.read(n) for n in names)
        header = b"".join(z.read(n) for n in names if n.startswith("word/header"))
    assert b"Georgia" in styles and b"123456" in styles
    assert any(n.startswith("word/media/") for n in names)  # the logo
    assert b"<a:blip" in header
    assert b"SECRET BODY" not in everything
    assert b"INCLUDETEXT" not in everything and b"FIELD RESULT" not in everything
    assert b"attacker.example" not in everything and b'TargetMode="External"' not in everything
    document = docx.Document(io.BytesIO(data))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"][0] == (
        "Parties and representatives"
    )


@pytest.mark.parametrize(
    "content", [b"not a zip", b"PK\x03\x04broken"], ids=["not-zip", "broken-zip"]
)
def test_broken_reference_docx_is_a_one_line_refusal(cli, tmp_path: Path, content: bytes) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "reference.docx").write_bytes(content)
    (tmp_path / "rmo.yaml").write_text("templates: templates\n", encoding="utf-8")
    path = write_charter(tmp_path / "charters" / "acme-globex.yaml")
    result = cli("render", path, "-o", tmp_path / "out.docx")
    assert result.exit_code == 1
    assert "reference.docx not used" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.docx").exists()


def test_redline_marks_words_not_characters() -> None:
    old = build_document(_context(charter(version="1.2.0", purpose="Keep the buildings open.")))
    new = build_document(_context(charter(version="9.9.9", purpose="Keep every building open.")))
    marked = redline(old, new)
    runs = [
        (run.change, run.text)
        for block in marked.body
        if isinstance(block, Para)
        for run in block.runs
        if run.change
    ]
    assert ("del", "the buildings") in runs and ("ins", "every building") in runs
    version_rows = [
        row
        for block in marked.body
        if isinstance(block, Table)
        for row in block.rows
        if row.cells[0][0].text == "Version"
    ]
    assert len(version_rows) == 2  # the title block and document control
    for row in version_rows:
        changed = [(r.change, r.text) for r in row.cells[1][0].runs]
        assert changed == [("del", "1.2.0"), ("ins", "9.9.9")]


@needs_pandoc
def test_redline_summary_is_a_word_comment_outside_the_text(cli, git_repo: Path) -> None:
    path = write_charter(git_repo / "acme-globex.yaml")
    git_commit(git_repo, "agreed")
    write_charter(path, status="under-review", version="1.1.0")
    red = _render(cli, path, git_repo.parent / "red.docx", "--redline", "HEAD")
    with zipfile.ZipFile(io.BytesIO(red)) as z:
        comments = z.read("word/comments.xml").decode("utf-8")
    assert 'w:author="rmo"' in comments
    assert "since HEAD (" in comments and "status: active → under-review" in comments
    assert "since HEAD" not in pandoc_text(red, "accept") + pandoc_text(red, "reject")


@needs_pandoc
def test_redline_follows_a_renamed_charter(cli, git_repo: Path) -> None:
    old_path = write_charter(git_repo / "charters" / "old-name.yaml")
    git_commit(git_repo, "agreed")
    old = _render(cli, old_path, git_repo.parent / "old.docx")
    (git_repo / "charters" / "new").mkdir()
    git(git_repo, "mv", "charters/old-name.yaml", "charters/new/acme-globex.yaml")
    path = write_charter(git_repo / "charters" / "new" / "acme-globex.yaml", version="1.1.0")
    git_commit(git_repo, "renamed and amended")
    new = _render(cli, path, git_repo.parent / "new.docx")
    red = _render(cli, path, git_repo.parent / "red.docx", "--redline", "HEAD~1")
    accepted, rejected = pandoc_text(red, "accept"), pandoc_text(red, "reject")
    assert accepted == pandoc_text(new)
    assert "old-name.yaml" in rejected and "1.1.0" not in rejected
    # Apart from the source file's name, the old side is the document rendered then.
    assert rejected.replace("charters/old-name.yaml", str(old_path)) == pandoc_text(old)
