"""PDF output through WeasyPrint (the `pdf` extra), imported only when a PDF is asked for."""

from __future__ import annotations

from typing import Any

from rmo_cli.support.errors import RmoError

PDF_INSTALL_HINT = (
    "PDF output needs WeasyPrint: install rmo with the pdf extra "
    "(pip install 'rmo-cli[pdf]' or pipx install 'rmo-cli[pdf]'), plus Pango on Linux "
    "(Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0); "
    "or render --to html and print it from a browser"
)


def load_weasyprint() -> Any:
    """The weasyprint module, or an RmoError (exit 2) that says how to install it."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango or its friends are missing
        raise RmoError(f"{PDF_INSTALL_HINT} ({type(exc).__name__}: {exc})") from None
    return weasyprint


def html_to_pdf(html_text: str, base_url: str | None = None) -> bytes:
    """PDF bytes of an HTML document, with WeasyPrint (imported only here)."""
    weasyprint = load_weasyprint()
    import logging

    # WeasyPrint logs unsupported CSS at warning level; the CLI prints its own messages.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf = weasyprint.HTML(string=html_text, base_url=base_url or ".").write_pdf()
    return bytes(pdf)
