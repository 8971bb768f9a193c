"""rmo.yaml's `document:` legal frame in every format (SPEC §7), the governance model in one
sentence, time limits in calendar days, and the Markdown sign-off and table fixes."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest

from tests.conftest import charter, write_charter

FRAME = """\
document:
  binding: false
  precedence: "The Framework Agreement of 2025-03-01 prevails over this charter."
  numbering: true
  contents: true
"""


def _repo(tmp_path: Path, config: str) -> Path:
    (tmp_path / "rmo.yaml").write_text(config, encoding="utf-8")
    data = charter(
        escalation={
            "levels": [
                {"level": 1, "name": "Operations", "people": ["jdoe"], "time_limit": "P5D"},
                {"level": 2, "name": "Executives", "people": ["rsmith"], "time_limit": "P2W"},
            ]
        },
    )
    return write_charter(tmp_path / "charters" / "acme-globex.yaml", data)


def _text(cli, path: Path, fmt: str, tmp_path: Path) -> str:
    if fmt == "pdf":
        pytest.importorskip("weasyprint")
        from pypdf import PdfReader

        target = tmp_path / "out.pdf"
        result = cli("render", path, "--to", "pdf", "-o", target)
        assert result.exit_code == 0, result.stderr
        pages = PdfReader(BytesIO(target.read_bytes())).pages
        return " ".join(" ".join(p.extract_text().split()) for p in pages)
    result = cli("render", path, "--to", fmt)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    if fmt == "html":
        out = re.sub(r"<style>.*?</style>", " ", out, flags=re.S)
        out = re.sub(r"<[^>]+>", " ", out)
    return " ".join(out.split())


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_legal_frame_numbering_and_contents_in_every_format(cli, tmp_path, fmt) -> None:
    path = _repo(tmp_path, FRAME)
    text = _text(cli, path, fmt, tmp_path)
    assert "This charter is not legally binding." in text
    assert "The Framework Agreement of 2025-03-01 prevails over this charter." in text
    assert "Contents" in text
    # Numbered sections in order, and numbered clauses inside them.
    parties = re.search(r"\b1\.? Parties and representatives", text)
    governance = re.search(r"\b4\.? Governance", text)
    signoff = re.search(r"\b8\.? Sign-off", text)
    assert parties and governance and signoff, text[:600]
    assert re.search(r"1\.1 ACME Public Works Agency", text)
    assert re.search(r"\d+\.1 \**Level 1: Operations", text)
    assert re.search(r"\d+\.2 \**Level 2: Executives", text)
    assert "within 5 calendar days" in text
    assert "The governance model is" in text


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_no_frame_no_numbers_no_contents(cli, tmp_path, fmt) -> None:
    path = _repo(tmp_path, "due_soon: P30D\n")
    text = _text(cli, path, fmt, tmp_path)
    assert "legally binding" not in text
    assert "Contents" not in text
    assert not re.search(r"1\.1 ACME Public Works Agency", text)


def test_binding_true_says_legally_binding(cli, tmp_path: Path) -> None:
    path = _repo(tmp_path, "document:\n  binding: true\n")
    text = _text(cli, path, "md", tmp_path)
    assert "This charter is legally binding on the parties." in text


def test_an_unknown_frame_key_is_refused_with_its_place(cli, tmp_path: Path) -> None:
    path = _repo(tmp_path, "document:\n  numbered: true\n")
    result = cli("render", path, "--to", "md")
    assert result.exit_code == 2
    assert "rmo.yaml:2" in result.stderr and "Traceback" not in result.stderr


def test_markdown_has_no_empty_header_rows_and_one_signature_line_a_line(cli, tmp_path) -> None:
    path = write_charter(tmp_path / "c.yaml", charter(signoffs=[]))
    result = cli("render", path, "--to", "md")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    for i, line in enumerate(lines[1:], start=1):
        if re.fullmatch(r"\|(-+:?\|)+|\|(-+\|)+|\|(---\|)+|\|[-:|]+\|", line):
            header = lines[i - 1]
            cells = [c.strip() for c in header.strip("|").split("|")]
            assert all(cells), f"empty header cell: {header!r}"
    for label in ("Name:", "Title:", "Signature:", "Date:"):
        signature_lines = [line for line in lines if line.startswith(label)]
        assert signature_lines, label
        for line in signature_lines:
            others = {"Name:", "Title:", "Signature:", "Date:"} - {label}
            assert not any(o in line for o in others), line
