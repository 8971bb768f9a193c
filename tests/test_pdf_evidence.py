"""The PDF as evidence (SPEC §9), read back with pypdf and poppler: PDF/A-3b, embedded
source, XMP, footer and DRAFT mark on every page, PAdES signing, and `rmo verify FILE.pdf`."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, charter, write_charter

pytest.importorskip("weasyprint")
pytest.importorskip("pyhanko")

SAMPLE = SAMPLES / "harbourside-globex-facilities.yaml"
POPPLER = shutil.which("pdftotext") and shutil.which("pdfsig") and shutil.which("pdfdetach")


def _reader(path: Path):
    from pypdf import PdfReader

    return PdfReader(BytesIO(path.read_bytes()))


def _fingerprint(path: Path) -> str:
    from rmo_cli.charter.fingerprint import fingerprint
    from rmo_cli.charter.loading import read_charter

    doc = read_charter(path).document
    assert doc is not None
    return fingerprint(doc.data)


def _poppler_pages(path: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def _p12(tmp_path: Path, password: bytes) -> Path:
    """A self-signed certificate and key as PKCS#12, made here (no key is committed)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Harbourside Legal Office"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Harbourside"),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "signer.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"legal", key, cert, None, serialization.BestAvailableEncryption(password)
        )
    )
    return path


def test_pdf_embeds_source_and_metadata_and_footer_on_every_page(cli, tmp_path: Path) -> None:
    target = tmp_path / "h.pdf"
    result = cli("render", SAMPLE, "-o", target)
    assert result.exit_code == 0, result.stderr
    reader = _reader(target)
    current = _fingerprint(SAMPLE)

    # Document-level embedded files (EmbeddedFiles name tree), bytes equal to the source.
    assert reader.attachments["charter.yaml"] == [SAMPLE.read_bytes()]
    signoffs = json.loads(reader.attachments["signoffs.json"][0])
    assert signoffs["fingerprint"] == current
    assert {row["party"] for row in signoffs["signoffs"]} == {"harbourside", "globex"}
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    assert [str(n) for n in names[::2]] == ["charter.yaml", "signoffs.json"]
    assert all(not page.get("/Annots") for page in reader.pages)

    # XMP: PDF/A-3b identification, and the charter's id, version and fingerprint.
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert f"<rmo:fingerprint>{current}</rmo:fingerprint>" in xmp
    assert "<rmo:id>harbourside-globex-facilities</rmo:id>" in xmp
    assert "<rmo:version>1.2.0</rmo:version>" in xmp
    assert "/AF" in reader.trailer["/Root"]  # PDF/A-3 associated files

    # Footer on every page, read by pypdf and by poppler; no DRAFT on an active charter.
    short = current.split(":")[1][:12]
    total = len(reader.pages)
    assert total >= 2
    for number, page in enumerate(reader.pages, start=1):
        text = " ".join(page.extract_text().split())
        assert f"harbourside-globex-facilities · version 1.2.0 · fingerprint {short}" in text
        assert f"Page {number} of {total}" in text
        assert "DRAFT" not in text
    if POPPLER:
        pages = _poppler_pages(target)
        assert len(pages) == total
        for number, text in enumerate(pages, start=1):
            assert f"fingerprint {short}" in text and f"Page {number} of {total}" in text
        out = tmp_path / "detached"
        out.mkdir()
        subprocess.run(["pdfdetach", "-saveall", "-o", str(out), str(target)], check=True)
        assert (out / "charter.yaml").read_bytes() == SAMPLE.read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "rmo_cli", "verify", str(target)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("status", "draft"),
    [("draft", True), ("proposed", True), ("under-review", True), ("active", False)],
)
def test_draft_mark_on_every_page_only_until_final(cli, tmp_path: Path, status, draft) -> None:
    long_purpose = "\n\n".join(f"Paragraph {i} of the purpose. " * 12 for i in range(40))
    path = write_charter(tmp_path / "c.yaml", charter(status=status, purpose=long_purpose))
    target = tmp_path / "c.pdf"
    result = cli("render", path, "-o", target)
    assert result.exit_code == 0, result.stderr
    pages = [" ".join(p.extract_text().split()) for p in _reader(target).pages]
    assert len(pages) >= 2
    for text in pages:
        assert ("DRAFT" in text) is draft, text[:200]
    if POPPLER:
        for text in _poppler_pages(target):
            assert ("DRAFT" in text) is draft


@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdfsig) is not installed")
def test_signed_pdf_is_valid_for_pdfsig_and_tampering_is_caught(
    cli, tmp_path: Path, monkeypatch
) -> None:
    from pypdf import PdfWriter

    cert = _p12(tmp_path, b"correct horse")
    monkeypatch.setenv("RMO_P12_PASSWORD", "correct horse")
    target = tmp_path / "signed.pdf"
    args = ["--sign-with", cert, "--sign-password-env", "RMO_P12_PASSWORD"]
    result = cli("render", SAMPLE, "--to", "pdf", "-o", target, *args)
    assert result.exit_code == 0, result.stderr

    report = subprocess.run(["pdfsig", str(target)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    assert "Harbourside Legal Office" in report
    sig = _reader(target).trailer["/Root"]["/AcroForm"]["/Fields"][0].get_object()["/V"]
    assert sig["/Reason"] == "Charter harbourside-globex-facilities v1.2.0 rendered by rmo"
    assert sig["/Name"] == "Harbourside Legal Office"

    verified = cli("verify", target, "--format", "json")
    assert verified.exit_code == 0, verified.stdout
    checks = json.loads(verified.stdout)["documents"][0]["checks"]
    assert [c["check"] for c in checks if c["ok"]][-1] == "pades"

    # One flipped byte inside the signed range: pdfsig and rmo verify both say no.
    data = bytearray(target.read_bytes())
    data[len(data) // 3] ^= 0x01
    flipped = tmp_path / "flipped.pdf"
    flipped.write_bytes(bytes(data))
    report = subprocess.run(["pdfsig", str(flipped)], capture_output=True, text=True).stdout
    assert "Signature is Valid." not in report
    done = cli("verify", flipped)
    assert done.exit_code == 1
    assert "FAILED" in done.stdout

    # The embedded charter replaced by other content: the fingerprint mismatch is named.
    reader = _reader(target)
    writer = PdfWriter(clone_from=reader)
    other = SAMPLE.read_bytes().replace(b'\nversion: "1.2.0"', b'\nversion: "1.2.1"', 1)
    assert other != SAMPLE.read_bytes()
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    del names[0:2]
    writer.add_attachment("charter.yaml", other)
    swapped = tmp_path / "swapped.pdf"
    with swapped.open("wb") as f:
        writer.write(f)
    done = cli("verify", swapped)
    assert done.exit_code == 1
    assert re.search(
        r"fingerprint-metadata: FAILED: metadata says sha256:\w+, the embedded", done.stdout
    )
    assert "fingerprint-pages: FAILED" in done.stdout


def test_wrong_password_or_unreadable_certificate_is_exit_2_and_no_file(
    cli, tmp_path: Path, monkeypatch
) -> None:
    cert = _p12(tmp_path, b"right")
    monkeypatch.setenv("PW", "wrong")
    target = tmp_path / "out.pdf"
    result = cli("render", SAMPLE, "-o", target, "--sign-with", cert, "--sign-password-env", "PW")
    assert result.exit_code == 2
    assert "wrong password" in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()
    junk = tmp_path / "junk.p12"
    junk.write_bytes(b"not a certificate")
    result = cli("render", SAMPLE, "-o", target, "--sign-with", junk, "--sign-password-env", "PW")
    assert result.exit_code == 2 and not target.exists()
    result = cli("render", SAMPLE, "-o", target, "--sign-with", tmp_path / "none.p12")
    assert result.exit_code == 2 and not target.exists()
    monkeypatch.delenv("PW")
    result = cli("render", SAMPLE, "-o", target, "--sign-with", cert, "--sign-password-env", "PW")
    assert result.exit_code == 2 and "PW" in result.stderr and not target.exists()


def test_verify_names_a_pdf_without_evidence(cli, tmp_path: Path) -> None:
    from rmo_cli.render.pdf import html_to_pdf

    plain = tmp_path / "plain.pdf"
    plain.write_bytes(html_to_pdf("<html><body><p>hello</p></body></html>"))
    done = cli("verify", plain)
    assert done.exit_code == 1
    assert "embedded-charter: FAILED: no embedded charter.yaml" in done.stdout
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot really")
    done = cli("verify", broken, "--format", "json")
    assert done.exit_code == 1
    assert json.loads(done.stdout)["documents"][0]["checks"][0]["check"] == "readable"


def test_a_repository_template_cannot_remove_the_footer_or_draft_mark(cli, tmp_path) -> None:
    repo = tmp_path / "repo"
    (repo / "templates").mkdir(parents=True)
    (repo / "rmo.yaml").write_text("templates: templates\n", encoding="utf-8")
    (repo / "templates" / "charter.html.j2").write_text(
        "<html><head><style>@page { margin: 0; @bottom-left { content: none }"
        ' @bottom-right { content: "Page 1 of 1" } @top-left { content: none } }'
        " .x { break-after: page }</style></head><body>"
        '<p class="x">{{ charter.title }}</p><p class="x">two</p><p>three</p></body></html>',
        encoding="utf-8",
    )
    path = write_charter(repo / "charters" / "c.yaml", charter(status="proposed"))
    target = tmp_path / "c.pdf"
    result = cli("render", path, "-o", target)
    assert result.exit_code == 0, result.stderr
    short = _fingerprint(path).split(":")[1][:12]
    pages = [" ".join(p.extract_text().split()) for p in _reader(target).pages]
    assert len(pages) == 3
    for number, text in enumerate(pages, start=1):
        assert f"acme-globex · version 1.0.0 · fingerprint {short}" in text
        assert f"Page {number} of 3" in text and "DRAFT" in text
    assert _reader(target).attachments["charter.yaml"] == [path.read_bytes()]


@pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext) is not installed")
def test_escalation_levels_and_signoff_rows_never_split(cli, tmp_path: Path) -> None:
    people = ["jdoe", "rsmith"]
    wordy = "of the joint operational and commercial resolution panel " * 4
    levels = [
        {"level": i, "name": f"Tier {i} {wordy}end{i}", "people": people, "time_limit": "P5D"}
        for i in range(1, 41)
    ]
    data = charter(escalation={"levels": levels, "final_recourse": "mediation"})
    path = write_charter(tmp_path / "c.yaml", data)
    target = tmp_path / "c.pdf"
    assert cli("render", path, "-o", target).exit_code == 0
    pages = _poppler_pages(target)
    assert len(pages) >= 3
    for i in range(1, 41):
        # A level's name, time limit and people are all on one page.
        holding = [p for p in pages if f"Level {i}: Tier {i} " in p]
        assert len(holding) == 1, i
        rest = holding[0].split(f"Level {i}: Tier {i} ", 1)[1]
        assert f"end{i} — within 5 calendar days" in rest, i
        assert "Raj Smith (CEO)" in rest.split(f"end{i}", 1)[1], i
    for party in ("For ACME Public Works Agency", "For Globex Facilities Ltd"):
        holding = [p for p in pages if party in p]
        assert len(holding) == 1
        block = holding[0].split(party, 1)[1]
        assert "Signature" in block and "Date" in block
