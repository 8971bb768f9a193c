"""The HTML in a real browser: headless Chromium prints it to PDF and we read the text back."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_FLAGS, SAMPLES, charter, write_charter

from rmo_cli.charter.fingerprint import fingerprint

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]


def chromium_pdf(page: Path, out: Path, profile: Path) -> None:
    """Print page to out with headless Chromium (fresh profile, no network chatter)."""
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )


def pdf_text(path: Path) -> str:
    """The PDF's text: pdftotext when installed, else pypdf; whitespace collapsed."""
    if shutil.which("pdftotext"):
        done = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        )
        text = done.stdout
    else:
        from pypdf import PdfReader

        text = " ".join(p.extract_text() for p in PdfReader(str(path)).pages)
    return re.sub(r"\s+", " ", text)


def test_samples_print_in_chromium_with_all_content(cli, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = cli("render", SAMPLES, "--to", "html", "-o", site)
    assert result.exit_code == 0, result.stderr
    import yaml

    for sample in sorted(SAMPLES.glob("*.yaml")):
        data = yaml.safe_load(sample.read_text(encoding="utf-8"))
        out = tmp_path / f"{sample.stem}.pdf"
        chromium_pdf(site / f"{data['id']}.html", out, tmp_path / "profile")
        assert out.read_bytes().startswith(b"%PDF-")
        text = pdf_text(out)
        assert " ".join(data["title"].split()) in text
        for party in data["parties"]:
            assert party["name"] in text
            for person in party.get("people", []):
                assert person["name"] in text
        words = set(text.split())
        for kpi in data.get("kpis", []):
            # Narrow table cells wrap and pdftotext may interleave them: check word by word.
            assert set(kpi["name"].split()) <= words, kpi["name"]
        # The fingerprint may wrap inside its cell: compare without spaces.
        assert fingerprint_of(sample) in text.replace(" ", "")
        assert "Page 1 of" in text  # @page margin boxes with page numbers
        order = [
            text.find(h)
            for h in (
                "Parties and representatives",
                "Objectives",
                "Review",
                "Sign-off",
                "Document control",
            )
        ]
        assert -1 not in order and order == sorted(order)


def fingerprint_of(sample: Path) -> str:
    from rmo_cli.charter.loading import read_charter

    doc = read_charter(sample).document
    assert doc is not None
    return fingerprint(doc.data)


def test_script_in_charter_text_is_printed_not_run(cli, tmp_path: Path) -> None:
    hostile = "<script>document.body.innerHTML='PWNED'</script><img src=x onerror=alert(1)>"
    path = write_charter(
        tmp_path / "acme-globex.yaml", charter(title="T " + hostile, purpose=hostile)
    )
    page = tmp_path / "page.html"
    result = cli("render", path, "--to", "html", "-o", page)
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "page.pdf"
    chromium_pdf(page, out, tmp_path / "profile")
    text = pdf_text(out)
    assert "PWNED" in text  # shown as text ...
    assert "<script>document.body.innerHTML='PWNED'</script>" in text  # ... literally
    assert "ACME Public Works Agency" in text  # and the document was not replaced
