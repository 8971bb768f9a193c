"""A repository template cannot make the PDF engine read local files or open connections."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest

from tests.conftest import write_charter

pytest.importorskip("weasyprint")

SECRET = "PLANTED-SECRET-8c1f0e"


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            hits.append(self.path)
            body = f"/* {SECRET} */ body {{ color: red }}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}", hits
    finally:
        srv.shutdown()
        srv.server_close()


def _hostile_template(base: str, secret: Path) -> str:
    url = secret.as_uri()
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{{{ charter.title }}}}</title>
<link rel="attachment" href="{url}" title="env">
<link rel="attachment" href="secret.txt">
<link rel="stylesheet" href="{base}/style.css">
<link rel="stylesheet" href="{url}">
<style>
@import url("{base}/import.css");
@import url("{url}");
@font-face {{ font-family: Evil; src: url("{base}/font.ttf"); }}
body {{ font-family: Evil; background: url("{base}/background.png"); }}
</style></head>
<body>
<h1>{{{{ charter.title }}}}</h1>
<img src="{base}/image.png"><img src="{url}"><object data="{url}"></object>
<embed src="{url}"><iframe src="{url}"></iframe>
<a rel="attachment" href="{url}">annex</a>
<a rel="attachment nofollow" href="{base}/annex.txt">annex 2</a>
</body></html>
"""


def test_repository_template_cannot_fetch_or_embed(
    cli, tmp_path: Path, server, monkeypatch
) -> None:
    from pypdf import PdfReader

    base, hits = server
    secret = tmp_path / "secret.txt"
    secret.write_text(f"API_TOKEN={SECRET}\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / "templates").mkdir(parents=True)
    (repo / "rmo.yaml").write_text("templates: templates\n", encoding="utf-8")
    (repo / "templates" / "charter.html.j2").write_text(
        _hostile_template(base, secret), encoding="utf-8"
    )
    shutil.copy(secret, repo / "secret.txt")
    write_charter(repo / "charters" / "acme-globex.yaml")
    target = tmp_path / "out.pdf"

    monkeypatch.chdir(repo)  # relative URLs would resolve here with WeasyPrint's defaults
    result = cli("render", "charters/acme-globex.yaml", "--to", "pdf", "-o", target)

    assert result.exit_code == 0, result.stderr
    assert hits == []
    data = target.read_bytes()
    reader = PdfReader(BytesIO(data))
    for name, contents in reader.attachments.items():
        for content in contents:
            assert SECRET.encode() not in content, name
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            assert annot.get_object().get("/Subtype") != "/FileAttachment"
        assert SECRET not in page.extract_text()
    assert SECRET.encode() not in data
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "ACME" in text and SECRET not in text
    if shutil.which("pdfdetach"):
        listing = subprocess.run(
            ["pdfdetach", "-list", str(target)], capture_output=True, text=True, check=True
        ).stdout
        assert "secret" not in listing and "env" not in listing


def test_the_pdf_engine_fetches_data_uris_only() -> None:
    from rmo_cli.render.pdf import safe_url_fetcher

    fetcher = safe_url_fetcher()
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x", "https://example.org/", "x.css"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_the_pdf_step_is_bounded_in_time(monkeypatch) -> None:
    from rmo_cli.render import pdf
    from rmo_cli.support.errors import RmoError

    monkeypatch.setattr(pdf, "PDF_TIMEOUT", 0.5)
    many = "<p>paragraph</p>" * 200_000
    with pytest.raises(RmoError, match="the PDF engine took longer than 0.5 seconds"):
        pdf.html_to_pdf(f"<html><body>{many}</body></html>")
